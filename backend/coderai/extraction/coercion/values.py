"""Turn a model's raw answer into a typed value of the variable's type (docs/ARCHITECTURE.md,
"The path of a job", step 4).

Nothing here raises on bad input: problems become stable UPPER_SNAKE flags plus an error text,
so one odd answer never fails a document. Numbers and dates live in their own modules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeAlias

from coderai.extraction.coercion.categories import NO_CATEGORIES, match_category
from coderai.extraction.coercion.dates import date_span, parse_date
from coderai.extraction.coercion.numbers import parse_number
from coderai.models.enums import MultiValueAction, UncertainAction, VariableType
from coderai.variables.config import ClassificationRules, UncertaintyHandling, ValidationRules

__all__ = [
    "Coerced",
    "JsonScalar",
    "JsonValue",
    "MultiValueOutcome",
    "UncertaintyOutcome",
    "apply_multi_value",
    "apply_uncertainty",
    "coerce_value",
    "coerce_values",
    "display_of",
    "is_null_answer",
]

JsonScalar: TypeAlias = str | int | float | bool | None
JsonValue: TypeAlias = JsonScalar | list[JsonScalar]

AMBIGUOUS_BOOLEAN = "AMBIGUOUS_BOOLEAN"
EXTRA_TEXT = "EXTRA_TEXT"
OUT_OF_RANGE = "OUT_OF_RANGE"
PATTERN_MISMATCH = "PATTERN_MISMATCH"
TOO_LONG = "TOO_LONG"
MULTIPLE_VALUES = "MULTIPLE_VALUES"
TOO_MANY_VALUES = "TOO_MANY_VALUES"
BELOW_THRESHOLD = "BELOW_THRESHOLD"
NO_CONFIDENCE = "NO_CONFIDENCE"
VALUE_WITHHELD = "VALUE_WITHHELD"

_NULL_ANSWERS = frozenset(
    ("", "null", "none", "nil", "n/a", "na", "n.a", "n.a.", "not applicable", "not reported",
     "not stated", "not mentioned", "not specified", "not available", "not found", "not given",
     "not provided", "not disclosed", "not known", "unknown", "unclear", "undetermined",
     "no data", "no information", "no answer", "missing", "cannot be determined",
     "can't be determined", "cannot determine", "not determinable", "not in document",
     "not in the document", "no idea", "not sure", "don't know", "do not know", "-", "--",
     "\u2014", "\u2013", "?", "...", "\u2026")
)  # fmt: skip
_TRUE = frozenset(("yes", "y", "true", "t", "1", "1.0"))
_FALSE = frozenset(("no", "n", "false", "f", "0", "0.0"))
_LEADING_TRUE, _LEADING_FALSE = frozenset(("yes", "true")), frozenset(("no", "false"))
_WRAPPING = " \t\n\"'`\u2018\u2019\u201c\u201d*_"


@dataclass(frozen=True, slots=True)
class Coerced:
    """A typed answer: the JSON value, its unit and date precision, wire string, flags, error."""

    value: JsonValue
    unit: str | None = None
    precision: str | None = None
    display: str | None = None
    flags: list[str] = field(default_factory=list)
    error: str | None = None


def is_null_answer(raw: object) -> bool:
    """True for None and for answers that say the information is absent ("not reported")."""
    if raw is None:
        return True
    if not isinstance(raw, str):
        return False
    text = " ".join(raw.split()).strip(_WRAPPING).rstrip(".").casefold()
    return text in _NULL_ANSWERS or raw.strip() in _NULL_ANSWERS


def display_of(value: JsonValue) -> str | None:
    """The string form of a value for the wire: lists joined with "; ", booleans as true/false."""
    if value is None:
        return None
    if isinstance(value, list):
        return "; ".join(d for item in value if (d := display_of(item)) is not None)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Plain digits, never "1e+20", so spreadsheets and readers see the number as written.
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def _made(
    value: JsonValue,
    flags: list[str] | tuple[str, ...] = (),
    *,
    unit: str | None = None,
    precision: str | None = None,
    error: str | None = None,
) -> Coerced:
    return Coerced(value, unit, precision, display_of(value), list(dict.fromkeys(flags)), error)


def _clean_text(raw: object) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, dict):
        return json.dumps(raw, ensure_ascii=False, sort_keys=True)
    return " ".join(str(raw).split())


def _coerce_text(raw: object) -> Coerced:
    if is_null_answer(raw):
        return _made(None)
    return _made(_clean_text(raw))


def _coerce_boolean(raw: object) -> Coerced:
    if isinstance(raw, bool):
        return _made(raw)
    if isinstance(raw, int | float) and raw in (0, 1):
        return _made(bool(raw))
    if is_null_answer(raw):
        return _made(None)
    text = _clean_text(raw).strip(_WRAPPING).casefold()
    bare = text.rstrip(".!")
    if bare in _TRUE or bare in _FALSE:
        return _made(bare in _TRUE)
    words = re.findall(r"[a-z]+", text)
    if words and words[0] in _LEADING_TRUE | _LEADING_FALSE:
        answer = words[0] in _LEADING_TRUE
        opposite = _LEADING_FALSE if answer else _LEADING_TRUE
        # "Yes and no" is no answer at all.
        if not opposite.intersection(words[1:]):
            return _made(answer, [EXTRA_TEXT])
    return _made(
        None, [AMBIGUOUS_BOOLEAN], error=f"not a clear yes or no: {_clean_text(raw)[:60]!r}"
    )


def _coerce_category(raw: object, rules: ClassificationRules | None) -> Coerced:
    text = _clean_text(raw).strip(_WRAPPING).rstrip(".")
    if rules is None or not rules.categories:
        return _made(None) if is_null_answer(raw) else _made(text, [NO_CATEGORIES])
    # A category may itself read "Unknown" or "None", so the allowed list is consulted first.
    match = match_category(text, rules)
    if match.flags and is_null_answer(raw):
        return _made(None)
    return _made(match.value, match.flags, error=match.error)


def _coerce_number(raw: object) -> Coerced:
    if is_null_answer(raw):
        return _made(None)
    parsed = parse_number(raw)
    return _made(parsed.value, parsed.flags, unit=parsed.unit, error=parsed.error)


def _coerce_date(raw: object) -> Coerced:
    if is_null_answer(raw):
        return _made(None)
    parsed = parse_date(raw)
    return _made(parsed.iso, parsed.flags, precision=parsed.precision, error=parsed.error)


def _validated(coerced: Coerced, kind: VariableType, rules: ValidationRules) -> Coerced:
    value, flags = coerced.value, list(coerced.flags)
    if value is None:
        return coerced
    if kind is VariableType.NUMBER and isinstance(value, int | float):
        too_low = rules.min is not None and value < rules.min
        if too_low or (rules.max is not None and value > rules.max):
            flags.append(OUT_OF_RANGE)
    elif kind is VariableType.DATE and isinstance(value, str):
        span = date_span(value)
        low = date_span(rules.min_date) if rules.min_date else None
        high = date_span(rules.max_date) if rules.max_date else None
        # A partial date is out of range only when none of the days it covers is allowed.
        if span and ((low and span[1] < low[0]) or (high and span[0] > high[1])):
            flags.append(OUT_OF_RANGE)
    elif kind in (VariableType.TEXT, VariableType.CATEGORY) and isinstance(value, str):
        if rules.max_length is not None and len(value) > rules.max_length:
            flags.append(TOO_LONG)
        # JSON-Schema semantics: the pattern is searched, not implicitly anchored.
        if rules.pattern is not None and re.search(rules.pattern, value) is None:
            flags.append(PATTERN_MISMATCH)
    if flags == coerced.flags:
        return coerced
    return Coerced(
        value, coerced.unit, coerced.precision, coerced.display, list(dict.fromkeys(flags)),
        coerced.error,
    )  # fmt: skip


def _scalars(items: list[Coerced]) -> list[JsonScalar]:
    """The values of ``items`` as one flat list (a nested list answer is flattened)."""
    flat: list[JsonScalar] = []
    for item in items:
        if isinstance(item.value, list):
            flat.extend(item.value)
        else:
            flat.append(item.value)
    return flat


def _combined(items: list[Coerced]) -> Coerced:
    """Several coerced answers as one list-valued answer (use apply_multi_value to choose)."""
    present = [item for item in items if item.value is not None]
    if not present:
        flags = [f for item in items for f in item.flags]
        return _made(None, flags, error=next((i.error for i in items if i.error), None))
    if len(present) == 1:
        return present[0]
    values = _scalars(present)
    units = {item.unit for item in present}
    precisions = {item.precision for item in present}
    return _made(
        values,
        [f for item in items for f in item.flags],
        unit=units.pop() if len(units) == 1 else None,
        precision=precisions.pop() if len(precisions) == 1 else None,
        error=next((item.error for item in items if item.error), None),
    )


def coerce_values(
    raw: object,
    variable_type: VariableType,
    *,
    classification: ClassificationRules | None = None,
    validation: ValidationRules | None = None,
) -> list[Coerced]:
    """Coerce every element of a list answer (or the single answer) separately."""
    elements = raw if isinstance(raw, list | tuple) else [raw]
    return [
        coerce_value(element, variable_type, classification=classification, validation=validation)
        for element in elements
    ]


def coerce_value(
    raw: object,
    variable_type: VariableType,
    *,
    classification: ClassificationRules | None = None,
    validation: ValidationRules | None = None,
) -> Coerced:
    """Coerce a raw answer to ``variable_type`` and check the validation rules; never raises.

    A list answer gives a list value (elements coerced one by one); to apply a variable's
    multi-value rule use ``coerce_values`` and ``apply_multi_value`` instead.
    """
    if isinstance(raw, list | tuple):
        items = coerce_values(
            raw, variable_type, classification=classification, validation=validation
        )
        return _combined(items)
    if variable_type is VariableType.NUMBER:
        coerced = _coerce_number(raw)
    elif variable_type is VariableType.DATE:
        coerced = _coerce_date(raw)
    elif variable_type is VariableType.BOOLEAN:
        coerced = _coerce_boolean(raw)
    elif variable_type is VariableType.CATEGORY:
        coerced = _coerce_category(raw, classification)
    else:
        coerced = _coerce_text(raw)
    return coerced if validation is None else _validated(coerced, variable_type, validation)


@dataclass(frozen=True, slots=True)
class MultiValueOutcome:
    """The value kept under a variable's multi-value rule (a list under ALL)."""

    value: JsonValue
    display: str | None
    items: list[Coerced]
    flags: list[str]
    needs_review: bool = False


def _distinct(values: list[Coerced]) -> list[Coerced]:
    seen: set[tuple[str, str | None]] = set()
    kept: list[Coerced] = []
    for item in values:
        key = (json.dumps(item.value, sort_keys=True), item.unit)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def apply_multi_value(
    values: list[Coerced], action: MultiValueAction, max_values: int | None
) -> MultiValueOutcome:
    """Choose among several answers (empty ones ignored, repeats of one value counted once)."""
    present = [item for item in values if item.value is not None]
    distinct = _distinct(present)
    flags: list[str] = []
    needs_review = False
    if not distinct:
        return MultiValueOutcome(None, None, [], [])
    if action is MultiValueAction.ALL:
        kept = distinct[:max_values] if max_values is not None else distinct
        if len(kept) < len(distinct):
            flags.append(TOO_MANY_VALUES)
        value: JsonValue = _scalars(kept)
    else:
        if action is MultiValueAction.MOST_FREQUENT:
            keys = [json.dumps(item.value, sort_keys=True) for item in present]
            # max() keeps the first of equally frequent values: the earliest in the document.
            best = max(range(len(present)), key=lambda i: (keys.count(keys[i]), -i))
            chosen = present[best]
        else:
            chosen = distinct[0]
            if action is MultiValueAction.FLAG_FOR_REVIEW and len(distinct) > 1:
                flags.append(MULTIPLE_VALUES)
                needs_review = True
        kept = [chosen]
        value = chosen.value
    merged = [flag for item in kept for flag in item.flags] + flags
    return MultiValueOutcome(
        value, display_of(value), kept, list(dict.fromkeys(merged)), needs_review
    )


@dataclass(frozen=True, slots=True)
class UncertaintyOutcome:
    """Whether to keep a value and send it to review, given its confidence."""

    keep_value: bool
    needs_review: bool
    flags: list[str]
    confidence: float | None


def apply_uncertainty(
    confidence: float | None, handling: UncertaintyHandling
) -> UncertaintyOutcome:
    """Apply ``ifUncertain`` when confidence is missing or below ``confidenceThreshold``.

    LEAVE_EMPTY drops the value, BEST_GUESS keeps it, FLAG_FOR_REVIEW keeps it and marks it
    for review; all three record BELOW_THRESHOLD (or NO_CONFIDENCE) so the reason stays visible.
    """
    if confidence is not None and 1.0 < confidence <= 100.0:
        # Some models answer on a 0-100 scale despite the schema.
        confidence = confidence / 100.0
    if confidence is not None and confidence >= handling.confidence_threshold:
        return UncertaintyOutcome(True, False, [], min(confidence, 1.0))
    flags = [NO_CONFIDENCE if confidence is None else BELOW_THRESHOLD]
    if confidence is not None:
        confidence = max(confidence, 0.0)
    action = handling.if_uncertain
    if action is UncertainAction.LEAVE_EMPTY:
        return UncertaintyOutcome(False, False, [*flags, VALUE_WITHHELD], confidence)
    if action is UncertainAction.BEST_GUESS:
        return UncertaintyOutcome(True, False, flags, confidence)
    return UncertaintyOutcome(True, True, flags, confidence)
