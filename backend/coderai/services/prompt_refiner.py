"""Prompt versions from review: refined drafts built from reviewers' corrections, manual
drafts, activation, and keeping adopted refinements alive when a prompt is regenerated.

A refinement is stored twice: rendered as a "lessons" block at the end of the prompt text (what
the model reads) and as structured JSON in `Prompt.note` (what regeneration re-applies to a
freshly generated text). Drafts are prompts with `is_active=false`; activating one makes it the
version new jobs snapshot.
"""

import difflib
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.config import get_settings
from coderai.core.errors import Conflict, NotFound
from coderai.models import Project, Prompt, Variable
from coderai.models.enums import LogLevel, PromptOrigin, VariableType, Verdict
from coderai.schemas.feedback import (
    CategoryClarification,
    FewShotExample,
    LlmRewriteRead,
    PromptDraftCreate,
    PromptDraftRead,
    RefinementRead,
    Refinements,
)
from coderai.schemas.variable import PromptRead, VariableFields, VariableUpdate
from coderai.services import feedback_service, job_manager, prompt_service, variable_service
from coderai.services.coercion import JsonValue, coerce_value
from coderai.services.feedback_analyzer import (
    ErrorKind,
    ReviewAnalysis,
    ReviewedItem,
    analyse,
    classify_error,
)
from coderai.services.llm_client import LLMCallError, LLMClient, LLMOutputError
from coderai.services.prompt_generator import content_hash, generate_prompt

logger = logging.getLogger(__name__)

# Bump when REFINER_SYSTEM or the request built in `_llm_request` changes; stored with drafts.
REFINER_PROMPT_VERSION = "refiner-1"
NOTE_FORMAT = "coderai.refinement/1"
LESSONS_BEGIN = "Lessons from reviewed answers:"
LESSONS_END = "(End of lessons from reviewed answers.)"
MAX_EXAMPLES = 8
MAX_QUOTE_CHARS = 300
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

FORMAT_REMINDERS = {
    VariableType.NUMBER: (
        "Give numbers as plain JSON numbers: '.' for decimals, no thousands separators, no "
        "units in the value."
    ),
    VariableType.DATE: "Give dates in ISO 8601 (YYYY-MM-DD, YYYY-MM or YYYY).",
    VariableType.CATEGORY: "Spell the category exactly as it is listed above.",
    VariableType.BOOLEAN: "Answer with JSON true or false, not with words.",
    VariableType.TEXT: (
        "Write the value as reviewers expect it: the document's own spelling, no extra "
        "capitals, spaces or punctuation."
    ),
}


# -- the structured refinement and its rendering (pure) -------------------------------------


def _json(value: JsonValue) -> str:
    return json.dumps(value, ensure_ascii=False)


def _short(quote: str) -> str:
    quote = " ".join(quote.split())
    return quote if len(quote) <= MAX_QUOTE_CHARS else quote[: MAX_QUOTE_CHARS - 1] + "…"


def _label(definition: VariableFields) -> str:
    return f"`{definition.name}`"


def build_refinements(
    definition: VariableFields, analysis: ReviewAnalysis, items: Sequence[ReviewedItem]
) -> Refinements:
    """The additions a draft gets from the reviewed errors: counter-examples (quote → correct
    value), category distinctions, leave-empty and format rules."""
    examples: list[FewShotExample] = []
    for item in items:
        kind = classify_error(definition.type, item)
        if kind is None or not item.truth_known or not item.quote:
            continue
        if kind in (ErrorKind.OTHER, ErrorKind.MISSED):
            continue  # nothing to show: same value, or no passage the model looked at
        examples.append(
            FewShotExample(
                quote=_short(item.quote),
                value=item.truth,
                wrong_value=item.model_value,
                note=item.note,
            )
        )
    counts = {summary.kind: summary.count for summary in analysis.errors}
    leave_empty: list[str] = []
    if counts.get(ErrorKind.INVENTED):
        leave_empty.append(
            f"Leave {_label(definition)} empty (null) when the document does not explicitly "
            "state it; do not infer, compute or assume a value."
        )
    if counts.get(ErrorKind.UNGROUNDED):
        leave_empty.append(
            "Answer only with a value you can support by a verbatim quote from the document; "
            "without such a passage answer null."
        )
    missed = []
    if counts.get(ErrorKind.MISSED):
        missed.append(
            f"Read the whole document before answering null: reviewers found {_label(definition)} "
            "stated in documents where it had been left empty."
        )
    formats = []
    if counts.get(ErrorKind.FORMAT):
        formats.append(FORMAT_REMINDERS[definition.type])
    return Refinements(
        examples=_distinct_examples(examples)[:MAX_EXAMPLES],
        category_clarifications=[
            CategoryClarification(
                model_value=pair.model_value, correct_value=pair.correct_value, count=pair.count
            )
            for pair in analysis.confusion
        ],
        leave_empty_rules=leave_empty,
        missed_value_rules=missed,
        format_rules=formats,
    )


def _distinct_examples(examples: Sequence[FewShotExample]) -> list[FewShotExample]:
    seen: set[tuple[str | None, str]] = set()
    kept = []
    for example in examples:
        key = (example.quote, _json(example.value))
        if key not in seen:
            seen.add(key)
            kept.append(example)
    return kept


def merge_refinements(previous: Refinements | None, new: Refinements) -> Refinements:
    """New lessons first, earlier ones kept (examples capped); a confusion pair seen again
    takes its latest count."""
    if previous is None:
        return new
    pairs = {(c.model_value, c.correct_value): c for c in previous.category_clarifications}
    pairs.update({(c.model_value, c.correct_value): c for c in new.category_clarifications})

    def rules(old: list[str], added: list[str]) -> list[str]:
        return list(dict.fromkeys([*old, *added]))

    return Refinements(
        examples=_distinct_examples([*new.examples, *previous.examples])[:MAX_EXAMPLES],
        category_clarifications=list(pairs.values()),
        leave_empty_rules=rules(previous.leave_empty_rules, new.leave_empty_rules),
        missed_value_rules=rules(previous.missed_value_rules, new.missed_value_rules),
        format_rules=rules(previous.format_rules, new.format_rules),
        clarified_instructions=new.clarified_instructions or previous.clarified_instructions,
    )


def _category_definitions(definition: VariableFields) -> dict[str, str | None]:
    rules = definition.classification_rules
    return {c.value: c.definition for c in rules.categories} if rules else {}


def render_lessons(refinements: Refinements, definition: VariableFields) -> str:
    """The lessons block appended to a prompt (category definitions come from `definition`,
    so a regenerated prompt shows the current ones)."""
    lines = [LESSONS_BEGIN]
    if refinements.clarified_instructions:
        lines += ["Clarified instructions:", refinements.clarified_instructions.strip()]
    if refinements.category_clarifications:
        meanings = _category_definitions(definition)
        lines.append("Categories that were confused:")
        for pair in refinements.category_clarifications:
            times = "once" if pair.count == 1 else f"{pair.count} times"
            line = (
                f"- Reviewers corrected `{pair.model_value}` to `{pair.correct_value}` ({times})."
            )
            for value in (pair.correct_value, pair.model_value):
                if meanings.get(value):
                    line += f" {value} means: {meanings[value]}"
            lines.append(line + f" Check the definitions before answering {pair.model_value}.")
    rules = [
        *refinements.leave_empty_rules,
        *refinements.missed_value_rules,
        *refinements.format_rules,
    ]
    if rules:
        lines.append("Rules:")
        lines += [f"- {rule}" for rule in rules]
    if refinements.examples:
        lines.append("Corrected examples (passage → correct answer):")
        for example in refinements.examples:
            line = f'- "{example.quote}" → {_json(example.value)}'
            if example.value is None:
                line += " (the passage does not state it)"
            if example.wrong_value is not None:
                line += f", not {_json(example.wrong_value)}"
            if example.note:
                line += f" (reviewer: {' '.join(example.note.split())})"
            lines.append(line)
    lines.append(LESSONS_END)
    return "\n".join(lines)


def strip_lessons(prompt_text: str) -> str:
    """The prompt text without its lessons block (text after the block is kept)."""
    begin = prompt_text.find(LESSONS_BEGIN)
    if begin < 0:
        return prompt_text
    end = prompt_text.find(LESSONS_END, begin)
    tail = "" if end < 0 else prompt_text[end + len(LESSONS_END) :]
    return (prompt_text[:begin].rstrip() + tail).rstrip()


def with_lessons(prompt_text: str, refinements: Refinements, definition: VariableFields) -> str:
    """`prompt_text` with its lessons block replaced by `refinements` (appended at the end, so
    the shared project preamble stays a prefix)."""
    base = strip_lessons(prompt_text)
    if refinements.is_empty():
        return base
    return base + "\n\n" + render_lessons(refinements, definition)


def still_valid(
    refinements: Refinements, previous_type: VariableType | None, definition: VariableFields
) -> Refinements:
    """Drop lessons a changed definition made wrong: examples whose value is no longer valid,
    confusion pairs naming a removed category, format reminders of another type."""
    same_type = previous_type is definition.type

    def valid(value: JsonValue) -> bool:
        if value is None:
            return True
        coerced = coerce_value(
            value, definition.type, classification=definition.classification_rules
        )
        return coerced.error is None and coerced.value == value

    categories = set(_category_definitions(definition))
    return Refinements(
        examples=[e for e in refinements.examples if valid(e.value)],
        category_clarifications=[
            c
            for c in refinements.category_clarifications
            if definition.type is VariableType.CATEGORY
            and {c.model_value, c.correct_value} <= categories
        ],
        leave_empty_rules=refinements.leave_empty_rules,
        missed_value_rules=refinements.missed_value_rules,
        format_rules=refinements.format_rules if same_type else [],
        clarified_instructions=refinements.clarified_instructions if same_type else None,
    )


@dataclass(frozen=True)
class RefinementNote:
    """What `Prompt.note` holds for a prompt carrying refinements."""

    summary: str
    refinements: Refinements
    variable_type: VariableType
    details: dict[str, Any]

    def dumps(self) -> str:
        return json.dumps(
            {
                "format": NOTE_FORMAT,
                "summary": self.summary,
                "variableType": self.variable_type.value,
                "refinements": self.refinements.model_dump(mode="json", by_alias=True),
                **self.details,
            },
            ensure_ascii=False,
        )


def parse_note(note: str | None) -> RefinementNote | None:
    """The refinement a prompt carries, or None (plain notes, other prompts)."""
    if not note or not note.startswith("{"):
        return None
    try:
        data = json.loads(note)
        if not isinstance(data, dict) or data.get("format") != NOTE_FORMAT:
            return None
        refinements = Refinements.model_validate(data["refinements"])
        variable_type = VariableType(data["variableType"])
    except (ValueError, KeyError, ValidationError):
        return None
    details = {
        k: v
        for k, v in data.items()
        if k not in ("format", "summary", "variableType", "refinements")
    }
    return RefinementNote(str(data.get("summary", "")), refinements, variable_type, details)


def reapplied(
    previous: Prompt, generated_text: str, definition: VariableFields
) -> tuple[str, str] | None:
    """(text, note) of a regenerated prompt carrying `previous`'s refinements, or None when
    `previous` carries none (or none survive the new definition). For `regenerate`."""
    carried = parse_note(previous.note)
    if carried is None:
        return None
    refinements = still_valid(carried.refinements, carried.variable_type, definition)
    if refinements.is_empty():
        return None
    note = RefinementNote(
        summary=f"Regenerated; the refinements of v{previous.version} were re-applied.",
        refinements=refinements,
        variable_type=definition.type,
        details={"reappliedFrom": previous.version},
    )
    return with_lessons(generated_text, refinements, definition), note.dumps()


def prompt_diff(active: Prompt | None, draft: Prompt) -> str:
    """Unified diff of the prompt text (and model config) from the active version."""
    before = active.prompt_text.splitlines(keepends=True) if active else []
    after = draft.prompt_text.splitlines(keepends=True)
    lines = list(
        difflib.unified_diff(
            [line if line.endswith("\n") else line + "\n" for line in before],
            [line if line.endswith("\n") else line + "\n" for line in after],
            fromfile=f"v{active.version} (active)" if active else "(no active version)",
            tofile=f"v{draft.version} (draft)",
        )
    )
    if active is not None and active.llm_config != draft.llm_config:
        lines.append(
            f"# modelConfig: {json.dumps(active.llm_config, sort_keys=True)} -> "
            f"{json.dumps(draft.llm_config, sort_keys=True)}\n"
        )
    return "".join(lines)


# -- the LLM rewrite (optional) --------------------------------------------------------------


def _llm_request(
    definition: VariableFields, analysis: ReviewAnalysis, items: Sequence[ReviewedItem]
) -> str:
    lines = [
        f"Variable `{definition.name}`, type {definition.type.value}.",
        "Instructions:",
        definition.instructions,
    ]
    for category, meaning in _category_definitions(definition).items():
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
        truth = _json(item.truth) if item.truth_known else "(not given)"
        quote = _short(item.quote) if item.quote else "(no quote)"
        line = f'- quote "{quote}": answered {_json(item.model_value)}, correct {truth}'
        lines.append(line + (f"; reviewer: {item.note}" if item.note else ""))
        shown += 1
    return "\n".join(lines)


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
        return None, LlmRewriteRead(
            used=False, refiner_prompt_version=REFINER_PROMPT_VERSION, model=llm.model,
            error=str(exc),
        )  # fmt: skip
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
        return None, LlmRewriteRead(
            used=False, refiner_prompt_version=REFINER_PROMPT_VERSION, model=result.model,
            error="the model returned no instructions",
        )  # fmt: skip
    return text.strip()[:MAX_CLARIFIED_CHARS], LlmRewriteRead(
        used=True, refiner_prompt_version=REFINER_PROMPT_VERSION, model=result.model
    )


# -- services ------------------------------------------------------------------------------


async def _generated(session: AsyncSession, variable: Variable) -> tuple[VariableFields, Any]:
    project = await session.get_one(Project, variable.project_id)
    definition = prompt_service.definition_of(variable)
    generated = generate_prompt(
        prompt_service.context_of(project), definition, model=get_settings().llm_model
    )
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


async def refine_variable(
    session: AsyncSession,
    variable: Variable,
    *,
    job_id: uuid.UUID | None,
    llm: LLMClient | None,
) -> RefinementRead:
    """Propose a REFINED draft (not active) from the variable's reviewed errors, with its diff
    from the active version and the analysis it was built from; 409 when there is nothing to
    learn from."""
    if job_id is not None:
        await feedback_service.check_job(session, job_id, variable.project_id)
    items = (await feedback_service.reviewed_items(session, [variable.id], job_id))[variable.id]
    analysis = analyse(variable.type, items)
    if analysis.reviewed == 0:
        raise Conflict(f"No reviewed answers of '{variable.name}' yet: review some first.")
    if analysis.correct == analysis.reviewed:
        raise Conflict(f"Every reviewed answer of '{variable.name}' is correct: nothing to refine.")
    definition, generated = await _generated(session, variable)
    active = await prompt_service.active_prompt(session, variable.id)
    carried = parse_note(active.note) if active else None

    refinements = build_refinements(definition, analysis, items)
    rewrite = LlmRewriteRead(used=False, refiner_prompt_version=REFINER_PROMPT_VERSION)
    if llm is not None:
        clarified, rewrite = await _llm_rewrite(llm, definition, analysis, items)
        refinements = refinements.model_copy(update={"clarified_instructions": clarified})
    refinements = merge_refinements(carried.refinements if carried else None, refinements)

    base_text = active.prompt_text if active else generated.prompt_text
    summary = (
        f"Refined from {analysis.reviewed} reviewed answers "
        f"({analysis.reviewed - analysis.correct} not correct)"
        + (f" of job {job_id}." if job_id else " across jobs.")
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
            },
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
        await job_manager.log(
            session,
            job_id,
            LogLevel.INFO,
            "prompt_refined",
            f"Draft v{draft.version} of '{variable.name}' proposed from review.",
            variable_id=variable.id,
            details={"promptId": str(draft.id), "refinerPromptVersion": REFINER_PROMPT_VERSION,
                     "llmUsed": rewrite.used, "llmModel": rewrite.model},
        )  # fmt: skip
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
        analysis=feedback_service.analysis_read(variable, job_id, analysis),
        llm=rewrite,
    )


async def create_manual_draft(
    session: AsyncSession, variable: Variable, data: PromptDraftCreate
) -> PromptDraftRead:
    """Store a hand-edited prompt as a MANUAL draft (not active) and show its diff."""
    definition, generated = await _generated(session, variable)
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


async def activate_prompt(session: AsyncSession, prompt_id: uuid.UUID) -> Prompt:
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
    _, generated = await _generated(session, variable)
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
    return prompt


async def update_variable(
    session: AsyncSession, variable: Variable, data: VariableUpdate
) -> Variable:
    """`variable_service.update_variable`, then re-apply the refinements of the version that was
    active onto the regenerated prompt, so a definition change does not drop them."""
    previous = await prompt_service.active_prompt(session, variable.id)
    await variable_service.update_variable(session, variable, data)
    await carry_refinements(session, variable, previous)
    return variable


async def carry_refinements(
    session: AsyncSession, variable: Variable, previous: Prompt | None
) -> Prompt | None:
    """After a regeneration replaced `previous`, store the regenerated text with `previous`'s
    refinements as the new active (REFINED) version; None when there is nothing to carry."""
    if previous is None:
        return None
    current = await prompt_service.active_prompt(session, variable.id)
    if current is None or current.id == previous.id or current.origin is not PromptOrigin.GENERATED:
        return None
    definition = prompt_service.definition_of(variable)
    carried = reapplied(previous, current.prompt_text, definition)
    if carried is None:
        return None
    text, note = carried
    return await prompt_service.add_version(
        session,
        variable,
        prompt_text=text,
        llm_config=current.llm_config,
        response_schema=current.response_schema,
        content_hash=content_hash(text, current.llm_config, current.response_schema),
        origin=PromptOrigin.REFINED,
        activate=True,
        note=note,
    )
