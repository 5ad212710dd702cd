"""Coercion of raw model answers to typed values, validation rules and the answer rules."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coderai.extraction.coercion.values import (
    Coerced,
    apply_multi_value,
    apply_uncertainty,
    coerce_value,
    coerce_values,
)
from coderai.models.enums import MultiValueAction, UncertainAction, VariableType
from coderai.variables.config import (
    Category,
    ClassificationRules,
    UncertaintyHandling,
    ValidationRules,
)

N, D, B, C, T = (
    VariableType.NUMBER,
    VariableType.DATE,
    VariableType.BOOLEAN,
    VariableType.CATEGORY,
    VariableType.TEXT,
)

SETTINGS = ClassificationRules(
    categories=[
        Category(value="Urban", synonyms=["city", "metropolitan"]),
        Category(value="Suburban"),
        Category(value="Rural", synonyms=["countryside"]),
        Category(value="Not applicable"),
        Category(value="Court of Appeal"),
    ]
)
OPEN_SETTINGS = ClassificationRules(categories=SETTINGS.categories, allow_other=True)

# (raw, type, expected value, unit, precision, flags)
COERCION_TABLE: list[tuple[object, VariableType, object, str | None, str | None, list[str]]] = [
    # NUMBER: separators
    ("1,234.5", N, 1234.5, None, None, []),
    ("1.234,5", N, 1234.5, None, None, []),
    ("1.234.567", N, 1234567, None, None, []),
    ("3,5", N, 3.5, None, None, []),
    ("1,234", N, 1234, None, None, []),
    ("1.5", N, 1.5, None, None, []),
    ("1\u2009234", N, 1234, None, None, []),
    ("1 234 567,89", N, 1234567.89, None, None, []),
    ("1'234.5", N, 1234.5, None, None, []),
    ("-3.5", N, -3.5, None, None, []),
    ("\u22123.5", N, -3.5, None, None, []),
    ("(1,200)", N, -1200, None, None, ["ACCOUNTING_NEGATIVE"]),
    ("2.5e-3", N, 0.0025, None, None, []),
    (42, N, 42, None, None, []),
    (3.25, N, 3.25, None, None, []),
    # NUMBER: scales, currencies, percentages
    ("12.4 million", N, 12_400_000, None, None, []),
    ("3bn", N, 3_000_000_000, None, None, []),
    ("\u20ac3m", N, 3_000_000, "EUR", None, []),
    ("$1.2 billion", N, 1_200_000_000, "USD", None, []),
    ("USD 5 million", N, 5_000_000, "USD", None, []),
    ("5 million euros", N, 5_000_000, "EUR", None, []),
    ("\u00a3250k", N, 250_000, "GBP", None, []),
    ("5k", N, 5000, None, None, []),
    ("5m", N, 5, "m", None, []),
    ("45%", N, 45, "%", None, []),
    ("12.5 per cent", N, 12.5, "%", None, []),
    # NUMBER: qualifiers, words, units, ranges, text
    ("approx. 40", N, 40, None, None, ["APPROXIMATE"]),
    ("about 40", N, 40, None, None, ["APPROXIMATE"]),
    ("~40", N, 40, None, None, ["APPROXIMATE"]),
    ("more than 40", N, 40, None, None, ["BOUND"]),
    ("40+", N, 40, None, None, ["BOUND"]),
    ("twelve", N, 12, None, None, []),
    ("twenty-five", N, 25, None, None, []),
    ("one hundred and five", N, 105, None, None, []),
    ("two thousand three hundred", N, 2300, None, None, []),
    ("a dozen", N, 12, None, None, []),
    ("40 participants", N, 40, "participants", None, []),
    ("twenty-five participants", N, 25, "participants", None, []),
    ("40-50", N, 45, None, None, ["RANGE"]),
    ("40\u201345 participants", N, 42.5, "participants", None, ["RANGE"]),
    ("between 40 and 50", N, 45, None, None, ["RANGE"]),
    ("3-5 million", N, 4_000_000, None, None, ["RANGE"]),
    ("-5 to -3", N, -4, None, None, ["RANGE"]),
    ("10 - 20%", N, 15, "%", None, ["RANGE"]),
    ("The study enrolled 40 participants", N, 40, "participants", None, ["EXTRA_TEXT"]),
    ("40 participants (20 women)", N, 40, "participants", None, ["MULTIPLE_NUMBERS"]),
    ("n = 40", N, 40, None, None, []),
    ("not reported", N, None, None, None, []),
    ("N/A", N, None, None, None, []),
    ("lots", N, None, None, None, ["NOT_A_NUMBER"]),
    ("1.2.3", N, None, None, None, ["NOT_A_NUMBER"]),
    (True, N, None, None, None, ["NOT_A_NUMBER"]),
    (float("nan"), N, None, None, None, ["NOT_A_NUMBER"]),
    # DATE
    ("2023", D, "2023", None, "year", []),
    ("March 2023", D, "2023-03", None, "month", []),
    ("Mar. 2023", D, "2023-03", None, "month", []),
    ("15 March 2023", D, "2023-03-15", None, "day", []),
    ("March 15, 2023", D, "2023-03-15", None, "day", []),
    ("15th of March 2023", D, "2023-03-15", None, "day", []),
    ("Tuesday, 14 March 2023", D, "2023-03-14", None, "day", []),
    ("2023-03-15", D, "2023-03-15", None, "day", []),
    ("2023-03-15T10:30:00Z", D, "2023-03-15", None, "day", []),
    ("2023-03", D, "2023-03", None, "month", []),
    ("15/03/2023", D, "2023-03-15", None, "day", []),
    ("03/15/2023", D, "2023-03-15", None, "day", []),
    ("03/04/2023", D, "2023-04-03", None, "day", ["AMBIGUOUS_DATE"]),
    ("04/04/2023", D, "2023-04-04", None, "day", []),
    ("15.03.2023", D, "2023-03-15", None, "day", []),
    ("20230315", D, "2023-03-15", None, "day", []),
    ("15 Mar 23", D, "2023-03-15", None, "day", ["TWO_DIGIT_YEAR"]),
    ("Q1 2023", D, "2023", None, "year", ["QUARTER"]),
    ("early 2023", D, "2023", None, "year", ["APPROXIMATE_DATE"]),
    ("mid-March 2023", D, "2023-03", None, "month", ["APPROXIMATE_DATE"]),
    ("c. 1850", D, "1850", None, "year", ["APPROXIMATE_DATE"]),
    ("2019-2020", D, "2019", None, "year", ["RANGE"]),
    ("adopted on 15/03/2023", D, "2023-03-15", None, "day", ["EXTRA_TEXT"]),
    (2023, D, "2023", None, "year", []),
    ("In May of 2023", D, "2023-05", None, "month", []),
    ("It may have been adopted in 2023", D, "2023", None, "year", ["EXTRA_TEXT"]),
    ("2023-02-30", D, None, None, None, ["UNPARSEABLE_DATE"]),
    ("15 March", D, None, None, None, ["UNPARSEABLE_DATE"]),
    ("the 1990s", D, None, None, None, ["UNPARSEABLE_DATE"]),
    ("soon", D, None, None, None, ["UNPARSEABLE_DATE"]),
    ("not stated", D, None, None, None, []),
    # BOOLEAN
    ("yes", B, True, None, None, []),
    ("No.", B, False, None, None, []),
    ("TRUE", B, True, None, None, []),
    ("n", B, False, None, None, []),
    ("1", B, True, None, None, []),
    (0, B, False, None, None, []),
    (True, B, True, None, None, []),
    ("Yes, the policy was adopted", B, True, None, None, ["EXTRA_TEXT"]),
    ("yes and no", B, None, None, None, ["AMBIGUOUS_BOOLEAN"]),
    ("maybe", B, None, None, None, ["AMBIGUOUS_BOOLEAN"]),
    ("It was adopted", B, None, None, None, ["AMBIGUOUS_BOOLEAN"]),
    (2, B, None, None, None, ["AMBIGUOUS_BOOLEAN"]),
    ("not stated", B, None, None, None, []),
    ("unknown", B, None, None, None, []),
    ("unclear", B, None, None, None, []),
    ("n/a", B, None, None, None, []),
    (None, B, None, None, None, []),
    # CATEGORY (with SETTINGS)
    ("Urban", C, "Urban", None, None, []),
    ("urban", C, "Urban", None, None, []),
    ("  URBAN. ", C, "Urban", None, None, []),
    ("court-of-appeal", C, "Court of Appeal", None, None, []),
    ("City", C, "Urban", None, None, []),
    ("Category: Rural", C, "Rural", None, None, ["EXTRA_TEXT"]),
    ("Rural (farmland)", C, "Rural", None, None, ["EXTRA_TEXT"]),
    ("Rurall", C, "Rural", None, None, ["FUZZY_CATEGORY"]),
    ("Not applicable", C, "Not applicable", None, None, []),
    ("not reported", C, None, None, None, []),
    ("Mars", C, None, None, None, ["UNKNOWN_CATEGORY"]),
    # TEXT
    ("  The   committee\napproved it. ", T, "The committee approved it.", None, None, []),
    (42, T, "42", None, None, []),
    ("", T, None, None, None, []),
    ("not reported", T, None, None, None, []),
]


@pytest.mark.parametrize(
    ("raw", "kind", "value", "unit", "precision", "flags"),
    COERCION_TABLE,
    ids=[f"{kind.value}:{raw!r}" for raw, kind, *_ in COERCION_TABLE],
)
def test_coercion_table(
    raw: object,
    kind: VariableType,
    value: object,
    unit: str | None,
    precision: str | None,
    flags: list[str],
) -> None:
    coerced = coerce_value(raw, kind, classification=SETTINGS)
    assert coerced.value == value
    assert type(coerced.value) is type(value)
    assert coerced.unit == unit
    assert coerced.precision == precision
    assert coerced.flags == flags
    # A failure to coerce a non-empty answer always says why.
    assert (coerced.error is not None) == (value is None and bool(flags))


def test_table_is_large_and_covers_every_type() -> None:
    assert len(COERCION_TABLE) >= 60
    assert {kind for _, kind, *_ in COERCION_TABLE} == set(VariableType)


def test_display_is_the_wire_string() -> None:
    assert coerce_value("12.4 million", N).display == "12400000"
    assert coerce_value(1e20, N).display == "100000000000000000000"
    assert coerce_value("yes", B).display == "true"
    assert coerce_value("March 2023", D).display == "2023-03"
    assert coerce_value(["40", "50"], N).display == "40; 50"
    assert coerce_value("not reported", N).display is None


def test_list_answer_is_coerced_element_by_element() -> None:
    coerced = coerce_value(["city", "Rurall", None], C, classification=SETTINGS)
    assert coerced.value == ["Urban", "Rural"]
    assert coerced.flags == ["FUZZY_CATEGORY"]
    assert coerce_value(["40 participants"], N) == coerce_value("40 participants", N)


def test_category_fuzzy_match_refuses_near_ties() -> None:
    rules = ClassificationRules(
        categories=[Category(value="Primary school"), Category(value="Primary schools")]
    )
    coerced = coerce_value("Primary schol", C, classification=rules)
    assert coerced.value is None
    assert coerced.flags == ["UNKNOWN_CATEGORY"]


def test_category_allow_other_keeps_the_answer() -> None:
    coerced = coerce_value("Mars colony", C, classification=OPEN_SETTINGS)
    assert coerced.value == "Mars colony"
    assert coerced.flags == ["OTHER_CATEGORY"]
    assert coerce_value("not reported", C, classification=OPEN_SETTINGS).value is None


def test_category_without_rules_is_flagged() -> None:
    coerced = coerce_value("Anything", C)
    assert (coerced.value, coerced.flags) == ("Anything", ["NO_CATEGORIES"])


def test_a_category_named_unknown_wins_over_the_null_reading() -> None:
    rules = ClassificationRules(categories=[Category(value="Known"), Category(value="Unknown")])
    assert coerce_value("unknown", C, classification=rules).value == "Unknown"


@pytest.mark.parametrize(
    ("raw", "kind", "rules", "flags"),
    [
        (150, N, ValidationRules(min=0, max=100), ["OUT_OF_RANGE"]),
        (-1, N, ValidationRules(min=0), ["OUT_OF_RANGE"]),
        (100, N, ValidationRules(min=0, max=100), []),
        ("2019", D, ValidationRules(min_date="2020-01-01"), ["OUT_OF_RANGE"]),
        # A year overlapping the allowed period is not out of range.
        ("2020", D, ValidationRules(min_date="2020-06-01"), []),
        ("2021-01-01", D, ValidationRules(max_date="2020"), ["OUT_OF_RANGE"]),
        ("2020-12", D, ValidationRules(min_date="2020", max_date="2020"), []),
        ("hello world", T, ValidationRules(max_length=5), ["TOO_LONG"]),
        ("AB-123", T, ValidationRules(pattern=r"^[A-Z]{2}-\d{3}$"), []),
        ("ab-123", T, ValidationRules(pattern=r"^[A-Z]{2}-\d{3}$"), ["PATTERN_MISMATCH"]),
        ("Urban", C, ValidationRules(pattern="^R"), ["PATTERN_MISMATCH"]),
        ("not reported", N, ValidationRules(min=0), []),
    ],
)
def test_validation_rules_flag_rather_than_raise(
    raw: object, kind: VariableType, rules: ValidationRules, flags: list[str]
) -> None:
    coerced = coerce_value(raw, kind, classification=SETTINGS, validation=rules)
    assert coerced.flags == flags
    assert coerced.value is not None or raw == "not reported"


# --- hypothesis: numbers written the way documents write them come back -------------------

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


def _close(value: object, expected: float, tolerance: float = 1e-9) -> bool:
    return isinstance(value, int | float) and math.isclose(
        value, expected, rel_tol=tolerance, abs_tol=tolerance
    )


@settings(max_examples=150, deadline=None)
@given(finite)
def test_thousands_separators_round_trip(x: float) -> None:
    written = f"{x:,.2f}"
    assert _close(coerce_value(written, N).value, round(x, 2))


@settings(max_examples=150, deadline=None)
@given(finite)
def test_european_separators_round_trip(x: float) -> None:
    written = f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    assert _close(coerce_value(written, N).value, round(x, 2))


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=-1000, max_value=1000, allow_nan=False))
def test_percentages_round_trip(x: float) -> None:
    coerced = coerce_value(f"{x:.1f}%", N)
    assert _close(coerced.value, round(x, 1))
    assert coerced.unit == "%"


@settings(max_examples=100, deadline=None)
@given(
    st.floats(min_value=0, max_value=999, allow_nan=False),
    st.sampled_from([("thousand", 1e3), ("million", 1e6), ("bn", 1e9), ("billion", 1e9)]),
    st.sampled_from(["", "$", "\u20ac"]),
)
def test_scale_words_round_trip(x: float, scale: tuple[str, float], currency: str) -> None:
    word, factor = scale
    coerced = coerce_value(f"{currency}{x:.2f} {word}", N)
    assert _close(coerced.value, round(x, 2) * factor, tolerance=1e-9)
    assert coerced.unit == {"": None, "$": "USD", "\u20ac": "EUR"}[currency]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.sampled_from(list(VariableType)))
def test_arbitrary_text_never_crashes(text: str, kind: VariableType) -> None:
    coerced = coerce_value(text, kind, classification=SETTINGS, validation=ValidationRules())
    assert isinstance(coerced, Coerced)
    if coerced.value is None:
        assert coerced.display is None


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789.,-\u2013 $\u20ac%()kmb+~", max_size=25))
def test_number_like_noise_never_crashes(text: str) -> None:
    value = coerce_value(text, N).value
    assert value is None or (isinstance(value, int | float) and math.isfinite(value))


@settings(max_examples=100, deadline=None)
@given(st.dates())
def test_iso_dates_round_trip(day: object) -> None:
    written = str(day)
    assert coerce_value(written, D).value == written
    assert coerce_value(day, D).value == written


# --- multi-value and uncertainty rules ----------------------------------------------------


def _answers(*raws: str) -> list[Coerced]:
    return coerce_values(list(raws), T)


def test_multi_value_first() -> None:
    outcome = apply_multi_value(_answers("a", "b", "b"), MultiValueAction.FIRST, None)
    assert (outcome.value, outcome.flags, outcome.needs_review) == ("a", [], False)


def test_multi_value_all_is_capped_and_flagged() -> None:
    outcome = apply_multi_value(_answers("a", "b", "a", "c"), MultiValueAction.ALL, 2)
    assert outcome.value == ["a", "b"]
    assert outcome.display == "a; b"
    assert outcome.flags == ["TOO_MANY_VALUES"]


def test_multi_value_all_keeps_a_list_even_for_one_value() -> None:
    outcome = apply_multi_value(_answers("a", "a"), MultiValueAction.ALL, None)
    assert (outcome.value, outcome.flags) == (["a"], [])


def test_multi_value_most_frequent_breaks_ties_by_order() -> None:
    outcome = apply_multi_value(_answers("a", "b", "b", "c"), MultiValueAction.MOST_FREQUENT, None)
    assert outcome.value == "b"
    tie = apply_multi_value(_answers("c", "a", "a", "c"), MultiValueAction.MOST_FREQUENT, None)
    assert tie.value == "c"


def test_multi_value_flag_for_review_keeps_first() -> None:
    outcome = apply_multi_value(_answers("a", "b"), MultiValueAction.FLAG_FOR_REVIEW, None)
    assert (outcome.value, outcome.flags, outcome.needs_review) == ("a", ["MULTIPLE_VALUES"], True)
    same = apply_multi_value(_answers("a", "a"), MultiValueAction.FLAG_FOR_REVIEW, None)
    assert (same.flags, same.needs_review) == ([], False)


def test_multi_value_ignores_empty_answers_and_merges_item_flags() -> None:
    values = [coerce_value(None, N), coerce_value("about 40", N)]
    outcome = apply_multi_value(values, MultiValueAction.FIRST, None)
    assert (outcome.value, outcome.flags) == (40, ["APPROXIMATE"])
    empty = apply_multi_value([coerce_value(None, N)], MultiValueAction.ALL, None)
    assert (empty.value, empty.display, empty.items) == (None, None, [])


def test_multi_value_distinguishes_units() -> None:
    values = coerce_values(["\u20ac3", "$3"], N)
    outcome = apply_multi_value(values, MultiValueAction.FLAG_FOR_REVIEW, None)
    assert outcome.flags == ["MULTIPLE_VALUES"]


@pytest.mark.parametrize(
    ("confidence", "action", "keep", "review", "flags"),
    [
        (0.9, UncertainAction.LEAVE_EMPTY, True, False, []),
        (0.7, UncertainAction.FLAG_FOR_REVIEW, True, False, []),
        (0.5, UncertainAction.LEAVE_EMPTY, False, False, ["BELOW_THRESHOLD", "VALUE_WITHHELD"]),
        (0.5, UncertainAction.BEST_GUESS, True, False, ["BELOW_THRESHOLD"]),
        (0.5, UncertainAction.FLAG_FOR_REVIEW, True, True, ["BELOW_THRESHOLD"]),
        (None, UncertainAction.FLAG_FOR_REVIEW, True, True, ["NO_CONFIDENCE"]),
        (None, UncertainAction.LEAVE_EMPTY, False, False, ["NO_CONFIDENCE", "VALUE_WITHHELD"]),
        (85.0, UncertainAction.FLAG_FOR_REVIEW, True, False, []),
    ],
)
def test_uncertainty_rules(
    confidence: float | None, action: UncertainAction, keep: bool, review: bool, flags: list[str]
) -> None:
    handling = UncertaintyHandling(confidence_threshold=0.7, if_uncertain=action)
    outcome = apply_uncertainty(confidence, handling)
    assert (outcome.keep_value, outcome.needs_review, outcome.flags) == (keep, review, flags)
    if confidence is not None:
        assert outcome.confidence is not None and 0.0 <= outcome.confidence <= 1.0
