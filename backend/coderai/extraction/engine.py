"""The extraction pipeline for one document: plan the calls over chunks, ask the LLM for
structured answers, ground every quote in the text, coerce values to their types, apply the
uncertainty and multi-value rules, and merge chunk answers (docs/ARCHITECTURE.md,
"The extraction engine"). The parts: `plan` (calls and their schemas), `messages` (what
each call says), `merge` (answers to results).

No database and no HTTP framework here: `extract_document` is usable without a job.
"""

import json
from collections.abc import Sequence
from typing import Any

from coderai.extraction.grounding import DocumentIndex
from coderai.extraction.merge import AnswerCollector
from coderai.extraction.messages import build_messages
from coderai.extraction.plan import ANSWERS_KEY, ENTITIES_KEY, call_budget, call_schema, plan_calls
from coderai.extraction.types import (
    CALL_FAILED,
    CallFailure,
    DocumentExtraction,
    DocumentInput,
    ExtractionOptions,
    ExtractionResult,
    VariablePrompt,
)
from coderai.llm import LLMCallError, LLMClient, LLMOutputError, LLMResult
from coderai.models.enums import GroundingKind, ObservationMode

MISSHAPEN = "the reply does not follow the answer schema"
REPAIR_REQUEST = (
    "Your previous reply could not be used ({problem}). Reply again with only the complete "
    "JSON object, following the schema exactly."
)


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
        system, user = build_messages(
            call, chunk_count, options.context, document_first=options.document_first
        )
        schema = call_schema(call.prompts, options.context.unit.mode)
        mode = options.context.unit.mode
        try:
            budget = call_budget(call.prompts, mode)
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
        outcome.structured_method = result.method
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
