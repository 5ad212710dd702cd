"""Merging answers: each reply's answers are coerced and grounded, judged on their own
evidence (grounding, uncertainty rule), then merged per (entity, variable) across a document's
calls by the multi-value rule.
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coderai.extraction.chunker import Chunk
from coderai.extraction.coercion.values import (
    Coerced,
    apply_multi_value,
    apply_uncertainty,
    coerce_value,
    coerce_values,
    display_of,
)
from coderai.extraction.grounding import DocumentIndex, Grounding, Window
from coderai.extraction.plan import ANSWERS_KEY, ENTITIES_KEY, ENTITY_KEY, VARIABLE_KEY, PlannedCall
from coderai.extraction.types import (
    ExtractionOptions,
    ExtractionResult,
    VariablePrompt,
)
from coderai.models.enums import GroundingKind, MultiValueAction, ObservationMode

logger = logging.getLogger(__name__)

UNGROUNDED = "UNGROUNDED"


DEFAULT_APPLIED = "DEFAULT_APPLIED"


GROUNDING_RANK = {
    GroundingKind.EXACT: 3,
    GroundingKind.NORMALIZED: 2,
    GroundingKind.FUZZY: 1,
    GroundingKind.NONE: 0,
}


@dataclass
class _Candidate:
    """One variable's answer from one call, coerced and grounded (before merging)."""

    prompt: VariablePrompt
    chunk_index: int
    items: list[Coerced]
    raw: Any
    confidence: float | None
    quote: str | None
    reasoning: str | None
    grounding: Grounding

    @property
    def has_value(self) -> bool:
        return any(item.value is not None for item in self.items)

    def rank(self) -> tuple[int, int, float]:
        return (int(self.has_value), GROUNDING_RANK[self.grounding.kind], self.confidence or 0.0)


def _confidence(answer: dict[str, Any]) -> float | None:
    value = answer.get("confidence")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _candidate(
    prompt: VariablePrompt,
    answer: Any,
    chunk: Chunk,
    index: DocumentIndex,
    options: ExtractionOptions,
    near: Window,
) -> _Candidate:
    answer = answer if isinstance(answer, dict) else {"value": answer}
    raw = answer.get("value")
    definition = prompt.definition
    classification, validation = definition.classification_rules, definition.validation_rules
    items = (
        coerce_values(raw, definition.type, classification=classification, validation=validation)
        if isinstance(raw, list)
        else [
            coerce_value(raw, definition.type, classification=classification, validation=validation)
        ]
    )
    quote = answer.get("quote") if isinstance(answer.get("quote"), str) else None
    grounding = index.ground(quote, fuzzy_threshold=options.fuzzy_threshold, near=near)
    reasoning = answer.get("reasoning")
    return _Candidate(
        prompt,
        chunk.index,
        items,
        raw,
        _confidence(answer),
        quote,
        reasoning if isinstance(reasoning, str) else None,
        grounding,
    )


@dataclass
class _Judged:
    """One answer after its own evidence is weighed: grounding and the uncertainty rule."""

    candidate: _Candidate
    items: list[Coerced]  # the values it keeps (none when withheld or not coercible)
    confidence: float | None
    flags: list[str]
    needs_review: bool

    def position(self) -> tuple[int, int]:
        """Where the answer's quote sits in the document (answers without one last)."""
        grounding = self.candidate.grounding
        return (0, grounding.char_start or 0) if grounding.found else (1, 0)


def _judge(candidate: _Candidate, handling: Any, options: ExtractionOptions) -> _Judged:
    confidence = candidate.confidence
    flags = [flag for item in candidate.items for flag in item.flags]
    needs_review = any(item.flags or item.error for item in candidate.items)
    items = [item for item in candidate.items if item.value is not None]
    if items and not candidate.grounding.found:
        # A value the document does not visibly support is never silently trusted.
        flags.append(UNGROUNDED)
        needs_review = True
        confidence = min(confidence or 0.0, options.ungrounded_confidence_cap)
    if items:
        certainty = apply_uncertainty(confidence, handling)
        flags += certainty.flags
        needs_review |= certainty.needs_review
        confidence = certainty.confidence
        if not certainty.keep_value:
            items = []
    return _Judged(candidate, items, confidence, flags, needs_review)


def _finalise(
    candidates: list[_Candidate],
    entity_index: int,
    entity_key: str | None,
    options: ExtractionOptions,
) -> ExtractionResult:
    """Merge one variable's answers (from several chunks, or several values in one reply).

    Each answer is first judged on its own evidence (grounding, uncertainty rule); the
    multi-value rule then chooses among the values kept, in document order: ALL keeps every
    one (the row's confidence is the weakest kept), the others one value, whose best-grounded,
    most confident answer supplies the quote. Defaults fill what is left empty."""
    prompt = candidates[0].prompt
    handling = prompt.definition.uncertainty_handling
    several = handling.if_multiple_values is MultiValueAction.ALL
    judged = sorted((_judge(c, handling, options) for c in candidates), key=_Judged.position)
    chosen = apply_multi_value(
        [item for j in judged for item in j.items],
        handling.if_multiple_values,
        handling.max_values,
    )
    kept = [j for j in judged if any(item in chosen.items for item in j.items)]
    if kept and not several:
        kept = [max(kept, key=lambda j: j.candidate.rank())]
    # Why a value is missing (withheld, not coercible) is said even when none is kept.
    reasons = kept if kept and not several else judged
    best = max(kept or judged, key=lambda j: j.candidate.rank())
    flags = [flag for j in reasons for flag in j.flags] + chosen.flags
    needs_review = chosen.needs_review or any(j.needs_review for j in reasons)
    confidences = [j.confidence for j in kept if j.confidence is not None]
    confidence = min(confidences) if several and confidences else best.confidence
    value = chosen.value
    if value is None and prompt.definition.default_value is not None:
        value = prompt.definition.default_value
        flags.append(DEFAULT_APPLIED)
    units = {item.unit for item in chosen.items if item.unit}
    source = best.candidate
    grounding = source.grounding
    return ExtractionResult(
        variable_id=prompt.variable_id,
        prompt_id=prompt.prompt_id,
        prompt_version=prompt.prompt_version,
        entity_index=entity_index,
        entity_key=entity_key,
        value=value,
        display_value=display_of(value),
        raw_value=None if source.raw is None else _raw_text(source.raw),
        unit=units.pop() if len(units) == 1 else None,
        confidence=None if confidence is None else round(confidence, 4),
        source_text=source.quote,
        char_start=grounding.char_start,
        char_end=grounding.char_end,
        page=grounding.page,
        reasoning=source.reasoning,
        grounding=grounding.kind,
        flags=list(dict.fromkeys(flags)),
        needs_review=needs_review,
    )


def _raw_text(raw: Any) -> str:
    return raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)


def _entity_key(record: dict[str, Any]) -> str | None:
    ident = record.get(ENTITY_KEY)
    value = ident.get("value") if isinstance(ident, dict) else ident
    if value is None or not str(value).strip():
        return None
    return str(value).strip()


def _entity_windows(
    keys: Sequence[str | None], chunk: Chunk, index: DocumentIndex
) -> dict[str | None, Window]:
    """Where each entity's passage lies in the chunk: from the first mention of its
    identifier to the next entity's, so a quote that several entities share ("Age: 50") is
    located in the passage of the entity that gave it. Entities whose identifier is not
    found are not given a window (their answers are located within the chunk)."""
    whole = (chunk.char_start, chunk.char_end)
    starts: dict[str, int] = {}
    for key in dict.fromkeys(k for k in keys if k):
        found = index.ground(key, near=whole)
        if found.found and found.char_start is not None:
            starts[key] = max(found.char_start, chunk.char_start)
    ordered = sorted(set(starts.values()))
    ends = dict(zip(ordered, [*ordered[1:], chunk.char_end], strict=True))
    return {key: (start, max(ends[start], start)) for key, start in starts.items()}


def _name_key(name: Any) -> str:
    return " ".join(str(name).split()).casefold()


def _answers(record: dict[str, Any]) -> list[dict[str, Any]]:
    answers = record.get(ANSWERS_KEY)
    return [a for a in answers if isinstance(a, dict)] if isinstance(answers, list) else []


def _merge_key(key: str | None) -> str | None:
    return " ".join(key.casefold().split()) if key else None


class AnswerCollector:
    """Gathers a document's answers per (entity, variable) across its calls' replies, then
    merges each variable's answers into one result (`_finalise`)."""

    def __init__(self, mode: ObservationMode) -> None:
        self.mode = mode
        self.entities: dict[str, tuple[int, str | None]] = {}  # merge key -> (index, key)
        self.by_slot: dict[tuple[int, Any], list[_Candidate]] = {}
        self.prompts: dict[Any, VariablePrompt] = {}

    def _entity(self, key: str | None, fallback: str) -> tuple[int, str | None]:
        merge = _merge_key(key) or fallback
        if merge not in self.entities:
            self.entities[merge] = (len(self.entities), key)
        return self.entities[merge]

    def add(
        self,
        call: PlannedCall,
        data: dict[str, Any],
        index: DocumentIndex,
        options: ExtractionOptions,
    ) -> None:
        chunk = call.chunk
        if self.mode is ObservationMode.ENTITY:
            records = data.get(ENTITIES_KEY)
            records = (
                [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []
            )
            keys = [_entity_key(record) for record in records]
            windows = _entity_windows(keys, chunk, index)
            for position, (record, key) in enumerate(zip(records, keys, strict=True)):
                entity, _ = self._entity(key, f"chunk{chunk.index}#{position}")
                near = windows.get(key, (chunk.char_start, chunk.char_end))
                self._add_answers(entity, call, _answers(record), index, options, near)
        else:
            near = (chunk.char_start, chunk.char_end)
            self._add_answers(0, call, _answers(data), index, options, near)

    def _add_answers(
        self,
        entity: int,
        call: PlannedCall,
        answers: list[dict[str, Any]],
        index: DocumentIndex,
        options: ExtractionOptions,
        near: Window,
    ) -> None:
        """One candidate per answer (a variable with several values has several); a variable
        the reply left out gets an empty one, so it is reported as not found."""
        by_name: dict[str, list[dict[str, Any]]] = {}
        for answer in answers:
            by_name.setdefault(_name_key(answer.get(VARIABLE_KEY)), []).append(answer)
        for prompt in call.prompts:
            self.prompts[prompt.variable_id] = prompt
            slot = self.by_slot.setdefault((entity, prompt.variable_id), [])
            for answer in by_name.pop(_name_key(prompt.name), None) or [{"value": None}]:
                slot.append(_candidate(prompt, answer, call.chunk, index, options, near))
        if by_name:
            logger.warning("answers for unknown variables ignored: %s", ", ".join(sorted(by_name)))

    def results(
        self, prompts: Sequence[VariablePrompt], options: ExtractionOptions
    ) -> list[ExtractionResult]:
        keys = {index: key for index, key in self.entities.values()}
        entities = sorted(keys) if self.mode is ObservationMode.ENTITY else [0]
        results = []
        for entity in entities:
            for prompt in prompts:
                candidates = self.by_slot.get((entity, prompt.variable_id))
                if candidates:
                    results.append(_finalise(candidates, entity, keys.get(entity), options))
        return results
