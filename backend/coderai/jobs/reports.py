"""Read models of a job: progress with ETA, results, logs, flagged items, per-variable figures."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.jobs.schemas import JobProgress, JobPrompt, VariableStatistics
from coderai.models import (
    Document,
    Extraction,
    JobItem,
    ProcessingJob,
    ProcessingLog,
    Prompt,
    Variable,
)
from coderai.models.enums import GroundingKind, JobItemStatus, JobStatus, LogLevel, Verdict
from coderai.review.analysis import wilson_interval
from coderai.review.carried import applied, unit_verdict
from coderai.studies import gold as study_gold
from coderai.studies.blinding import blinded

# The ETA uses the completion rate over this trailing window (a moving average).
ETA_WINDOW = timedelta(minutes=2)


def percent(job: ProcessingJob) -> int:
    if not job.total_items:
        return 100
    return int(100 * (job.done_items + job.failed_items) / job.total_items)


async def job_prompts(session: AsyncSession, job: ProcessingJob) -> list[JobPrompt]:
    ids = [uuid.UUID(p) for p in job.prompt_snapshot.values()]
    rows = await session.execute(
        select(Variable.id, Variable.name, Prompt.id, Prompt.version)
        .join(Prompt, Prompt.variable_id == Variable.id)
        .where(Prompt.id.in_(ids))
        .order_by(Variable.order)
    )
    return [
        JobPrompt(variable_id=vid, variable_name=name, prompt_id=pid, version=version)
        for vid, name, pid, version in rows
    ]


async def prompt_versions(session: AsyncSession, job: ProcessingJob) -> dict[str, int]:
    """Variable name → prompt version the job runs with."""
    return {p.variable_name: p.version for p in await job_prompts(session, job)}


async def recent_logs(
    session: AsyncSession, job_id: uuid.UUID, limit: int = 20
) -> Sequence[ProcessingLog]:
    rows = await session.scalars(
        select(ProcessingLog)
        .where(ProcessingLog.job_id == job_id)
        .order_by(ProcessingLog.created_at.desc())
        .limit(limit)
    )
    return rows.all()


async def list_logs(
    session: AsyncSession,
    job_id: uuid.UUID,
    *,
    level: LogLevel | None,
    since: datetime | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[ProcessingLog], int]:
    statement = select(ProcessingLog).where(ProcessingLog.job_id == job_id)
    if level is not None:
        # A level filter means "this level and worse", as log viewers do.
        order = [LogLevel.INFO, LogLevel.WARNING, LogLevel.ERROR]
        statement = statement.where(ProcessingLog.level.in_(order[order.index(level) :]))
    if since is not None:
        statement = statement.where(ProcessingLog.created_at > since)
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = await session.scalars(
        statement.order_by(ProcessingLog.created_at, ProcessingLog.id).offset(offset).limit(limit)
    )
    return rows.all(), total or 0


async def progress(session: AsyncSession, job: ProcessingJob) -> JobProgress:
    """Counts come from the job row (kept in step by each item's transaction); the in-flight
    and timing figures from one grouped query over its items. An item is in flight while a
    runner holds its lease; one whose lease lapsed (its runner died) waits to be taken again,
    so it counts as pending."""
    now = func.now()
    live = (JobItem.status == JobItemStatus.PROCESSING) & (JobItem.lease_expires_at > now)
    waiting = (JobItem.status == JobItemStatus.PENDING) | (
        (JobItem.status == JobItemStatus.PROCESSING) & ~live
    )
    row = (
        await session.execute(
            select(
                func.count().filter(live),
                func.count().filter(waiting),
                func.count().filter(JobItem.status == JobItemStatus.CANCELLED),
                func.avg(JobItem.duration_ms).filter(JobItem.status == JobItemStatus.DONE),
                func.count().filter(JobItem.finished_at > now - ETA_WINDOW),
                func.min(JobItem.finished_at).filter(JobItem.finished_at > now - ETA_WINDOW),
                now,
            ).where(JobItem.job_id == job.id)
        )
    ).one()
    in_flight, pending, cancelled, mean_ms, recent, first_recent, db_now = row
    current = await session.scalars(
        select(Document.name)
        .join(JobItem, JobItem.document_id == Document.id)
        .where(JobItem.job_id == job.id, live)
        .limit(10)
    )
    finished = job.done_items + job.failed_items
    throughput = None
    if recent and first_recent is not None:
        window = max((db_now - first_recent).total_seconds(), 1.0)
        # Items finishing in the window, per minute; a lone recent item says little.
        throughput = recent / window * 60 if recent > 1 else None
    remaining = pending + in_flight
    running = job.status in (JobStatus.PENDING, JobStatus.PROCESSING)
    # A paused job has no finishing time; a running one, the recent completion rate's.
    eta = remaining / throughput * 60 if throughput and running else None
    return JobProgress(
        job_id=job.id,
        status=job.status,
        status_reason=job.status_reason,
        total=job.total_items,
        done=job.done_items,
        failed=job.failed_items,
        in_flight=in_flight,
        pending=pending,
        cancelled=cancelled,
        percentage=round(100 * finished / job.total_items, 2) if job.total_items else 100.0,
        flagged=job.flagged_items,
        success_rate=round(job.done_items / finished, 4) if finished else None,
        mean_seconds_per_document=round(float(mean_ms) / 1000, 3) if mean_ms is not None else None,
        throughput_per_minute=round(throughput, 2) if throughput else None,
        eta_seconds=round(eta, 1) if eta is not None else (0.0 if remaining == 0 else None),
        current_documents=list(current),
        llm_calls=job.llm_calls,
        prompt_tokens=job.prompt_tokens,
        completion_tokens=job.completion_tokens,
        cached_tokens=job.cached_tokens,
        cost_usd=float(job.cost_usd),
    )


@dataclass(frozen=True)
class ResultFilter:
    min_confidence: float | None = None
    variable_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None
    flagged_only: bool = False
    # The caller, when they may be a blind coder (see `studies.blinding`).
    viewer_id: uuid.UUID | None = None


def _results_query(job_id: uuid.UUID, filters: ResultFilter) -> Select[Extraction, str]:
    statement = (
        select(Extraction, Variable.name)
        .join(Variable, Variable.id == Extraction.variable_id)
        .where(Extraction.job_id == job_id)
    )
    if filters.min_confidence is not None:
        statement = statement.where(Extraction.confidence >= filters.min_confidence)
    if filters.variable_id is not None:
        statement = statement.where(Extraction.variable_id == filters.variable_id)
    if filters.document_id is not None:
        statement = statement.where(Extraction.document_id == filters.document_id)
    if filters.flagged_only:
        statement = statement.where(Extraction.needs_review)
    if filters.viewer_id is not None:
        statement = statement.where(~blinded(filters.viewer_id))
    return statement


@dataclass(frozen=True)
class ResultRow:
    extraction: Extraction
    variable_name: str
    document_name: str
    external_id: str | None


async def list_results(
    session: AsyncSession, job_id: uuid.UUID, filters: ResultFilter, *, offset: int, limit: int
) -> tuple[list[ResultRow], int]:
    statement = _results_query(job_id, filters)
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = await session.execute(
        statement.add_columns(Document.name, Document.external_id)
        .join(Document, Document.id == Extraction.document_id)
        .join(JobItem, (JobItem.job_id == job_id) & (JobItem.document_id == Extraction.document_id))
        .order_by(JobItem.seq, Extraction.entity_index, Variable.order)
        .offset(offset)
        .limit(limit)
    )
    return [ResultRow(*row) for row in rows], total or 0


async def variable_statistics(
    session: AsyncSession, job: ProcessingJob
) -> list[VariableStatistics]:
    rows = await session.execute(
        select(
            Variable.id,
            Variable.name,
            func.count(Extraction.id),
            func.count(Extraction.id).filter(Extraction.value.is_not(None)),
            func.avg(Extraction.confidence).filter(Extraction.value.is_not(None)),
            func.count(Extraction.id).filter(Extraction.needs_review),
            func.count(Extraction.id).filter(
                case(
                    (Extraction.value.is_not(None), Extraction.grounding == GroundingKind.NONE),
                    else_=False,
                )
            ),
        )
        .join(
            Extraction,
            (Extraction.variable_id == Variable.id) & (Extraction.job_id == job.id),
            isouter=True,
        )
        .where(Variable.id.in_([uuid.UUID(v) for v in job.prompt_snapshot]))
        .group_by(Variable.id, Variable.name, Variable.order)
        .order_by(Variable.order)
    )
    reviews = await _judged_by_gold(session, job.id, await _review_counts(session, job.id))
    return [
        VariableStatistics(
            variable_id=variable_id,
            variable_name=name,
            extractions=total,
            filled=filled,
            filled_rate=round(filled / total, 4) if total else None,
            mean_confidence=round(float(mean), 4) if mean is not None else None,
            flagged=flagged,
            ungrounded=ungrounded,
            reviewed=reviews.get(variable_id, (0, 0))[0],
            accuracy=_accuracy(*reviews.get(variable_id, (0, 0))),
            accuracy_interval=_interval(*reviews.get(variable_id, (0, 0))),
        )
        for variable_id, name, total, filled, mean, flagged, ungrounded in rows
    ]


def _interval(reviewed: int, correct: int) -> tuple[float, float] | None:
    return wilson_interval(correct, reviewed)


def _accuracy(reviewed: int, correct: int) -> float | None:
    return round(correct / reviewed, 4) if reviewed else None


async def _review_counts(
    session: AsyncSession, job_id: uuid.UUID
) -> dict[uuid.UUID, tuple[int, int]]:
    """Per variable: answers a verdict applies to (given in this job or carried from another
    on the same unit, review.carried), and how many of those are CORRECT."""
    verdict = unit_verdict()
    rows = await session.execute(
        select(Extraction.variable_id, Extraction.value, verdict)
        .join(verdict, true())
        .where(Extraction.job_id == job_id)
    )
    counts: dict[uuid.UUID, tuple[int, int]] = {}
    for row in rows:
        found = applied(row, row.value)
        if found is None:
            continue
        reviewed, correct = counts.get(row.variable_id, (0, 0))
        counts[row.variable_id] = (reviewed + 1, correct + (found.verdict is Verdict.CORRECT))
    return counts


async def _judged_by_gold(
    session: AsyncSession, job_id: uuid.UUID, counts: dict[uuid.UUID, tuple[int, int]]
) -> dict[uuid.UUID, tuple[int, int]]:
    """The review counts with every answer a reliability study adjudicated judged against its
    gold value instead of the verdict that applies to it (if any, review.carried)."""
    verdict = unit_verdict()
    rows = await session.execute(
        select(
            Extraction.variable_id,
            Extraction.document_id,
            Extraction.entity_index,
            Extraction.value,
            verdict,
        )
        .select_from(Extraction)
        .outerjoin(verdict, true())
        .where(Extraction.job_id == job_id, study_gold.has_gold())
    )
    found = list(rows)
    if not found:
        return counts
    gold = await study_gold.gold_values(session, {row.variable_id for row in found})
    adjusted = dict(counts)
    for row in found:
        reviewed, correct = adjusted.get(row.variable_id, (0, 0))
        given = applied(row, row.value)
        if given is not None:
            reviewed, correct = reviewed - 1, correct - (given.verdict is Verdict.CORRECT)
        key = (row.variable_id, row.document_id, row.entity_index)
        agreed = study_gold.matches_gold(row.value, gold[key])
        adjusted[row.variable_id] = (reviewed + 1, correct + agreed)
    return adjusted
