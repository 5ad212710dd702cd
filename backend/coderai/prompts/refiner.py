"""Prompt versions from review: refined drafts built from reviewers' corrections (with an
optional LLM rewrite), manual drafts, activation, and re-applying adopted refinements when a
variable's prompt is regenerated. Drafts are prompts with `is_active=false`; activating one makes
it the version new jobs snapshot.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.database import Database
from coderai.core.errors import Conflict, NotFound
from coderai.jobs import service as job_service
from coderai.llm import LLMCallError, LLMClient, LLMOutputError
from coderai.members import audit
from coderai.models import Project, Prompt, Variable
from coderai.models.enums import LogLevel, PromptOrigin, Verdict
from coderai.prompts import service as prompt_service
from coderai.prompts.generator import GeneratedPrompt, content_hash, generate_prompt
from coderai.prompts.lessons import (
    BUILT_FROM,
    LESSONS_BEGIN,
    RefinementNote,
    Unit,
    as_json,
    build_refinements,
    built_from,
    category_definitions,
    merge_refinements,
    parse_note,
    prompt_diff,
    short_quote,
    split_held_out,
    unit_of,
    with_lessons,
)
from coderai.prompts.schemas import (
    HeldOutRead,
    LlmRewriteRead,
    PromptDraftCreate,
    PromptDraftRead,
    PromptRead,
    RefinementRead,
)
from coderai.review import service as review_service
from coderai.review.analysis import ReviewAnalysis, ReviewedItem, analyse
from coderai.variables import service as variable_service
from coderai.variables.definition import VariableFields

logger = logging.getLogger(__name__)

# Bump when REFINER_SYSTEM or the request built in `_llm_request` changes; stored with drafts.
REFINER_PROMPT_VERSION = "refiner-1"
MAX_CLARIFIED_CHARS = 2000

REFINER_SYSTEM = (
    "You improve the instructions given to a careful research assistant who codes documents "
    "into a dataset. You are shown one variable's definition and the answers reviewers "
    "corrected. Write clarified instructions (at most 150 words) that would have avoided these "
    "errors: state the distinctions the coder missed, when to leave the value empty, and the "
    "expected format. Keep the variable's meaning and its allowed categories unchanged, do not "
    "mention particular documents, and reply with one JSON object."
)
REFINER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"clarifiedInstructions": {"type": "string"}},
    "required": ["clarifiedInstructions"],
    "additionalProperties": False,
}


# -- the LLM rewrite (optional) --------------------------------------------------------------


def _llm_request(
    definition: VariableFields, analysis: ReviewAnalysis, items: Sequence[ReviewedItem]
) -> str:
    lines = [
        f"Variable `{definition.name}`, type {definition.type.value}.",
        "Instructions:",
        definition.instructions,
    ]
    for category, meaning in category_definitions(definition).items():
        lines.append(f"- {category}: {meaning or '(no definition)'}")
    lines.append(f"Reviewed answers: {analysis.reviewed}; judged correct: {analysis.correct}.")
    lines += [f"- {e.kind.value}: {e.count}" for e in analysis.errors]
    lines += [
        f"- confused {p.model_value} for {p.correct_value} ({p.count} times)"
        for p in analysis.confusion
    ]
    lines.append("Corrected answers:")
    shown = 0
    for item in items:
        if item.verdict is Verdict.CORRECT or shown >= 6:
            continue
        truth = as_json(item.truth) if item.truth_known else "(not given)"
        quote = short_quote(item.quote) if item.quote else "(no quote)"
        line = f'- quote "{quote}": answered {as_json(item.model_value)}, correct {truth}'
        lines.append(line + (f"; reviewer: {item.note}" if item.note else ""))
        shown += 1
    return "\n".join(lines)


def _rewrite(used: bool, model: str | None, error: str | None = None) -> LlmRewriteRead:
    return LlmRewriteRead(
        used=used, refiner_prompt_version=REFINER_PROMPT_VERSION, model=model, error=error
    )


async def _llm_rewrite(
    llm: LLMClient,
    definition: VariableFields,
    analysis: ReviewAnalysis,
    items: Sequence[ReviewedItem],
) -> tuple[str | None, LlmRewriteRead]:
    try:
        result = await llm.complete_structured(
            system=REFINER_SYSTEM,
            user=_llm_request(definition, analysis, items),
            json_schema=REFINER_SCHEMA,
            schema_name="prompt_refinement",
            temperature=0.2,
            max_tokens=800,
        )
    except (LLMCallError, LLMOutputError) as exc:
        # The deterministic refinement stands on its own; the rewrite is a bonus.
        logger.warning("refiner %s: LLM rewrite skipped: %s", REFINER_PROMPT_VERSION, exc)
        return None, _rewrite(False, llm.model, error=str(exc))
    text = result.data.get("clarifiedInstructions")
    logger.info(
        "refiner %s rewrote `%s` with %s (%d prompt + %d completion tokens)",
        REFINER_PROMPT_VERSION,
        definition.name,
        result.model,
        result.usage.prompt_tokens,
        result.usage.completion_tokens,
    )
    if not isinstance(text, str) or not text.strip():
        return None, _rewrite(False, result.model, error="the model returned no instructions")
    return text.strip()[:MAX_CLARIFIED_CHARS], _rewrite(True, result.model)


# -- services ------------------------------------------------------------------------------


async def _generated(
    session: AsyncSession, variable: Variable, model: str
) -> tuple[VariableFields, GeneratedPrompt]:
    project = await session.get_one(Project, variable.project_id)
    definition = prompt_service.definition_of(variable)
    generated = generate_prompt(prompt_service.context_of(project), definition, model=model)
    return definition, generated


async def _same_draft(
    session: AsyncSession, variable_id: uuid.UUID, digest: str, origin: PromptOrigin
) -> Prompt | None:
    return await session.scalar(
        select(Prompt)
        .where(
            Prompt.variable_id == variable_id,
            Prompt.content_hash == digest,
            Prompt.origin == origin,
            Prompt.is_active.is_(False),
        )
        .order_by(Prompt.version.desc())
        .limit(1)
    )


async def _add_draft(
    session: AsyncSession,
    variable: Variable,
    active: Prompt | None,
    *,
    prompt_text: str,
    llm_config: dict[str, Any],
    response_schema: dict[str, Any],
    origin: PromptOrigin,
    note: str | None,
) -> Prompt:
    digest = content_hash(prompt_text, llm_config, response_schema)
    if active is not None and active.content_hash == digest:
        raise Conflict(f"The draft is identical to the active version (v{active.version}).")
    # Retrying the same request gives back the same draft rather than a duplicate version.
    existing = await _same_draft(session, variable.id, digest, origin)
    if existing is not None:
        return existing
    return await prompt_service.add_version(
        session,
        variable,
        prompt_text=prompt_text,
        llm_config=llm_config,
        response_schema=response_schema,
        content_hash=digest,
        origin=origin,
        activate=False,
        note=note,
    )


@dataclass
class RefinementPlan:
    """What a refinement is built from, read in one short transaction; the optional LLM
    rewrite runs after it has closed (docs/ARCHITECTURE.md, "Transactions")."""

    variable_id: uuid.UUID
    variable_name: str
    job_id: uuid.UUID | None
    definition: VariableFields
    generated: GeneratedPrompt
    items: list[ReviewedItem]  # learnt from
    analysis: ReviewAnalysis  # of `items`
    held_out: list[ReviewedItem]  # kept out to score the draft on (prompts.evaluation)
    learnt: set[Unit]  # every unit the draft's lessons come from, earlier refinements' too


async def plan_refinement(
    session: AsyncSession,
    variable: Variable,
    *,
    job_id: uuid.UUID | None,
    model: str,
    hold_out: bool = True,
) -> RefinementPlan:
    """Read the variable's reviewed answers; 409 when there is nothing to learn from."""
    if job_id is not None:
        await review_service.check_job(session, job_id, variable.project_id)
    reviewed = (await review_service.reviewed_items(session, [variable.id], job_id))[variable.id]
    if not reviewed:
        raise Conflict(f"No reviewed answers of '{variable.name}' yet: review some first.")
    active = await prompt_service.active_prompt(session, variable.id)
    earlier = built_from(active.note if active else None)
    items, held_out = (
        split_held_out(reviewed, earlier, salt=str(variable.id))
        if hold_out
        else (list(reviewed), [])
    )
    analysis = analyse(variable.type, items)
    if analysis.correct == analysis.reviewed:
        raise Conflict(
            f"Every reviewed answer of '{variable.name}' to learn from is correct "
            f"({len(held_out)} more are held out to score the draft): nothing to refine."
        )
    definition, generated = await _generated(session, variable, model)
    return RefinementPlan(
        variable.id,
        variable.name,
        job_id,
        definition,
        generated,
        items,
        analysis,
        held_out,
        earlier | {unit_of(i) for i in items},
    )


async def refine_variable(
    database: Database,
    variable_id: uuid.UUID,
    *,
    job_id: uuid.UUID | None,
    llm: LLMClient | None,
    model: str,
    hold_out: bool = True,
) -> RefinementRead:
    """Propose a REFINED draft (not active) from the variable's reviewed errors, with its diff
    from the active version and the analysis it was built from; 409 when there is nothing to
    learn from. Reads, asks the LLM (when given one) and stores in three steps, so no
    transaction is open while the model answers."""
    async with database.transaction() as session:
        variable = await variable_service.get_variable(session, variable_id)
        plan = await plan_refinement(
            session, variable, job_id=job_id, model=model, hold_out=hold_out
        )
    clarified, rewrite = None, _rewrite(False, None)
    if llm is not None:
        clarified, rewrite = await _llm_rewrite(llm, plan.definition, plan.analysis, plan.items)
    async with database.transaction() as session:
        variable = await variable_service.get_variable(session, variable_id)
        return await store_refinement(session, variable, plan, clarified, rewrite)


async def store_refinement(
    session: AsyncSession,
    variable: Variable,
    plan: RefinementPlan,
    clarified: str | None,
    rewrite: LlmRewriteRead,
) -> RefinementRead:
    """Add the draft built from `plan` (and the rewrite's clarified instructions, if any)."""
    definition, generated, analysis, job_id = (
        plan.definition,
        plan.generated,
        plan.analysis,
        plan.job_id,
    )
    active = await prompt_service.active_prompt(session, variable.id)
    carried = parse_note(active.note) if active else None
    refinements = build_refinements(definition, analysis, plan.items)
    if clarified is not None:
        refinements = refinements.model_copy(update={"clarified_instructions": clarified})
    if refinements.is_empty():
        raise Conflict(
            f"The reviewed errors of '{variable.name}' give nothing to add to its prompt "
            "(the wrong answers had the right value or no quote to learn from)."
        )
    refinements = merge_refinements(carried.refinements if carried else None, refinements)

    base_text = active.prompt_text if active else generated.prompt_text
    summary = (
        f"Refined from {analysis.reviewed} reviewed answers "
        f"({analysis.reviewed - analysis.correct} not correct)"
        + (" of the reviewed job" if job_id else " across jobs")
        + f"; {len(plan.held_out)} held out to score it."
    )
    note = RefinementNote(
        summary=summary,
        refinements=refinements,
        variable_type=definition.type,
        details={
            "basedOn": {
                "jobId": str(job_id) if job_id else None,
                "reviewed": analysis.reviewed,
                "accuracy": analysis.accuracy,
                "fromVersion": active.version if active else None,
                "heldOut": len(plan.held_out),
            },
            BUILT_FROM: sorted([document, entity] for document, entity in plan.learnt),
            "refiner": rewrite.model_dump(mode="json", by_alias=True),
        },
    )
    draft = await _add_draft(
        session,
        variable,
        active,
        prompt_text=with_lessons(base_text, refinements, definition),
        llm_config=dict(active.llm_config if active else generated.llm_config),
        response_schema=generated.response_schema,
        origin=PromptOrigin.REFINED,
        note=note.dumps(),
    )
    if job_id is not None:
        await job_service.log(
            session,
            job_id,
            LogLevel.INFO,
            "prompt_refined",
            f"Draft v{draft.version} of '{variable.name}' proposed from review.",
            variable_id=variable.id,
            details={
                "promptId": str(draft.id),
                "refinerPromptVersion": REFINER_PROMPT_VERSION,
                "llmUsed": rewrite.used,
                "llmModel": rewrite.model,
            },
        )
    logger.info(
        "refiner %s: draft v%d of %s (llm used: %s)",
        REFINER_PROMPT_VERSION,
        draft.version,
        variable.name,
        rewrite.used,
    )
    return RefinementRead(
        draft=PromptRead.model_validate(draft),
        active_version=active.version if active else None,
        diff=prompt_diff(active, draft),
        refinements=refinements,
        analysis=review_service.analysis_read(variable, job_id, analysis),
        llm=rewrite,
        held_out=[
            HeldOutRead(document_id=i.document_id, entity_index=i.entity_index)
            for i in plan.held_out
        ],
    )


async def create_manual_draft(
    session: AsyncSession, variable: Variable, data: PromptDraftCreate, *, model: str
) -> PromptDraftRead:
    """Store a hand-edited prompt as a MANUAL draft (not active) and show its diff."""
    definition, generated = await _generated(session, variable, model)
    active = await prompt_service.active_prompt(session, variable.id)
    config = dict(active.llm_config if active else generated.llm_config)
    if data.llm_config is not None:
        config.update(data.llm_config.model_dump(exclude_none=True, by_alias=True))
    text = data.prompt_text.rstrip()
    note = data.note
    carried = parse_note(active.note) if active else None
    if carried is not None and LESSONS_BEGIN in text:
        # The edit kept the lessons block: keep the refinements re-appliable too.
        note = RefinementNote(
            summary=data.note or "Manual edit of a refined prompt.",
            refinements=carried.refinements,
            variable_type=definition.type,
            details={"editedFrom": active.version if active else None},
        ).dumps()
    draft = await _add_draft(
        session,
        variable,
        active,
        prompt_text=text,
        llm_config=config,
        response_schema=generated.response_schema,
        origin=PromptOrigin.MANUAL,
        note=note,
    )
    return PromptDraftRead(
        draft=PromptRead.model_validate(draft),
        active_version=active.version if active else None,
        diff=prompt_diff(active, draft),
    )


async def activate_prompt(session: AsyncSession, prompt_id: uuid.UUID, *, model: str) -> Prompt:
    """Make a prompt version the active one (the previous one is deactivated); 409 when it was
    written for an earlier definition of the variable."""
    prompt = await session.get(Prompt, prompt_id)
    if prompt is None:
        raise NotFound(f"Prompt '{prompt_id}' not found.")
    # Concurrent activations of one variable's prompts take turns.
    variable = await session.scalar(
        select(Variable).where(Variable.id == prompt.variable_id).with_for_update()
    )
    if variable is None:
        raise NotFound(f"Prompt '{prompt_id}' not found.")
    if prompt.is_active:
        return prompt
    _, generated = await _generated(session, variable, model)
    if prompt.response_schema != generated.response_schema:
        raise Conflict(
            f"Prompt v{prompt.version} was written for an earlier definition of "
            f"'{variable.name}' (its answer schema differs): create a new draft instead."
        )
    await session.execute(
        update(Prompt)
        .where(Prompt.variable_id == variable.id, Prompt.is_active)
        .values(is_active=False)
    )
    prompt.is_active = True
    await session.flush()
    await session.refresh(prompt)
    audit.note(session, variable=variable.name, version=prompt.version)
    return prompt
