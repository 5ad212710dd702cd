"""Review: an extraction in its document context, reviewers' verdicts (one current per
extraction, history kept) and the feedback analysis of a variable or a whole job."""

import re
import uuid
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import JSON, ColumnElement, ScalarSelect, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.errors import InvalidInput, NotFound
from coderai.extraction.coercion.categories import UNKNOWN_CATEGORY
from coderai.extraction.coercion.dates import AMBIGUOUS_DATE
from coderai.extraction.coercion.values import JsonScalar, JsonValue, coerce_value, is_null_answer
from coderai.jobs import service as job_service
from coderai.members import audit
from coderai.models import Document, Extraction, ExtractionFeedback, ProcessingJob, User, Variable
from coderai.models.enums import JobType, MultiValueAction, Verdict
from coderai.prompts import service as prompt_service
from coderai.review.analysis import (
    ReviewAnalysis,
    ReviewedItem,
    analyse,
    same_value,
    wilson_interval,
)
from coderai.review.carried import AppliedVerdict, applied, unit_verdict
from coderai.review.schemas import (
    FeedbackCreate,
    JobAgreementRead,
    QuoteContext,
    VariableAnalysisRead,
)
from coderai.studies import gold as study_gold
from coderai.studies.blinding import blinded
from coderai.variables.definition import VariableFields

DEFAULT_CONTEXT_CHARS = 300
MAX_CONTEXT_CHARS = 5000


@dataclass(frozen=True)
class FeedbackView:
    """A stored verdict, and whether a corrected value (possibly null) was given with it.
    `applied` is set when the verdict was given on another job's answer for the same unit and
    is shown on `extraction_id`'s answer as it applies there (review.carried)."""

    feedback: ExtractionFeedback
    has_corrected_value: bool
    reviewer_name: str | None
    applied: AppliedVerdict | None = None
    extraction_id: uuid.UUID | None = None
    source_job_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class JobFeedbackView(FeedbackView):
    variable_id: uuid.UUID
    document_id: uuid.UUID
    entity_index: int


@dataclass(frozen=True)
class ExtractionView:
    extraction: Extraction
    variable: Variable
    document_name: str
    external_id: str | None
    document_length: int
    page: int | None
    context: QuoteContext | None
    current_feedback: FeedbackView | None


def _has_correction() -> ColumnElement[bool]:
    # SQL NULL = no correction; a JSON null = "the true value is empty".
    return ExtractionFeedback.corrected_value.is_not(None)


def _page_of(offset: int, page_offsets: Sequence[int]) -> int | None:
    if not page_offsets:
        return None
    return max(bisect_right(list(page_offsets), offset), 1)


def _trim_partial_words(
    before: str, after: str, cut_before: bool, cut_after: bool
) -> tuple[str, str]:
    # A window cut mid-word reads badly; drop the partial word at each cut edge.
    if cut_before and (first := re.search(r"\s", before)) is not None:
        before = before[first.end() :]
    if cut_after and (last := re.search(r"\s\S*$", after)) is not None:
        after = after[: last.start()]
    return before, after


async def _context(
    session: AsyncSession, extraction: Extraction, length: int, chars: int
) -> QuoteContext | None:
    start, end = extraction.char_start, extraction.char_end
    if start is None or end is None or not 0 <= start <= end <= length:
        return None
    low, high = max(start - chars, 0), min(end + chars, length)
    # Only the window is read: documents can be book-length.
    window = await session.scalar(
        select(func.substr(Document.text, low + 1, high - low)).where(
            Document.id == extraction.document_id
        )
    )
    window = window or ""
    before, after = _trim_partial_words(
        window[: start - low], window[end - low :], low > 0, high < length
    )
    return QuoteContext(
        before=before,
        quote=window[start - low : end - low],
        after=after,
        start=start - len(before),
        end=end + len(after),
        truncated_before=start - len(before) > 0,
        truncated_after=end + len(after) < length,
    )


async def _applied_verdicts(
    session: AsyncSession, where: Sequence[ColumnElement[bool]]
) -> list[tuple[Extraction, FeedbackView]]:
    """The verdict that applies to each answer matching `where`: its unit's latest current
    one, given on this answer or carried from another job's (review.carried)."""
    verdict = unit_verdict()
    rows = await session.execute(
        select(Extraction, ExtractionFeedback, verdict)
        .select_from(Extraction)
        .join(verdict, true())
        .join(ExtractionFeedback, ExtractionFeedback.id == verdict.c.feedback_id)
        .where(*where)
        .order_by(ExtractionFeedback.created_at, ExtractionFeedback.id, Extraction.id)
    )
    views: list[tuple[Extraction, FeedbackView]] = []
    for row in rows:
        extraction, feedback = row[0], row[1]
        found = applied(row, extraction.value)
        if found is None:
            continue
        view = FeedbackView(
            feedback,
            found.has_correction,
            row.reviewer_name,
            applied=found if found.carried else None,
            extraction_id=extraction.id,
            source_job_id=row.source_job_id if found.carried else None,
        )
        views.append((extraction, view))
    return views


async def _current_feedback(session: AsyncSession, extraction_id: uuid.UUID) -> FeedbackView | None:
    views = await _applied_verdicts(session, [Extraction.id == extraction_id])
    return views[0][1] if views else None


async def extraction_detail(
    session: AsyncSession,
    extraction_id: uuid.UUID,
    context_chars: int = DEFAULT_CONTEXT_CHARS,
    *,
    viewer_id: uuid.UUID | None = None,
) -> ExtractionView:
    """An extraction with its variable, the document text around its quote and the current
    verdict; 404 when it does not exist or `viewer_id` codes its document blind."""
    statement = (
        select(
            Extraction,
            Variable,
            Document.name,
            Document.external_id,
            func.coalesce(func.length(Document.text), 0),
            Document.page_offsets,
        )
        .join(Variable, Variable.id == Extraction.variable_id)
        .join(Document, Document.id == Extraction.document_id)
        .where(Extraction.id == extraction_id)
    )
    if viewer_id is not None:
        statement = statement.where(~blinded(viewer_id))
    row = (await session.execute(statement)).first()
    if row is None:
        raise NotFound(f"Extraction '{extraction_id}' not found.")
    extraction, variable, document_name, external_id, length, page_offsets = row
    page = extraction.page
    if page is None and extraction.char_start is not None:
        page = _page_of(extraction.char_start, page_offsets or [])
    return ExtractionView(
        extraction=extraction,
        variable=variable,
        document_name=document_name,
        external_id=external_id,
        document_length=length,
        page=page,
        context=await _context(session, extraction, length, context_chars),
        current_feedback=await _current_feedback(session, extraction.id),
    )


def _verdict(data: FeedbackCreate) -> Verdict:
    if data.verdict is None:
        return Verdict.CORRECT if data.is_correct else Verdict.INCORRECT
    if data.is_correct is not None and data.is_correct != (data.verdict is Verdict.CORRECT):
        raise InvalidInput(
            "isCorrect and verdict contradict each other.",
            errors=[
                {
                    "field": "verdict",
                    "message": f"{data.verdict.value} contradicts isCorrect={data.is_correct}",
                }
            ],
        )
    return data.verdict


def _note(data: FeedbackCreate) -> str | None:
    # The contract's userComment and the extension's note share one stored text.
    texts = [t.strip() for t in (data.user_comment, data.note) if t and t.strip()]
    return "\n\n".join(dict.fromkeys(texts)) or None


def _invalid_correction(message: str) -> InvalidInput:
    return InvalidInput(
        "The corrected value is not valid for this variable.",
        errors=[{"field": "correctedValue", "message": message}],
    )


def typed_correction(variable: Variable, raw: object) -> JsonValue:
    """The reviewer's value coerced to the variable's type and categories (422 when it is not
    one); None means the true value is empty. A variable that keeps several values is always
    corrected with a list, as it is extracted: a list, or a text with "; " between values."""
    definition = prompt_service.definition_of(variable)
    if raw is None:
        return None
    if isinstance(raw, dict):
        raise _invalid_correction("must be a single value, not an object")
    several = definition.uncertainty_handling.if_multiple_values is MultiValueAction.ALL
    if isinstance(raw, list):
        if not several:
            raise _invalid_correction(f"'{variable.name}' takes one value, not a list")
        if any(isinstance(item, list | dict) for item in raw):
            raise _invalid_correction("list items must be single values")
    if not several:
        return _typed_one(definition, raw)
    elements = raw if isinstance(raw, list) else raw.split(";") if isinstance(raw, str) else [raw]
    values = [
        _typed_one(definition, e) for e in elements if not (isinstance(e, str) and not e.strip())
    ]
    kept: list[JsonScalar] = [v for v in values if v is not None and not isinstance(v, list)]
    return kept or None


def _typed_one(definition: VariableFields, raw: object) -> JsonValue:
    coerced = coerce_value(raw, definition.type, classification=definition.classification_rules)
    if coerced.error is not None:
        raise _invalid_correction(f"not a valid {definition.type.value}: {coerced.error}")
    if coerced.value is None and not (is_null_answer(raw) or raw == []):
        raise _invalid_correction(f"not a valid {definition.type.value}")
    if AMBIGUOUS_DATE in coerced.flags:
        raise _invalid_correction(f"ambiguous date {raw!r}: write it as YYYY-MM-DD")
    return coerced.value


async def submit_feedback(
    session: AsyncSession, extraction_id: uuid.UUID, data: FeedbackCreate, reviewer: User
) -> FeedbackView:
    """Record `reviewer`'s verdict; it becomes the extraction's current one (and the
    reviewer's own latest), and the previous current one is kept as history."""
    row = (
        await session.execute(
            select(Extraction, Variable)
            .join(Variable, Variable.id == Extraction.variable_id)
            .where(Extraction.id == extraction_id)
            # Two reviewers submitting at once take turns instead of clashing on the index.
            .with_for_update(of=Extraction)
        )
    ).first()
    if row is None:
        raise NotFound(f"Extraction '{extraction_id}' not found.")
    extraction, variable = row
    verdict = _verdict(data)
    has_correction = data.has_correction
    corrected = typed_correction(variable, data.corrected_value) if has_correction else None
    if has_correction and verdict is Verdict.CORRECT:
        if not same_value(corrected, extraction.value):
            raise _invalid_correction(
                "differs from the extracted value: use verdict INCORRECT or PARTIALLY_CORRECT"
            )
        has_correction = False  # the truth is the extracted value itself
    await session.execute(
        update(ExtractionFeedback)
        .where(ExtractionFeedback.extraction_id == extraction.id, ExtractionFeedback.is_current)
        .values(is_current=False)
    )
    await session.execute(
        update(ExtractionFeedback)
        .where(
            ExtractionFeedback.extraction_id == extraction.id,
            ExtractionFeedback.reviewer_id == reviewer.id,
            ExtractionFeedback.is_reviewer_current,
        )
        .values(is_reviewer_current=False)
    )
    # A CORRECT verdict's value is the extraction's own: nothing is stored beside it.
    stored: Any = corrected if has_correction else None
    if has_correction and corrected is None:
        stored = JSON.NULL  # a JSON null, told apart from "no correction" (SQL NULL)
    feedback = ExtractionFeedback(
        extraction_id=extraction.id,
        document_id=extraction.document_id,
        variable_id=extraction.variable_id,
        entity_index=extraction.entity_index,
        verdict=verdict,
        is_correct=verdict is Verdict.CORRECT,
        corrected_value=stored,
        note=_note(data),
        is_current=True,
        is_reviewer_current=True,
        reviewer_id=reviewer.id,
    )
    session.add(feedback)
    await session.flush()
    await session.refresh(feedback)
    audit.note(session, verdict=verdict.value, variable=variable.name)
    return FeedbackView(feedback, has_correction, reviewer.display_name)


async def withdraw_feedback(
    session: AsyncSession,
    extraction_id: uuid.UUID,
    user: User,
    *,
    viewer_id: uuid.UUID | None = None,
) -> int:
    """Withdraw every current verdict on the extraction's unit (document, variable, entity), in
    whichever job it was given: no job applies them any more; they stay in the history.
    Returns how many were withdrawn; 404 for an unknown (or blind-coded) extraction."""
    visible = select(Extraction).where(Extraction.id == extraction_id)
    if viewer_id is not None:
        visible = visible.where(~blinded(viewer_id))
    extraction = await session.scalar(visible)
    if extraction is None:
        raise NotFound(f"Extraction '{extraction_id}' not found.")
    withdrawn = await session.execute(
        update(ExtractionFeedback)
        .where(
            ExtractionFeedback.document_id == extraction.document_id,
            ExtractionFeedback.variable_id == extraction.variable_id,
            ExtractionFeedback.entity_index == extraction.entity_index,
            ExtractionFeedback.is_current,
        )
        .values(
            is_current=False,
            is_reviewer_current=False,
            withdrawn_at=func.now(),
            withdrawn_by_id=user.id,
        )
        .returning(ExtractionFeedback.id)
    )
    count = len(withdrawn.all())
    audit.note(session, withdrawn=count)
    return count


def _reviewer_name() -> ScalarSelect[str]:
    return (
        select(User.display_name).where(User.id == ExtractionFeedback.reviewer_id).scalar_subquery()
    )


async def feedback_history(
    session: AsyncSession, extraction_id: uuid.UUID, *, viewer_id: uuid.UUID | None = None
) -> list[FeedbackView]:
    """Every verdict given on an extraction, newest first; 404 for an unknown extraction, or
    one whose document `viewer_id` codes blind."""
    visible = select(Extraction.id).where(Extraction.id == extraction_id)
    if viewer_id is not None:
        visible = visible.where(~blinded(viewer_id))
    if await session.scalar(visible) is None:
        raise NotFound(f"Extraction '{extraction_id}' not found.")
    rows = await session.execute(
        select(ExtractionFeedback, _has_correction(), _reviewer_name())
        .where(ExtractionFeedback.extraction_id == extraction_id)
        .order_by(ExtractionFeedback.created_at.desc(), ExtractionFeedback.is_current.desc())
    )
    return [FeedbackView(feedback, has, name) for feedback, has, name in rows]


async def job_feedback(
    session: AsyncSession,
    job_id: uuid.UUID,
    *,
    variable_id: uuid.UUID | None,
    offset: int,
    limit: int,
    viewer_id: uuid.UUID | None = None,
) -> tuple[list[JobFeedbackView], int]:
    """The verdicts that apply to a job's answers (optionally of one variable), given in this
    job or carried from another on the same unit; none on documents `viewer_id` codes blind."""
    await job_service.get_job(session, job_id)
    where: list[ColumnElement[bool]] = [Extraction.job_id == job_id]
    if variable_id is not None:
        where.append(Extraction.variable_id == variable_id)
    if viewer_id is not None:
        where.append(~blinded(viewer_id))
    views = await _applied_verdicts(session, where)
    return [
        JobFeedbackView(
            view.feedback,
            view.has_corrected_value,
            view.reviewer_name,
            view.applied,
            view.extraction_id,
            view.source_job_id,
            variable_id=extraction.variable_id,
            document_id=extraction.document_id,
            entity_index=extraction.entity_index,
        )
        for extraction, view in views[offset : offset + limit]
    ], len(views)


def _reviewed_item(extraction: Extraction, feedback: ExtractionFeedback, has: bool) -> ReviewedItem:
    return _item(extraction, feedback, feedback.verdict, has, feedback.corrected_value)


def _item(
    extraction: Extraction,
    feedback: ExtractionFeedback,
    verdict: Verdict,
    has: bool,
    corrected: JsonValue,
) -> ReviewedItem:
    correct = verdict is Verdict.CORRECT
    return ReviewedItem(
        extraction_id=extraction.id,
        document_id=extraction.document_id,
        model_value=extraction.value,
        verdict=verdict,
        truth=extraction.value if correct else corrected,
        truth_known=correct or has,
        confidence=extraction.confidence,
        grounding=extraction.grounding,
        quote=extraction.source_text,
        note=feedback.note,
        entity_index=extraction.entity_index,
        raw_answer=extraction.raw_value if UNKNOWN_CATEGORY in extraction.flags else None,
    )


async def reviewed_items(
    session: AsyncSession,
    variable_ids: Sequence[uuid.UUID],
    job_id: uuid.UUID | None,
    *,
    viewer_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, list[ReviewedItem]]:
    """Reviewed answers per variable: in one job (with the verdicts carried to it from other
    jobs on the same units), or across the project's SAMPLE and FULL jobs (there the latest
    verdict per document and entity wins); none on documents `viewer_id` codes blind, as the
    analysis shows examples with their values."""
    items: dict[uuid.UUID, list[ReviewedItem]] = {vid: [] for vid in variable_ids}
    seen: set[tuple[uuid.UUID, uuid.UUID, int]] = set()
    if job_id is not None:
        where: list[ColumnElement[bool]] = [
            Extraction.job_id == job_id,
            Extraction.variable_id.in_(variable_ids),
        ]
        if viewer_id is not None:
            where.append(~blinded(viewer_id))
        for extraction, view in await _applied_verdicts(session, where):
            verdict = view.applied.verdict if view.applied else view.feedback.verdict
            corrected = (
                view.applied.corrected_value if view.applied else view.feedback.corrected_value
            )
            items[extraction.variable_id].append(
                _item(extraction, view.feedback, verdict, view.has_corrected_value, corrected)
            )
            seen.add((extraction.variable_id, extraction.document_id, extraction.entity_index))
        await _judge_by_gold(session, items, seen, job_id, viewer_id)
        return items
    statement = (
        select(Extraction, ExtractionFeedback, _has_correction())
        .join(
            ExtractionFeedback,
            (ExtractionFeedback.extraction_id == Extraction.id) & ExtractionFeedback.is_current,
        )
        .where(Extraction.variable_id.in_(variable_ids))
        .join(ProcessingJob, ProcessingJob.id == Extraction.job_id)
        .where(ProcessingJob.job_type != JobType.EVALUATION)
    )
    if viewer_id is not None:
        statement = statement.where(~blinded(viewer_id))
    rows = await session.execute(
        statement.order_by(ExtractionFeedback.created_at.desc(), Extraction.id)
    )
    for extraction, feedback, has in rows:
        key = (extraction.variable_id, extraction.document_id, extraction.entity_index)
        if key in seen:
            continue
        seen.add(key)
        items[extraction.variable_id].append(_reviewed_item(extraction, feedback, has))
    for found in items.values():
        found.reverse()  # oldest first reads naturally in examples
    await _judge_by_gold(session, items, seen, job_id, viewer_id)
    return items


async def _judge_by_gold(
    session: AsyncSession,
    items: dict[uuid.UUID, list[ReviewedItem]],
    seen: set[tuple[uuid.UUID, uuid.UUID, int]],
    job_id: uuid.UUID | None,
    viewer_id: uuid.UUID | None,
) -> None:
    """Where a reliability study adjudicated a unit, its gold value is the truth: reviewed
    items are judged against it, and answers nobody gave a verdict on are added (from the
    job, or the latest SAMPLE or FULL job that answered)."""
    gold = await study_gold.gold_values(session, items)
    if not gold:
        return
    for variable_id, found in items.items():
        items[variable_id] = study_gold.with_gold(found, gold, variable_id)
    statement = select(Extraction).where(
        Extraction.variable_id.in_(list(items)), study_gold.has_gold()
    )
    if viewer_id is not None:
        statement = statement.where(~blinded(viewer_id))
    if job_id is not None:
        statement = statement.where(Extraction.job_id == job_id).order_by(Extraction.id)
    else:
        statement = (
            statement.join(ProcessingJob, ProcessingJob.id == Extraction.job_id)
            .where(ProcessingJob.job_type != JobType.EVALUATION)
            .order_by(ProcessingJob.created_at.desc(), Extraction.id)
        )
    for extraction in await session.scalars(statement):
        key = (extraction.variable_id, extraction.document_id, extraction.entity_index)
        if key in seen or key not in gold:
            continue
        seen.add(key)
        unjudged = ReviewedItem(
            extraction_id=extraction.id,
            document_id=extraction.document_id,
            model_value=extraction.value,
            verdict=Verdict.INCORRECT,
            truth=None,
            truth_known=False,
            confidence=extraction.confidence,
            grounding=extraction.grounding,
            quote=extraction.source_text,
            entity_index=extraction.entity_index,
        )
        items[extraction.variable_id].append(study_gold.judged_by_gold(unjudged, gold[key]))


def analysis_read(
    variable: Variable, job_id: uuid.UUID | None, analysis: ReviewAnalysis
) -> VariableAnalysisRead:
    """An analysis on the wire, labelled with its variable and job."""
    return VariableAnalysisRead.model_validate(
        {
            "variable_id": variable.id,
            "variable_name": variable.name,
            "job_id": job_id,
            **asdict(analysis),
        }
    )


async def check_job(session: AsyncSession, job_id: uuid.UUID, project_id: uuid.UUID) -> None:
    """404 unless the job exists and belongs to the project."""
    job = await job_service.get_job(session, job_id)
    if job.project_id != project_id:
        raise NotFound(f"Job '{job_id}' does not belong to this variable's project.")


async def variable_analysis(
    session: AsyncSession,
    variable: Variable,
    job_id: uuid.UUID | None,
    *,
    viewer_id: uuid.UUID | None = None,
) -> VariableAnalysisRead:
    """Accuracy, error kinds, agreement and calibration of one variable's reviewed items."""
    if job_id is not None:
        await check_job(session, job_id, variable.project_id)
    items = await reviewed_items(session, [variable.id], job_id, viewer_id=viewer_id)
    return analysis_read(variable, job_id, analyse(variable.type, items[variable.id]))


async def job_agreement(
    session: AsyncSession, job_id: uuid.UUID, *, viewer_id: uuid.UUID | None = None
) -> JobAgreementRead:
    """The feedback analysis of every variable the job ran, and the job's overall accuracy."""
    job = await job_service.get_job(session, job_id)
    variables = (
        await session.scalars(
            select(Variable)
            .where(Variable.id.in_([uuid.UUID(v) for v in job.prompt_snapshot]))
            .order_by(Variable.order)
        )
    ).all()
    items = await reviewed_items(session, [v.id for v in variables], job.id, viewer_id=viewer_id)
    analyses = [analysis_read(v, job.id, analyse(v.type, items[v.id])) for v in variables]
    reviewed = sum(a.reviewed for a in analyses)
    correct = sum(a.correct for a in analyses)
    return JobAgreementRead(
        job_id=job.id,
        reviewed=reviewed,
        accuracy=correct / reviewed if reviewed else None,
        accuracy_interval=wilson_interval(correct, reviewed),
        variables=analyses,
    )
