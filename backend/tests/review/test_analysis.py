"""The feedback analyser on small cases computed by hand (the arithmetic is in the comments)."""

import uuid

import pytest

from coderai.extraction.coercion.values import JsonValue
from coderai.models.enums import GroundingKind, VariableType, Verdict
from coderai.review.analysis import (
    ErrorKind,
    ReviewedItem,
    analyse,
    calibration_table,
    classify_error,
    cohens_kappa,
    dates_match,
    format_equal,
    numbers_match,
    wilson_interval,
)


def item(
    model: JsonValue,
    verdict: Verdict,
    truth: JsonValue = None,
    *,
    known: bool = True,
    confidence: float | None = 0.9,
    grounding: GroundingKind = GroundingKind.EXACT,
    quote: str | None = "a quote",
) -> ReviewedItem:
    return ReviewedItem(
        extraction_id=uuid.uuid4(),
        document_id=uuid.uuid4(),
        model_value=model,
        verdict=verdict,
        truth=model if verdict is Verdict.CORRECT else truth,
        truth_known=verdict is Verdict.CORRECT or known,
        confidence=confidence,
        grounding=grounding,
        quote=quote,
    )


RIGHT, WRONG, PARTLY = Verdict.CORRECT, Verdict.INCORRECT, Verdict.PARTIALLY_CORRECT


def test_cohens_kappa_two_categories() -> None:
    # 10 items: (A,A)x4, (B,B)x3, (A,B)x2, (B,A)x1.
    # observed agreement po = 7/10 = 0.7
    # model marginals A=6, B=4; reviewer marginals A=5, B=5
    # chance agreement pe = (6*5 + 4*5) / 10^2 = 0.5
    # kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
    pairs = [("A", "A")] * 4 + [("B", "B")] * 3 + [("A", "B")] * 2 + [("B", "A")]
    assert cohens_kappa(pairs) == pytest.approx(0.4)


def test_cohens_kappa_three_categories() -> None:
    # 6 items: (X,X)x2, (Y,Y), (Z,Z), (X,Y), (Y,Z).
    # po = 4/6; model X=3, Y=2, Z=1; reviewer X=2, Y=2, Z=2
    # pe = (3*2 + 2*2 + 1*2) / 36 = 12/36 = 1/3
    # kappa = (2/3 - 1/3) / (1 - 1/3) = 0.5
    pairs = [("X", "X"), ("X", "X"), ("Y", "Y"), ("Z", "Z"), ("X", "Y"), ("Y", "Z")]
    assert cohens_kappa(pairs) == pytest.approx(0.5)


def test_cohens_kappa_edges() -> None:
    # Agreement no better than chance: po = 0.5, pe = (2*2 + 2*2)/16 = 0.5 -> kappa 0.
    assert cohens_kappa([("A", "A"), ("A", "B"), ("B", "A"), ("B", "B")]) == pytest.approx(0.0)
    assert cohens_kappa([("A", "A"), ("B", "B")]) == pytest.approx(1.0)
    # Both raters used one label throughout: pe = 1, kappa undefined.
    assert cohens_kappa([("A", "A"), ("A", "A")]) is None
    assert cohens_kappa([]) is None


def test_number_tolerance_is_relative_to_the_reviewer_value() -> None:
    # 1 % of 100 is 1: 101 and 99 match, 102 does not.
    assert numbers_match(101, 100, 0.01)
    assert numbers_match(99.0, 100, 0.01)
    assert not numbers_match(102, 100, 0.01)
    # 1 % of 12400000 is 124000: 12.5 million is 100000 away -> match.
    assert numbers_match(12_500_000, 12_400_000, 0.01)
    # A true zero tolerates nothing; null matches only null.
    assert numbers_match(0, 0, 0.01)
    assert not numbers_match(0.001, 0, 0.01)
    assert numbers_match(None, None, 0.01)
    assert not numbers_match(None, 5, 0.01)
    # Lists pair up after sorting: [200, 1] vs [1, 198.5]: |200-198.5| = 1.5 <= 1.985.
    assert numbers_match([200, 1], [1, 198.5], 0.01)
    assert not numbers_match([1], [1, 2], 0.01)


def test_dates_match_at_the_coarser_precision() -> None:
    assert dates_match("2023-03-15", "2023-03-15")
    assert dates_match("2023-03", "2023-03-15")  # month given, day known: same month
    assert dates_match("2023-12-31", "2023")
    assert not dates_match("2023-03-14", "2023-03-15")  # same precision, another day
    assert not dates_match("2023-04", "2023-03-15")
    assert not dates_match("2022", "2023-01-01")
    assert not dates_match(None, "2023")


def test_format_equality_ignores_case_space_and_number_formatting() -> None:
    assert format_equal("New  York ", "new york")
    assert format_equal("1,200", 1200)
    assert format_equal("1 200.0", "1200")
    assert format_equal(["b", "A"], ["a", "B"])
    assert not format_equal("New York", "York")


def test_error_kinds() -> None:
    cat = VariableType.CATEGORY
    assert classify_error(cat, item("RCT", RIGHT)) is None
    assert classify_error(cat, item("Cohort", WRONG, "RCT")) is ErrorKind.WRONG_CATEGORY
    assert classify_error(cat, item(None, WRONG, "RCT")) is ErrorKind.MISSED
    assert classify_error(cat, item("RCT", WRONG, None)) is ErrorKind.INVENTED
    assert classify_error(cat, item("RCT", WRONG, "RCT")) is ErrorKind.OTHER
    assert classify_error(cat, item("RCT", WRONG, known=False)) is ErrorKind.WRONG_CATEGORY
    assert (
        classify_error(VariableType.TEXT, item("New York ", PARTLY, "new york")) is ErrorKind.FORMAT
    )
    assert classify_error(VariableType.NUMBER, item(12, WRONG, 120)) is ErrorKind.WRONG_VALUE
    assert classify_error(VariableType.NUMBER, item(None, WRONG, known=False)) is ErrorKind.MISSED


def test_calibration_table() -> None:
    # bin [0, 0.5):    0.3 wrong, 0.45 right          -> n=2, mean 0.375, accuracy 1/2
    # bin [0.5, 0.7):  0.5 right (edge goes up)       -> n=1, mean 0.5,   accuracy 1
    # bin [0.7, 0.9):  0.7 wrong, 0.8 and 0.85 right  -> n=3, mean 2.35/3, accuracy 2/3
    # bin [0.9, 1.0]:  0.95, 1.0 right, 0.9 partial   -> n=3, mean 2.85/3 = 0.95, accuracy 2/3
    # one item without confidence is left out.
    # ECE = (2*|0.5-0.375| + 1*|1-0.5| + 3*|2/3-2.35/3| + 3*|2/3-0.95|) / 9
    #     = (0.25 + 0.5 + 0.35 + 0.85) / 9 = 1.95 / 9
    items = [
        item("a", WRONG, "b", confidence=0.3),
        item("a", RIGHT, confidence=0.45),
        item("a", RIGHT, confidence=0.5),
        item("a", WRONG, "b", confidence=0.7),
        item("a", RIGHT, confidence=0.8),
        item("a", RIGHT, confidence=0.85),
        item("a", RIGHT, confidence=0.95),
        item("a", RIGHT, confidence=1.0),
        item("a", PARTLY, "b", confidence=0.9),
        item("a", RIGHT, confidence=None),
    ]
    table = calibration_table(items)
    assert [(b.lower, b.upper, b.count) for b in table.bins] == [
        (0.0, 0.5, 2),
        (0.5, 0.7, 1),
        (0.7, 0.9, 3),
        (0.9, 1.0, 3),
    ]
    means = [b.mean_confidence for b in table.bins]
    assert means == pytest.approx([0.375, 0.5, 2.35 / 3, 0.95])
    assert [b.accuracy for b in table.bins] == pytest.approx([0.5, 1.0, 2 / 3, 2 / 3])
    assert (table.with_confidence, table.without_confidence) == (9, 1)
    assert table.expected_calibration_error == pytest.approx(1.95 / 9)


def test_empty_bins_have_no_figures() -> None:
    table = calibration_table([item("a", RIGHT, confidence=0.95)])
    assert [b.count for b in table.bins] == [0, 0, 0, 1]
    assert table.bins[0].mean_confidence is None and table.bins[0].accuracy is None
    # One item, confidence 0.95, correct: |1 - 0.95| = 0.05.
    assert table.expected_calibration_error == pytest.approx(0.05)
    assert calibration_table([]).expected_calibration_error is None


def test_analyse_category_variable() -> None:
    # 6 reviewed: 3 correct (RCT, RCT, Cohort), Cohort->RCT twice (one ungrounded), and
    # RCT->(empty) invented.  accuracy = 3/6.
    # Labels (model, reviewer): (RCT,RCT)x2, (Cohort,Cohort), (Cohort,RCT)x2, (RCT,empty)
    # po = 3/6; model RCT=3, Cohort=3; reviewer RCT=4, Cohort=1, empty=1
    # pe = (3*4 + 3*1 + 0*1) / 36 = 15/36; kappa = (18/36 - 15/36) / (21/36) = 3/21 = 1/7
    items = [
        item("RCT", RIGHT),
        item("RCT", RIGHT),
        item("Cohort", RIGHT),
        item("Cohort", WRONG, "RCT"),
        item("Cohort", WRONG, "RCT", grounding=GroundingKind.NONE),
        item("RCT", WRONG, None),
    ]
    result = analyse(VariableType.CATEGORY, items)
    assert (result.reviewed, result.correct, result.incorrect) == (6, 3, 3)
    assert result.accuracy == pytest.approx(0.5)
    counts = {e.kind: e.count for e in result.errors}
    assert counts == {
        ErrorKind.WRONG_CATEGORY: 2,
        ErrorKind.INVENTED: 1,
        ErrorKind.UNGROUNDED: 1,
    }
    assert result.errors[0].kind is ErrorKind.WRONG_CATEGORY
    assert [(p.model_value, p.correct_value, p.count) for p in result.confusion] == [
        ("Cohort", "RCT", 2)
    ]
    assert result.agreement.compared == 6
    assert result.agreement.exact_matches == 3
    assert result.agreement.kappa == pytest.approx(1 / 7)
    assert result.agreement.tolerance_matches is None


def test_analyse_number_variable_with_unknown_truth() -> None:
    # 4 reviewed: 100 correct; 101 vs 100 wrong (but within 1 %); 12 vs 120 wrong;
    # one incorrect without a correction (unknown truth: counted in accuracy only).
    # accuracy = 1/4; compared = 3; exact = 1; within tolerance = 2 (100, 101~100).
    items = [
        item(100, RIGHT),
        item(101, WRONG, 100),
        item(12, WRONG, 120),
        item(7, WRONG, known=False),
    ]
    result = analyse(VariableType.NUMBER, items)
    assert result.accuracy == pytest.approx(0.25)
    assert result.agreement.compared == 3
    assert result.agreement.exact_matches == 1
    assert result.agreement.tolerance_matches == 2
    assert result.agreement.tolerance_rate == pytest.approx(2 / 3)
    assert result.agreement.kappa is None
    wrong = next(e for e in result.errors if e.kind is ErrorKind.WRONG_VALUE)
    assert wrong.count == 3
    assert [e.correct_value for e in wrong.examples] == [100, 120, None]


def test_examples_are_capped_at_five() -> None:
    items = [item(i, WRONG, i + 100) for i in range(8)]
    result = analyse(VariableType.NUMBER, items)
    assert result.errors[0].count == 8
    assert len(result.errors[0].examples) == 5


def test_wilson_interval_matches_the_published_values() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857, Table I: 81/263 -> 0.2553 to 0.3662;
    # 15/148 -> 0.0624 to 0.1605; 0/20 -> 0 to 0.1611; 1/29 -> 0.0061 to 0.1718.
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson_interval(15, 148) == pytest.approx((0.0624, 0.1605), abs=1e-4)
    assert wilson_interval(0, 20) == pytest.approx((0.0, 0.1611), abs=1e-4)
    assert wilson_interval(1, 29) == pytest.approx((0.0061, 0.1718), abs=1e-4)
    assert wilson_interval(0, 0) is None
