"""The extraction pipeline for one document: plan the calls over chunks, ask the LLM for
structured answers, ground every quote in the text, coerce values to their types, apply the
uncertainty and multi-value rules, and merge chunk answers (DESIGN.md §5).

No database and no HTTP framework here: `extract_document` is usable without a job.
"""

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coderai.extraction.chunker import Chunk, chunk_text
from coderai.extraction.coercion.values import (
    Coerced,
    apply_multi_value,
    apply_uncertainty,
    coerce_value,
    coerce_values,
    display_of,
)
from coderai.extraction.grounding import DocumentIndex, Grounding, Window
from coderai.extraction.types import (
    CALL_FAILED,
    CallFailure,
    DocumentExtraction,
    DocumentInput,
    ExtractionOptions,
    ExtractionResult,
    VariablePrompt,
)
from coderai.llm.client import LLMCallError, LLMClient, LLMOutputError, LLMResult
from coderai.models.enums import GroundingKind, MultiValueAction, ObservationMode
from coderai.prompts.generator import (
    ANSWER_FIELDS,
    TYPE_GUIDANCE,
    ProjectContext,
    question_of,
    shared_preamble,
)

logger = logging.getLogger(__name__)

# Bump when the wording below changes: stored with every job's options for reproducibility.
ENTITY_KEY = "entity_id"
UNGROUNDED = "UNGROUNDED"
DEFAULT_APPLIED = "DEFAULT_APPLIED"
GROUNDING_RANK = {
    GroundingKind.EXACT: 3,
    GroundingKind.NORMALIZED: 2,
    GroundingKind.FUZZY: 1,
    GroundingKind.NONE: 0,
}
ANSWERS_KEY = "answers"
ENTITIES_KEY = "entities"
VARIABLE_KEY = "variable"
# The value types of answers when the prompts say nothing usable about them.
ANY_VALUE = ("string", "number", "boolean")
REPLY_FORMAT = "Reply in JSON as the schema asks."
MISSHAPEN = "the reply does not follow the answer schema"
REPAIR_REQUEST = (
    "Your previous reply could not be used ({problem}). Reply again with only the complete "
    "JSON object, following the schema exactly."
)


@dataclass(frozen=True)
class PlannedCall:
    chunk: Chunk
    prompts: list[VariablePrompt]


def plan_calls(
    document: DocumentInput, prompts: Sequence[VariablePrompt], options: ExtractionOptions
) -> list[PlannedCall]:
    """One call per chunk for all variables (combined), or per chunk and variable."""
    chunks = chunk_text(
        document.text,
        document.page_offsets,
        max_tokens=options.chunk_size(options.context.unit.mode),
        overlap_tokens=options.chunk_overlap_tokens,
    )
    if options.call_mode == "per_variable":
        return [PlannedCall(chunk, [prompt]) for chunk in chunks for prompt in prompts]
    return [PlannedCall(chunk, list(prompts)) for chunk in chunks]


def _value_types(schema: dict[str, Any]) -> list[str]:
    """The scalar JSON types a stored value schema allows (an array's items for prompts stored
    before answers held one value each)."""
    declared = schema.get("type", [])
    types = [declared] if isinstance(declared, str) else list(declared)
    if "array" in types:
        types = [t for t in types if t != "array"] + _value_types(schema.get("items") or {})
    return types


def answer_value_schema(prompts: Sequence[VariablePrompt]) -> dict[str, Any]:
    """The `value` schema of a call's answers: the variable's own when the call has one kind
    of value (say, one category variable), else the union of their types. Prompts stored
    before answers held one value each may ask for a list: the union then allows one."""
    schemas = [p.response_schema.get("properties", {}).get("value") for p in prompts]
    known = [s for s in schemas if isinstance(s, dict)]
    distinct = {json.dumps(s, sort_keys=True): s for s in known}
    if len(distinct) == 1 and len(known) == len(prompts):
        return next(iter(distinct.values()))
    types = [t for s in known for t in _value_types(s)] or list(ANY_VALUE)
    scalars = [*dict.fromkeys(t for t in types if t != "null")]
    value = {"type": [*scalars, "null"]}
    if any("array" in str(s.get("type")) for s in known):
        return {"anyOf": [value, {"type": "array", "items": {"type": scalars}}]}
    return value


def call_schema(prompts: Sequence[VariablePrompt], mode: ObservationMode) -> dict[str, Any]:
    """The JSON schema of one call's reply: `answers`, a list of answers that each name their
    variable (one per value), or in ENTITY mode `entities`, each with its identifier and its
    answers. Its size does not grow with the variables' count beyond their names."""
    answer = {
        "type": "object",
        "properties": {
            VARIABLE_KEY: {"type": "string", "enum": [p.name for p in prompts]},
            "quote": {"type": ["string", "null"]},
            "reasoning": {"type": "string"},
            "value": answer_value_schema(prompts),
            "confidence": {"type": "number"},
        },
        "required": [VARIABLE_KEY, *ANSWER_FIELDS],
        "additionalProperties": False,
    }
    answers = {"type": "array", "items": answer}
    if mode is ObservationMode.ENTITY:
        entity = _object({ENTITY_KEY: {"type": ["string", "null"]}, ANSWERS_KEY: answers})
        return _object({ENTITIES_KEY: {"type": "array", "items": entity}})
    return _object({ANSWERS_KEY: answers})


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def build_messages(call: PlannedCall, chunk_count: int, context: ProjectContext) -> tuple[str, str]:
    """System and user messages: the document first and the questions last, so providers'
    prefix caching covers the document across the calls made on it."""
    preamble = shared_preamble(context)
    system = preamble + "\n" + REPLY_FORMAT
    parts = ["<document>", call.chunk.text, "</document>"]
    if chunk_count > 1:
        parts.append(
            f"This is part {call.chunk.index + 1} of {chunk_count} of the document; answer from "
            "this part only (null where this part does not say)."
        )
    parts += combined_questions(
        [(p.name, question_of(p.prompt_text, preamble)) for p in call.prompts]
    )
    answers = (
        f"`{ANSWERS_KEY}`: at least one per variable above, and one per value where a "
        "variable's rules ask for each value"
    )
    if context.unit.mode is ObservationMode.ENTITY:
        closing = (
            f"List every entity in `{ENTITIES_KEY}` with its identifier as the document writes "
            f"it in `{ENTITY_KEY}` and its {answers}."
        )
    else:
        closing = f"Give {answers}."
    return system, "\n".join([*parts, "", closing])


# Shortest line worth stating once for several variables (shorter ones are labels and the like).
_SHARED_RULE_MIN_CHARS = 20
_ANSWER_FORMATS = frozenset(TYPE_GUIDANCE.values())


def _shareable(line: str) -> bool:
    """A whole sentence standing on its own line: not a heading, list item or lessons marker."""
    return len(line) >= _SHARED_RULE_MIN_CHARS and line[0].isupper() and line.endswith(".")


def _heading(name: str, question: str) -> tuple[str, str]:
    """A variable's section heading and body: its generated first line ("Variable x: number")
    becomes the heading; an edited prompt without one is headed by the name."""
    first, _, rest = question.partition("\n")
    if first.startswith((f"Variable {name}:", f"Variable {name} (")):
        return f"### {first.removeprefix('Variable ')}", rest
    return f"### {name}", question


def combined_questions(questions: Sequence[tuple[str, str]]) -> list[str]:
    """The variables' questions of one call, as lines. The answer format of each type ("Number
    answers: …") is stated once at the top; any other rule line that several questions repeat
    word for word is stated once, above them, for exactly the variables whose prompt carries
    it; everything else stays in its variable's section, so no rule is lost and edited prompts
    keep theirs."""
    owners: dict[str, list[str]] = {}
    for name, question in questions:
        for line in dict.fromkeys(question.splitlines()):
            if _shareable(line):
                owners.setdefault(line, []).append(name)
    formats = [line for line in owners if line in _ANSWER_FORMATS]
    shared = {
        line: names for line, names in owners.items() if len(names) > 1 or line in _ANSWER_FORMATS
    }
    groups: dict[tuple[str, ...], list[str]] = {}
    for line, names in shared.items():
        if line not in _ANSWER_FORMATS:
            groups.setdefault(tuple(names), []).append(line)
    everyone = [name for name, _ in questions]
    parts: list[str] = ["", *formats] if formats else []
    for owned_by, lines in groups.items():
        others = [name for name in everyone if name not in owned_by]
        if not others:
            heading = "all variables"
        elif len(others) < len(owned_by):
            heading = "every variable except " + ", ".join(others)
        else:
            heading = ", ".join(owned_by)
        parts += ["", f"### Rules for {heading}", *lines]
    for name, question in questions:
        heading, body = _heading(name, question)
        kept = [line for line in body.splitlines() if line not in shared]
        text = "\n".join(kept)
        if len(kept) < len(body.splitlines()):
            text = re.sub(r"\n{3,}", "\n\n", text).strip()
        parts += ["", heading, *([text] if text else [])]
    return parts


def _call_budget(prompts: Sequence[VariablePrompt], mode: ObservationMode) -> tuple[float, int]:
    temperature = min(float(p.llm_config.get("temperature", 0.0)) for p in prompts)
    max_tokens = sum(int(p.llm_config.get("maxTokens", 400)) for p in prompts)
    if mode is ObservationMode.ENTITY:
        max_tokens *= 4  # several records per call
    return temperature, min(max_tokens, 16_000)


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


def _follows_layout(data: dict[str, Any], mode: ObservationMode) -> bool:
    """Whether a reply has the list the schema asks for (JSON mode and function calling do
    not enforce the schema, so a reply may be valid JSON of another shape)."""
    key = ENTITIES_KEY if mode is ObservationMode.ENTITY else ANSWERS_KEY
    return isinstance(data.get(key), list)


async def _ask(
    llm: LLMClient,
    system: str,
    user: str,
    schema: dict[str, Any],
    budget: tuple[float, int],
    mode: ObservationMode,
    outcome: DocumentExtraction,
) -> LLMResult:
    """One structured call with one repair re-ask for malformed, truncated or misshapen JSON."""
    temperature, max_tokens = budget

    async def call(request: str, tokens: int) -> LLMResult:
        result = await llm.complete_structured(
            system=system, user=request, json_schema=schema, schema_name="extraction",
            temperature=temperature, max_tokens=min(tokens, 16_000),
        )  # fmt: skip
        if not _follows_layout(result.data, mode):
            raise LLMOutputError(
                "malformed",
                json.dumps(result.data, ensure_ascii=False)[:2000],
                message=MISSHAPEN,
                usage=result.usage,
                cost_usd=result.cost_usd,
            )
        return result

    try:
        return await call(user, max_tokens)
    except LLMOutputError as first:
        _account(
            outcome,
            first.usage.prompt_tokens,
            first.usage.completion_tokens,
            first.usage.cached_tokens,
            first.cost_usd,
        )
        outcome.llm_calls += 1
        if first.kind == "truncated":
            problem, tokens = "it was cut off", max_tokens * 2
        elif str(first) == MISSHAPEN:
            problem, tokens = "it did not follow the schema", max_tokens
        else:
            problem, tokens = "it was not valid JSON", max_tokens
        return await call(user + "\n\n" + REPAIR_REQUEST.format(problem=problem), tokens)


def _account(
    outcome: DocumentExtraction, prompt: int, completion: int, cached: int, cost: float
) -> None:
    outcome.prompt_tokens += prompt
    outcome.completion_tokens += completion
    outcome.cached_tokens += cached
    outcome.cost_usd += cost


async def extract_document(
    llm: LLMClient,
    document: DocumentInput,
    prompts: Sequence[VariablePrompt],
    options: ExtractionOptions,
) -> DocumentExtraction:
    """Code one document against the given prompts; failed calls are recorded, not raised."""
    outcome = DocumentExtraction()
    if not prompts or not document.text.strip():
        return outcome
    calls = plan_calls(document, prompts, options)
    chunk_count = len({call.chunk.index for call in calls})
    index = DocumentIndex(document.text, document.page_offsets)
    collector = AnswerCollector(options.context.unit.mode)
    for call in calls:
        system, user = build_messages(call, chunk_count, options.context)
        schema = call_schema(call.prompts, options.context.unit.mode)
        mode = options.context.unit.mode
        try:
            budget = _call_budget(call.prompts, mode)
            result = await _ask(llm, system, user, schema, budget, mode, outcome)
        except (LLMOutputError, LLMCallError) as exc:
            outcome.llm_calls += 1
            if isinstance(exc, LLMOutputError):
                _account(
                    outcome,
                    exc.usage.prompt_tokens,
                    exc.usage.completion_tokens,
                    exc.usage.cached_tokens,
                    exc.cost_usd,
                )
            outcome.failures.append(
                CallFailure(call.chunk.index, [p.name for p in call.prompts], exc.kind, str(exc))
            )
            continue
        outcome.llm_calls += 1
        usage = result.usage
        _account(
            outcome,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.cached_tokens,
            result.cost_usd,
        )
        collector.add(call, result.data, index, options)
    outcome.results = collector.results(prompts, options)
    _mark_failed_calls(outcome, prompts, options.context.unit.mode)
    return outcome


def _mark_failed_calls(
    outcome: DocumentExtraction, prompts: Sequence[VariablePrompt], mode: ObservationMode
) -> None:
    """A variable whose call failed is unknown, not absent: its answers (from other chunks)
    are flagged as possibly incomplete and sent to review. In DOCUMENT mode one with no
    answer at all gets an empty result that says so (no default applied), as long as other
    calls did answer: a document none of whose calls came back has failed as a whole."""
    failed = {
        p.variable_id for p in prompts if any(p.name in f.variables for f in outcome.failures)
    }
    if not failed or not outcome.results:
        return
    for result in outcome.results:
        if result.variable_id in failed:
            result.flags.append(CALL_FAILED)
            result.needs_review = True
    answered = {result.variable_id for result in outcome.results}
    for prompt in prompts:
        if mode is ObservationMode.DOCUMENT and prompt.variable_id in failed - answered:
            outcome.results.append(
                ExtractionResult(
                    variable_id=prompt.variable_id,
                    prompt_id=prompt.prompt_id,
                    prompt_version=prompt.prompt_version,
                    entity_index=0,
                    entity_key=None,
                    value=None,
                    display_value=None,
                    raw_value=None,
                    unit=None,
                    confidence=None,
                    source_text=None,
                    char_start=None,
                    char_end=None,
                    page=None,
                    reasoning=None,
                    grounding=GroundingKind.NONE,
                    flags=[CALL_FAILED],
                    needs_review=True,
                )
            )
