"""Krippendorff's alpha and its companions on published and hand-computed cases."""

import math
from datetime import date

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coderai.models.enums import VariableType
from coderai.review.reliability import (
    Level,
    RawValue,
    Scale,
    UnreadableValue,
    alpha,
    encode,
    reading,
    scale_for,
)

N = None
NUMBER = {level: Scale(VariableType.NUMBER, level) for level in Level}
NOMINAL_TEXT = scale_for(VariableType.TEXT)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section E: coders A-D
# coding 12 units on a 1-5 scale, with missing values.
PAPER = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
LABELS = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}


# --- the published example ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (Level.NOMINAL, 0.743),
        (Level.ORDINAL, 0.815),
        (Level.INTERVAL, 0.849),
        (Level.RATIO, 0.797),
    ],
)
def test_paper_example_at_each_level(level: Level, expected: float) -> None:
    result = alpha(PAPER, NUMBER[level], draws=0)
    assert result.alpha is not None
    assert round(result.alpha, 3) == expected
    # Unit 12 has one value only: 11 pairable units holding 40 of the 41 values.
    counted = (result.coders, result.units, result.pairable_units, result.pairable_values)
    assert counted == (4, 12, 11, 40)


def test_paper_example_as_ordered_and_unordered_labels() -> None:
    labels = [[N if v is None else LABELS[v] for v in row] for row in PAPER]
    ordered = scale_for(VariableType.CATEGORY, categories=list(LABELS.values()), ordered=True)
    assert round(alpha(labels, ordered, draws=0).alpha or 0, 3) == 0.815
    assert round(alpha(labels, scale_for(VariableType.CATEGORY), draws=0).alpha or 0, 3) == 0.743


def test_paper_example_percent_agreement() -> None:
    # Agreeing pairs of values within units 1-11 (unit 12 has one value):
    # units 1, 3, 4, 5, 7, 9 agree fully: 3 + 6 + 6 + 6 + 6 + 6 = 33 of 33 pairs;
    # 2 (2,2,3,2): 3 of 6; 6 (1,2,3,4): 0 of 6; 8 (1,1,2,1): 3 of 6; 10 (5,5,5): 3 of 3;
    # 11 (1,1): 1 of 1. In all 33 + 3 + 0 + 3 + 3 + 1 = 43 of 33 + 6 + 6 + 6 + 3 + 1 = 55.
    result = alpha(PAPER, NUMBER[Level.NOMINAL], draws=0)
    assert result.percent_agreement == pytest.approx(43 / 55)


# --- the module is the library, for any data --------------------------------------------------

cell = st.one_of(st.none(), st.integers(min_value=0, max_value=4))
tables = st.integers(min_value=1, max_value=10).flatmap(
    lambda units: st.lists(st.lists(cell, min_size=units, max_size=units), min_size=2, max_size=5)
)


def library_alpha(data: list[list[int | None]], level: Level) -> float | None:
    matrix = np.array([[math.nan if v is None else v for v in row] for row in data], dtype=float)
    try:
        with np.errstate(all="ignore"):
            value = krippendorff.alpha(matrix, level_of_measurement=level.value.lower())
    except ValueError:  # the package refuses data with no pairable value or one value only
        return None
    return None if math.isnan(value) else float(value)


@settings(max_examples=150, deadline=None)
@given(tables, st.sampled_from(list(Level)))
def test_alpha_is_the_library_alpha(data: list[list[int | None]], level: Level) -> None:
    result = alpha(data, NUMBER[level], draws=0)
    expected = library_alpha(data, level)
    if expected is None:
        assert result.alpha is None
        assert result.undefined_reason
    else:
        assert result.alpha == pytest.approx(expected, rel=1e-12, abs=1e-12)
        assert -1.0 <= result.alpha <= 1.0


# --- values on each scale ---------------------------------------------------------------------


def test_dates_are_days_and_partial_dates_their_first_day() -> None:
    encoded = encode(
        [["2020-01-01", "2020-01", "2020", "2020-01-11", date(1970, 1, 2), N]],
        scale_for(VariableType.DATE),
    )
    # 2020-01-01 is 18262 days after 1970-01-01.
    assert encoded.values[0, :5].tolist() == [18262, 18262, 18262, 18272, 1]
    assert math.isnan(encoded.values[0, 5])


def test_date_alpha_is_interval_alpha_on_days() -> None:
    dates = [["2021-03-01", "2021-03-11", "2021-03-21"], ["2021-03-01", "2021-03-11", "2021-03-31"]]
    days = [[0, 10, 20], [0, 10, 30]]
    on_dates = alpha(dates, scale_for(VariableType.DATE), draws=0).alpha
    expected = krippendorff.alpha(np.array(days, dtype=float), level_of_measurement="interval")
    assert on_dates == pytest.approx(expected)


def test_unreadable_date_is_refused() -> None:
    with pytest.raises(UnreadableValue, match="ISO date"):
        encode([["2020-13-01"]], scale_for(VariableType.DATE))
    with pytest.raises(UnreadableValue, match="ISO date"):
        encode([["1 March 2020"]], scale_for(VariableType.DATE))


def test_ordered_categories_are_ranks_of_the_given_list() -> None:
    scale = scale_for(VariableType.CATEGORY, categories=["Low", "Mid", "High"], ordered=True)
    assert scale.level is Level.ORDINAL
    encoded = encode([["high", " LOW", N], ["Low", "High", "low"]], scale)
    assert encoded.values[0].tolist()[:2] == [2.0, 0.0]
    assert encoded.values[1].tolist() == [0.0, 2.0, 0.0]
    # "Mid" is unused but keeps its rank between the two.
    assert encoded.domain.tolist() == [0.0, 1.0, 2.0]
    data = [["low", "mid", "high", "high", "low"], ["low", "high", "high", "mid", "mid"]]
    expected = krippendorff.alpha(
        np.array(data), value_domain=["low", "mid", "high"], level_of_measurement="ordinal"
    )
    assert alpha(data, scale, draws=0).alpha == pytest.approx(expected)
    with pytest.raises(UnreadableValue, match="medium"):
        encode([["medium"]], scale)


def test_booleans_are_nominal_whatever_their_spelling() -> None:
    scale = scale_for(VariableType.BOOLEAN)
    written = [[True, False, True, "false"], ["TRUE", False, "false", N]]
    as_codes = [[1, 0, 1, 0], [1, 0, 0, N]]
    result = alpha(written, scale, draws=0)
    assert result.alpha == pytest.approx(alpha(as_codes, NUMBER[Level.NOMINAL], draws=0).alpha)
    with pytest.raises(UnreadableValue, match="boolean"):
        encode([["maybe"]], scale)


def test_text_is_compared_casefolded_with_collapsed_whitespace() -> None:
    data = [["Cohort ", "RCT", "case  control"], ["cohort", "rct", "Case control"]]
    result = alpha(data, NOMINAL_TEXT, draws=0)
    assert (result.alpha, result.percent_agreement, result.cohens_kappa) == (1.0, 1.0, 1.0)


def test_missing_values_stay_missing() -> None:
    # None, NaN and blank text are all missing: no unit here has two values.
    result = alpha([["a", N, "  "], [float("nan"), "b", N]], NOMINAL_TEXT, draws=0)
    assert (result.pairable_values, result.alpha) == (0, None)


def test_numbers_refuse_booleans_and_ratio_refuses_negatives() -> None:
    with pytest.raises(UnreadableValue, match="not a number"):
        encode([[True]], NUMBER[Level.INTERVAL])
    with pytest.raises(UnreadableValue, match="negative"):
        encode([[-1.5]], NUMBER[Level.RATIO])
    assert encode([["2.5", 3]], NUMBER[Level.INTERVAL]).values.tolist() == [[2.5, 3.0]]


@pytest.mark.parametrize(
    ("variable_type", "level"),
    [
        (VariableType.TEXT, Level.NOMINAL),
        (VariableType.CATEGORY, Level.NOMINAL),
        (VariableType.BOOLEAN, Level.NOMINAL),
        (VariableType.NUMBER, Level.INTERVAL),
        (VariableType.DATE, Level.INTERVAL),
        ("CATEGORY", Level.NOMINAL),
    ],
)
def test_usual_level_of_each_variable_type(variable_type: str, level: Level) -> None:
    assert scale_for(variable_type).level is level


def test_scales_without_meaning_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot be ORDINAL"):
        Scale(VariableType.TEXT, Level.ORDINAL)
    with pytest.raises(ValueError, match="cannot be RATIO"):
        Scale(VariableType.DATE, Level.RATIO)
    with pytest.raises(ValueError, match="distinct"):
        scale_for(VariableType.CATEGORY, categories=["low", "LOW "], ordered=True)
    with pytest.raises(ValueError, match="distinct"):
        scale_for(VariableType.CATEGORY, categories=[], ordered=True)


# --- the bootstrap ----------------------------------------------------------------------------

# Ten units, three coders, a few disagreements: alpha (nominal) is about .6.
BASE: list[list[RawValue]] = [
    ["a", "b", "c", "a", "b", "c", "a", "b", "c", "a"],
    ["a", "b", "c", "a", "b", "a", "a", "b", "c", "b"],
    ["a", "b", "b", "a", "c", "c", "a", "b", "c", "a"],
]


def repeated(times: int) -> list[list[RawValue]]:
    return [row * times for row in BASE]


def test_bootstrap_interval_holds_the_estimate_and_repeats_with_its_seed() -> None:
    result = alpha(repeated(4), NOMINAL_TEXT, seed=7)
    first = result.bootstrap
    again = alpha(repeated(4), NOMINAL_TEXT, seed=7).bootstrap
    other = alpha(repeated(4), NOMINAL_TEXT, seed=8).bootstrap
    assert result.alpha is not None and first is not None and other is not None
    assert first.low < result.alpha < first.high
    assert first == again
    assert (other.low, other.high) != (first.low, first.high)
    assert (first.draws, first.undefined_draws, first.seed) == (1000, 0, 7)
    # Every draw below .667 is below .800 too, and some fall between the two.
    assert first.p_below_reliable > first.p_below_tentative


def test_bootstrap_is_the_library_alpha_of_units_drawn_with_replacement() -> None:
    # Every unit of BASE is pairable, so the draws are columns of the coders x units matrix.
    data = repeated(2)
    matrix = encode(data, NOMINAL_TEXT).values
    picks = np.random.default_rng(3).integers(0, 20, size=(300, 20))
    alphas = np.array(
        [krippendorff.alpha(matrix[:, pick], level_of_measurement="nominal") for pick in picks]
    )
    interval = alpha(data, NOMINAL_TEXT, draws=300, seed=3).bootstrap
    assert interval is not None
    assert (interval.draws, interval.undefined_draws) == (300, 0)
    assert (interval.low, interval.high) == pytest.approx(
        tuple(np.quantile(alphas, [0.025, 0.975]))
    )
    assert interval.p_below_reliable == pytest.approx(np.mean(alphas < 0.800))
    assert interval.p_below_tentative == pytest.approx(np.mean(alphas < 0.667))


def test_bootstrap_interval_narrows_as_units_grow() -> None:
    widths = []
    for times in (1, 4, 16):
        interval = alpha(repeated(times), NOMINAL_TEXT, draws=500).bootstrap
        assert interval is not None
        widths.append(interval.high - interval.low)
    assert widths[0] > widths[1] > widths[2]
    # Four times the units, about half the width (1/sqrt(4)); allow a wide margin.
    assert 0.3 < widths[2] / widths[1] < 0.7


def test_bootstrap_of_perfect_agreement_is_one_and_never_below_the_thresholds() -> None:
    result = alpha([["x", "y", "z", "x"], ["x", "y", "z", "x"]], NOMINAL_TEXT, draws=200)
    assert result.bootstrap is not None
    assert (result.bootstrap.low, result.bootstrap.high) == (1.0, 1.0)
    assert (result.bootstrap.p_below_reliable, result.bootstrap.p_below_tentative) == (0.0, 0.0)
    # Resamples of one value only ("x", "x", ...) have no alpha and are counted apart.
    assert result.bootstrap.draws + result.bootstrap.undefined_draws == 200
    assert result.bootstrap.undefined_draws > 0


def test_bootstrap_of_systematic_disagreement_is_always_below_the_thresholds() -> None:
    result = alpha([["x", "y"] * 5, ["y", "x"] * 5], NOMINAL_TEXT, draws=200)
    assert result.alpha is not None and result.alpha < 0
    assert result.bootstrap is not None
    assert (result.bootstrap.p_below_reliable, result.bootstrap.p_below_tentative) == (1.0, 1.0)


# --- degenerate data --------------------------------------------------------------------------


def test_one_coder_has_no_alpha() -> None:
    result = alpha([["a", "b", "c"]], NOMINAL_TEXT)
    assert (result.alpha, result.coders, result.bootstrap) == (None, 1, None)
    assert result.undefined_reason == "alpha needs at least two coders"
    assert result.reading == "undefined: alpha needs at least two coders"
    assert (result.cohens_kappa, result.fleiss_kappa, result.percent_agreement) == (N, N, N)


def test_all_missing_has_no_alpha() -> None:
    result = alpha([[N, N], [N, N], [N, N]], NUMBER[Level.INTERVAL])
    assert (result.alpha, result.pairable_values, result.percent_agreement) == (None, 0, None)
    assert result.undefined_reason == "no unit was coded by two or more coders"
    assert result.bootstrap is None


def test_agreement_on_one_value_only_has_no_alpha_but_full_agreement() -> None:
    result = alpha([["yes", "yes", "yes"], ["yes", "yes", N]], NOMINAL_TEXT)
    assert (result.alpha, result.pairable_values, result.percent_agreement) == (None, 4, 1.0)
    assert result.undefined_reason is not None
    assert result.undefined_reason.startswith("no variation")
    assert result.bootstrap is None
    assert result.cohens_kappa is None  # chance agreement is 1


def test_no_data_at_all_has_no_alpha() -> None:
    assert alpha([], NOMINAL_TEXT).alpha is None
    with pytest.raises(ValueError, match="every unit"):
        alpha([["a", "b"], ["a"]], NOMINAL_TEXT)


# --- kappas and the reading -------------------------------------------------------------------

# Two coders, ten units (plus one B skipped), yes/no:
#               B yes  B no
#     A yes       4      2     -> A says yes 6/10
#     A no        1      3     -> B says yes 5/10
COHEN = [
    ["y", "y", "y", "y", "y", "y", "n", "n", "n", "n", "y"],
    ["y", "y", "y", "y", "n", "n", "y", "n", "n", "n", N],
]


def test_cohens_kappa_by_hand() -> None:
    # p_o = (4 + 3) / 10 = .7; p_e = .6 * .5 + .4 * .5 = .5; kappa = (.7 - .5) / (1 - .5) = .4.
    # Alpha from the coincidences: o_yy = 8, o_nn = 6, o_yn = o_ny = 3, so n_y = 11, n_n = 9,
    # n = 20 and alpha = 1 - (n - 1) * 6 / (n^2 - 11^2 - 9^2) = 1 - 114/198 = 14/33.
    result = alpha(COHEN, NOMINAL_TEXT, draws=0)
    assert result.cohens_kappa == pytest.approx(0.4)
    assert result.alpha == pytest.approx(14 / 33)
    assert result.percent_agreement == pytest.approx(0.7)
    assert result.fleiss_kappa is None  # B skipped the last unit


# Three coders, four units, categories a/b, every unit coded by everyone.
FLEISS = [["a", "a", "b", "a"], ["a", "a", "b", "b"], ["a", "b", "b", "b"]]


def test_fleiss_kappa_by_hand() -> None:
    # Per unit P_i = (sum_j n_ij^2 - 3) / (3 * 2): (aaa) 1, (aab) 2/6, (bbb) 1, (abb) 2/6,
    # so mean P = (8/3) / 4 = 2/3. p_a = 6/12, p_b = 6/12, P_e = .5.
    # kappa = (2/3 - 1/2) / (1 - 1/2) = 1/3.
    # Alpha: o_aa + o_bb = 3 + 1 + 3 + 1 = 8 of n = 12 values, n_a = n_b = 6:
    # alpha = 1 - 11 * (12 - 8) / (144 - 36 - 36) = 1 - 44/72 = 7/18.
    result = alpha(FLEISS, NOMINAL_TEXT, draws=0)
    assert result.fleiss_kappa == pytest.approx(1 / 3)
    assert result.alpha == pytest.approx(7 / 18)
    assert result.cohens_kappa is None  # three coders


def test_kappas_do_not_apply_off_the_nominal_level() -> None:
    numbers = [[1, 2, 3, 4], [1, 2, 3, 3]]
    result = alpha(numbers, NUMBER[Level.INTERVAL], draws=0)
    assert (result.cohens_kappa, result.fleiss_kappa) == (None, None)
    nominal = alpha(numbers, NUMBER[Level.NOMINAL], draws=0)
    # p_o = 3/4; p_e = (1/4)(1/4) * 2 + (1/4)(2/4) + (1/4)(0) = 1/4; kappa = (3/4 - 1/4)/(3/4).
    assert nominal.cohens_kappa == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "reliable"),
        (0.800, "reliable"),
        (0.7999, "tentative conclusions only"),
        (0.667, "tentative conclusions only"),
        (0.6669, "unreliable"),
        (-0.2, "unreliable"),
    ],
)
def test_reading(value: float, expected: str) -> None:
    assert reading(value) == expected


def test_reading_of_a_result() -> None:
    assert alpha(PAPER, NUMBER[Level.INTERVAL], draws=0).reading == "reliable"
    assert alpha(PAPER, NUMBER[Level.NOMINAL], draws=0).reading == "tentative conclusions only"
