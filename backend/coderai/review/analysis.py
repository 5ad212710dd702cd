"""Pure analysis of reviewed extractions: accuracy, error kinds, agreement and calibration.

The reviewer's truth for an item is the corrected value when one was given, or the model's value
when the verdict is CORRECT. An incorrect verdict without a correction still counts against
accuracy, but its truth is unknown, so it takes no part in value agreement (kappa, tolerance).
No database and no I/O here: the feedback service gathers the items, this module counts.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from uuid import UUID

from coderai.extraction.coercion.dates import date_span
from coderai.extraction.coercion.values import JsonValue, display_of
from coderai.models.enums import GroundingKind, VariableType, Verdict

__all__ = [
    "DEFAULT_BINS",
    "DEFAULT_NUMBER_TOLERANCE",
    "Agreement",
    "Calibration",
    "CalibrationBin",
    "ConfusionPair",
    "ErrorExample",
    "ErrorKind",
    "ErrorSummary",
    "ReviewAnalysis",
    "ReviewedItem",
    "analyse",
    "calibration_table",
    "classify_error",
    "coding_key",
    "cohens_kappa",
    "dates_match",
    "format_equal",
    "numbers_match",
    "same_value",
]

# Confidence bin edges; the last bin is closed so a confidence of exactly 1.0 is counted.
DEFAULT_BINS: tuple[float, ...] = (0.0, 0.5, 0.7, 0.9, 1.0)
DEFAULT_NUMBER_TOLERANCE = 0.01
MAX_EXAMPLES = 5
EMPTY_LABEL = "(empty)"


class ErrorKind(StrEnum):
    WRONG_VALUE = "WRONG_VALUE"
    MISSED = "MISSED"
    INVENTED = "INVENTED"
    WRONG_CATEGORY = "WRONG_CATEGORY"
    # The model answered a category variable outside its list (e.g. "Spain" for a region):
    # a category problem (a missing category, or a rule mapping the answer), not a miss.
    OUT_OF_LIST = "OUT_OF_LIST"
    FORMAT = "FORMAT"
    UNGROUNDED = "UNGROUNDED"
    OTHER = "OTHER"


@dataclass(frozen=True)
class ReviewedItem:
    """One extraction with its current verdict; `truth` is meaningful only when `truth_known`."""

    extraction_id: UUID
    document_id: UUID
    model_value: JsonValue
    verdict: Verdict
    truth: JsonValue
    truth_known: bool
    confidence: float | None
    grounding: GroundingKind
    quote: str | None = None
    note: str | None = None
    entity_index: int = 0
    gold: bool = False  # judged against an adjudicated gold value, not a single verdict
    raw_answer: str | None = None  # the model's answer when it was outside the category list


@dataclass(frozen=True)
class ErrorExample:
    extraction_id: UUID
    document_id: UUID
    model_value: JsonValue
    correct_value: JsonValue
    correct_value_known: bool
    quote: str | None
    note: str | None
    confidence: float | None


@dataclass(frozen=True)
class ErrorSummary:
    kind: ErrorKind
    count: int
    examples: list[ErrorExample]


@dataclass(frozen=True)
class ConfusionPair:
    """The model answered `model_value` where the reviewer's category was `correct_value`."""

    model_value: str
    correct_value: str
    count: int


@dataclass(frozen=True)
class Agreement:
    """Model vs reviewer on the items whose true value is known."""

    compared: int
    exact_matches: int
    exact_rate: float | None
    kappa: float | None = None
    tolerance_rule: str | None = None
    tolerance_matches: int | None = None
    tolerance_rate: float | None = None
    exact_rate_interval: tuple[float, float] | None = None


@dataclass(frozen=True)
class CalibrationBin:
    lower: float
    upper: float
    count: int
    mean_confidence: float | None
    accuracy: float | None


@dataclass(frozen=True)
class Calibration:
    bins: list[CalibrationBin]
    with_confidence: int
    without_confidence: int
    # Expected calibration error: count-weighted mean of |accuracy - mean confidence| per bin.
    expected_calibration_error: float | None


@dataclass(frozen=True)
class ReviewAnalysis:
    variable_type: VariableType
    reviewed: int
    correct: int
    partially_correct: int
    incorrect: int
    accuracy: float | None
    errors: list[ErrorSummary]
    confusion: list[ConfusionPair]
    agreement: Agreement
    calibration: Calibration
    against_gold: int = 0
    accuracy_interval: tuple[float, float] | None = None
    # Figures resting on fewer reviewed answers are shown greyed out, as indications only.
    min_reviewed: int = 0
    enough_reviewed: bool = False


# Below this many reviewed answers, accuracy, kappa and calibration are indications only.
MIN_REVIEWED_FOR_FIGURES = 10


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def same_value(a: JsonValue, b: JsonValue) -> bool:
    """Equal JSON values (12 equals 12.0, but True never equals 1); lists compare in order."""
    if isinstance(a, list) or isinstance(b, list):
        if not (isinstance(a, list) and isinstance(b, list)) or len(a) != len(b):
            return False
        return all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if _is_number(a) and _is_number(b):
        return float(a) == float(b)  # type: ignore[arg-type]
    return a == b


def coding_key(value: JsonValue) -> object:
    """What two codings must share to agree: text compared without case or spacing, numbers
    as numbers, lists as sorted sets. A JSON null (no value found) is a value here too."""
    if isinstance(value, list):
        return tuple(sorted(repr(coding_key(item)) for item in value))
    if isinstance(value, bool):
        return ("bool", value)
    if _is_number(value):
        return ("number", float(value))  # type: ignore[arg-type]
    if isinstance(value, str):
        return ("text", " ".join(value.split()).casefold())
    return ("other", repr(value))


_THOUSANDS = re.compile(r"(?<=\d)[,\s'_](?=\d{3}(?:\D|$))")


def _normal_form(value: JsonValue) -> object:
    if value is None:
        return None
    if isinstance(value, list):
        return tuple(sorted(repr(_normal_form(item)) for item in value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return format(float(value), ".12g")
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    text = " ".join(text.split()).strip(" .,;:'\"`")
    try:
        # "1,200", "1 200" and "1200.0" are one number written three ways.
        return format(float(_THOUSANDS.sub("", text)), ".12g")
    except ValueError:
        return text


def format_equal(a: JsonValue, b: JsonValue) -> bool:
    """Equal after normalising case, spaces, punctuation at the ends and number formatting."""
    return _normal_form(a) == _normal_form(b)


def numbers_match(model: JsonValue, truth: JsonValue, rel_tol: float) -> bool:
    """Within `rel_tol` of the reviewer's value (|m - t| <= rel_tol * |t|); lists pairwise."""
    if isinstance(model, list) or isinstance(truth, list):
        if not (isinstance(model, list) and isinstance(truth, list)) or len(model) != len(truth):
            return False
        pairs = zip(sorted(model, key=_sort_key), sorted(truth, key=_sort_key), strict=True)
        return all(numbers_match(m, t, rel_tol) for m, t in pairs)
    if model is None or truth is None:
        return model is None and truth is None
    if not (_is_number(model) and _is_number(truth)):
        return same_value(model, truth)
    m, t = float(model), float(truth)
    # A small epsilon so that 101 vs 100 at 1 % is a match despite binary rounding.
    return abs(m - t) <= rel_tol * abs(t) + 1e-12


def _sort_key(value: JsonValue) -> tuple[int, float, str]:
    if _is_number(value):
        return (0, float(value), "")  # type: ignore[arg-type]
    return (1, 0.0, str(value))


def dates_match(model: JsonValue, truth: JsonValue) -> bool:
    """Same date at the coarser of the two precisions ("2023-03" matches "2023-03-15", not
    "2023-04-01"); equal ISO strings always match. Lists compare pairwise after sorting."""
    if isinstance(model, list) or isinstance(truth, list):
        if not (isinstance(model, list) and isinstance(truth, list)) or len(model) != len(truth):
            return False
        pairs = zip(sorted(map(str, model)), sorted(map(str, truth)), strict=True)
        return all(dates_match(m, t) for m, t in pairs)
    if model is None or truth is None:
        return model is None and truth is None
    if model == truth:
        return True
    m_span, t_span = date_span(str(model)), date_span(str(truth))
    if m_span is None or t_span is None:
        return False
    # The coarser date's span contains the finer one exactly when they agree at its precision.
    coarse, fine = sorted((m_span, t_span), key=lambda span: span[1] - span[0], reverse=True)
    return coarse[0] <= fine[0] and fine[1] <= coarse[1]


def cohens_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of (model label, reviewer label) pairs; None when undefined (no pairs,
    or both raters used one and the same label throughout, so chance agreement is 1)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    model_counts = Counter(a for a, _ in pairs)
    truth_counts = Counter(b for _, b in pairs)
    expected = sum(model_counts[label] * truth_counts[label] for label in model_counts) / (n * n)
    if math.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1 - expected)


def _label(value: JsonValue) -> str:
    if isinstance(value, list):
        return "; ".join(sorted(_label(item) for item in value))
    return display_of(value) or EMPTY_LABEL


def classify_error(variable_type: VariableType, item: ReviewedItem) -> ErrorKind | None:
    """The primary kind of a non-CORRECT item (UNGROUNDED is counted separately)."""
    if item.verdict is Verdict.CORRECT:
        return None
    model, truth = item.model_value, item.truth
    if model is None and item.raw_answer:
        return ErrorKind.OUT_OF_LIST
    if not item.truth_known:
        if model is None:
            return ErrorKind.MISSED
        return (
            ErrorKind.WRONG_CATEGORY
            if variable_type is VariableType.CATEGORY
            else ErrorKind.WRONG_VALUE
        )
    if model is None and truth is not None:
        return ErrorKind.MISSED
    if model is not None and truth is None:
        return ErrorKind.INVENTED
    if model is None or same_value(model, truth):
        # Right value but judged wrong: the quote, unit or entity was off.
        return ErrorKind.OTHER
    if format_equal(model, truth):
        return ErrorKind.FORMAT
    if variable_type is VariableType.CATEGORY:
        return ErrorKind.WRONG_CATEGORY
    return ErrorKind.WRONG_VALUE


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95 % by default); None without data. Unlike
    the normal approximation it stays inside [0, 1] and is honest at 0/n and n/n."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return round(max(centre - half, 0.0), 4), round(min(centre + half, 1.0), 4)


def calibration_table(
    items: Sequence[ReviewedItem], edges: Sequence[float] = DEFAULT_BINS
) -> Calibration:
    """Stated confidence in bins [lo, hi) (the last closed) vs the share judged CORRECT."""
    buckets: list[list[ReviewedItem]] = [[] for _ in edges[:-1]]
    without = 0
    for item in items:
        if item.confidence is None:
            without += 1
            continue
        confidence = min(max(item.confidence, edges[0]), edges[-1])
        index = next(
            (i for i in range(len(edges) - 1) if confidence < edges[i + 1]), len(edges) - 2
        )
        buckets[index].append(item)
    bins = []
    total = sum(len(bucket) for bucket in buckets)
    ece = 0.0
    for (lower, upper), bucket in zip(pairwise(edges), buckets, strict=True):
        count = len(bucket)
        mean = sum(i.confidence or 0.0 for i in bucket) / count if count else None
        accuracy = _rate(sum(i.verdict is Verdict.CORRECT for i in bucket), count)
        if mean is not None and accuracy is not None:
            ece += count / total * abs(accuracy - mean)
        bins.append(CalibrationBin(lower, upper, count, mean, accuracy))
    return Calibration(bins, total, without, ece if total else None)


def _agreement(
    variable_type: VariableType, items: Sequence[ReviewedItem], number_tolerance: float
) -> Agreement:
    known = [item for item in items if item.truth_known]
    exact = sum(same_value(item.model_value, item.truth) for item in known)
    kappa = None
    rule = None
    matches = None
    if variable_type in (VariableType.CATEGORY, VariableType.BOOLEAN):
        kappa = cohens_kappa([(_label(i.model_value), _label(i.truth)) for i in known])
    elif variable_type is VariableType.NUMBER:
        rule = f"within {number_tolerance:.0%} of the reviewer's value"
        matches = sum(numbers_match(i.model_value, i.truth, number_tolerance) for i in known)
    elif variable_type is VariableType.DATE:
        rule = "same date at the coarser of the two precisions"
        matches = sum(dates_match(i.model_value, i.truth) for i in known)
    return Agreement(
        compared=len(known),
        exact_matches=exact,
        exact_rate=_rate(exact, len(known)),
        kappa=kappa,
        tolerance_rule=rule,
        tolerance_matches=matches,
        tolerance_rate=None if matches is None else _rate(matches, len(known)),
        exact_rate_interval=wilson_interval(exact, len(known)),
    )


def _example(item: ReviewedItem) -> ErrorExample:
    return ErrorExample(
        extraction_id=item.extraction_id,
        document_id=item.document_id,
        model_value=item.model_value,
        correct_value=item.truth if item.truth_known else None,
        correct_value_known=item.truth_known,
        quote=item.quote,
        note=item.note,
        confidence=item.confidence,
    )


def analyse(
    variable_type: VariableType,
    items: Sequence[ReviewedItem],
    *,
    number_tolerance: float = DEFAULT_NUMBER_TOLERANCE,
    bins: Sequence[float] = DEFAULT_BINS,
) -> ReviewAnalysis:
    """Everything the review screen and the refiner need about one variable's reviewed items."""
    by_kind: dict[ErrorKind, list[ReviewedItem]] = {kind: [] for kind in ErrorKind}
    confusion: Counter[tuple[str, str]] = Counter()
    for item in items:
        kind = classify_error(variable_type, item)
        if kind is None:
            continue
        by_kind[kind].append(item)
        if item.model_value is not None and item.grounding is GroundingKind.NONE:
            by_kind[ErrorKind.UNGROUNDED].append(item)
        if kind is ErrorKind.WRONG_CATEGORY and item.truth_known:
            confusion[(_label(item.model_value), _label(item.truth))] += 1
        if kind is ErrorKind.OUT_OF_LIST and item.truth_known and item.raw_answer:
            confusion[(item.raw_answer, _label(item.truth))] += 1
    errors = [
        ErrorSummary(kind, len(found), [_example(i) for i in found[:MAX_EXAMPLES]])
        for kind, found in by_kind.items()
        if found
    ]
    errors.sort(key=lambda summary: -summary.count)  # stable: ties keep the enum order
    correct = sum(item.verdict is Verdict.CORRECT for item in items)
    partial = sum(item.verdict is Verdict.PARTIALLY_CORRECT for item in items)
    return ReviewAnalysis(
        variable_type=variable_type,
        reviewed=len(items),
        correct=correct,
        partially_correct=partial,
        incorrect=len(items) - correct - partial,
        accuracy=_rate(correct, len(items)),
        errors=errors,
        confusion=[
            ConfusionPair(model, truth, count)
            for (model, truth), count in sorted(confusion.items(), key=lambda kv: -kv[1])
        ],
        agreement=_agreement(variable_type, items, number_tolerance),
        calibration=calibration_table(items, bins),
        against_gold=sum(item.gold for item in items),
        accuracy_interval=wilson_interval(correct, len(items)),
        min_reviewed=MIN_REVIEWED_FOR_FIGURES,
        enough_reviewed=len(items) >= MIN_REVIEWED_FOR_FIGURES,
    )
