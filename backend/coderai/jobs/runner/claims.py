"""The work queue is the `job_items` table: claim with FOR UPDATE SKIP LOCKED and a lease,
extend leases while working, hand items back on shutdown. No broker but PostgreSQL."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core import metrics
from coderai.jobs import service as job_service
from coderai.models import JobItem, ProcessingJob
from coderai.models.enums import JobItemStatus, JobStatus, LogLevel

RUNNABLE = (JobStatus.PENDING, JobStatus.PROCESSING)


@dataclass(frozen=True)
class ClaimedItem:
    id: uuid.UUID
    job_id: uuid.UUID
    document_id: uuid.UUID
    attempts: int
    # The variables left to ask (None: all of the job's) and the job's budget cap at claim time.
    variable_ids: list[uuid.UUID] | None = None
    budget_usd: Decimal | None = None


async def claim_items(
    session: AsyncSession, *, owner: str, limit: int, lease_seconds: int
) -> list[ClaimedItem]:
    """Take up to `limit` items: pending ones, and in-flight ones whose lease expired (their
    process died). Oldest job first, then document order."""
    if limit <= 0:
        return []
    now = func.now()
    candidates = (
        select(JobItem.id, JobItem.status)
        .join(ProcessingJob, ProcessingJob.id == JobItem.job_id)
        .where(
            ProcessingJob.status.in_(RUNNABLE),
            or_(
                JobItem.status == JobItemStatus.PENDING,
                and_(
                    JobItem.status == JobItemStatus.PROCESSING,
                    JobItem.lease_expires_at < now,
                ),
            ),
        )
        .order_by(ProcessingJob.created_at, JobItem.seq)
        .limit(limit)
        .with_for_update(of=JobItem, skip_locked=True)
        .subquery()
    )
    rows = await session.execute(
        update(JobItem)
        .where(JobItem.id == candidates.c.id)
        .values(
            status=JobItemStatus.PROCESSING,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=JobItem.attempts + 1,
            started_at=now,
        )
        .returning(
            JobItem.id,
            JobItem.job_id,
            JobItem.document_id,
            JobItem.attempts,
            JobItem.variable_ids,
            select(ProcessingJob.budget_usd)
            .where(ProcessingJob.id == JobItem.job_id)
            .scalar_subquery(),
            candidates.c.status,  # as it was: PROCESSING means a lapsed lease taken over
        )
    )
    found = rows.all()
    claimed = [ClaimedItem(*row[:6]) for row in found]
    metrics.leases_taken_over(sum(row[6] is JobItemStatus.PROCESSING for row in found))
    job_ids = {item.job_id for item in claimed}
    if job_ids:
        started = await session.scalars(
            update(ProcessingJob)
            .where(ProcessingJob.id.in_(job_ids), ProcessingJob.status == JobStatus.PENDING)
            .values(status=JobStatus.PROCESSING, started_at=now)
            .returning(ProcessingJob.id)
        )
        for job_id in started:
            await job_service.log(session, job_id, LogLevel.INFO, "job_started", "Job started.")
    return claimed


async def finish_drained_jobs(session: AsyncSession) -> int:
    """Close runnable jobs that have no pending or in-flight item left. A job's last stored
    item closes it; this catches jobs whose counts cannot add up to their total (items that
    vanished with their documents). Returns how many were closed."""
    open_items = (
        select(JobItem.id)
        .where(
            JobItem.job_id == ProcessingJob.id,
            JobItem.status.in_((JobItemStatus.PENDING, JobItemStatus.PROCESSING)),
        )
        .exists()
    )
    drained = await session.scalars(
        select(ProcessingJob)
        .where(ProcessingJob.status.in_(RUNNABLE), ~open_items)
        .with_for_update(skip_locked=True)
    )
    closed = 0
    for job in drained.all():
        closed += await job_service.finish_if_done(session, job)
    return closed


async def extend_leases(
    session: AsyncSession, *, owner: str, item_ids: Sequence[uuid.UUID], lease_seconds: int
) -> set[uuid.UUID]:
    """Extend our leases; returns the ids still ours (the others were cancelled or taken)."""
    if not item_ids:
        return set()
    rows = await session.scalars(
        update(JobItem)
        .where(
            JobItem.id.in_(item_ids),
            JobItem.lease_owner == owner,
            JobItem.status == JobItemStatus.PROCESSING,
        )
        .values(lease_expires_at=func.now() + timedelta(seconds=lease_seconds))
        .returning(JobItem.id)
    )
    return set(rows)


async def release_items(session: AsyncSession, *, owner: str, item_ids: Sequence[uuid.UUID]) -> int:
    """Hand unfinished items back (graceful shutdown): PENDING again, attempt not counted."""
    if not item_ids:
        return 0
    rows = await session.scalars(
        update(JobItem)
        .where(
            JobItem.id.in_(item_ids),
            JobItem.lease_owner == owner,
            JobItem.status == JobItemStatus.PROCESSING,
        )
        .values(
            status=JobItemStatus.PENDING,
            lease_owner=None,
            lease_expires_at=None,
            attempts=func.greatest(JobItem.attempts - 1, 0),
        )
        .returning(JobItem.id)
    )
    return len(rows.all())
