"""Jobs: create (snapshotting the active prompts), pause, resume, cancel, and the state
transitions of jobs and their project as items finish."""

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.errors import Conflict, InvalidInput, NotFound
from coderai.jobs import reuse as job_reuse
from coderai.members import audit
from coderai.models import (
    Document,
    JobItem,
    ProcessingJob,
    ProcessingLog,
    Project,
    Prompt,
    User,
    Variable,
)
from coderai.models.enums import (
    DocumentStatus,
    JobItemStatus,
    JobStatus,
    JobType,
    LogLevel,
    ProjectStatus,
)
from coderai.prompts import service as prompt_service

ACTIVE = (JobStatus.PENDING, JobStatus.PROCESSING, JobStatus.PAUSED)
FINISHED = (JobStatus.COMPLETE, JobStatus.FAILED, JobStatus.CANCELLED)


def now() -> datetime:
    return datetime.now(UTC)


async def get_job(
    session: AsyncSession, job_id: uuid.UUID, *, for_update: bool = False
) -> ProcessingJob:
    statement = select(ProcessingJob).where(ProcessingJob.id == job_id)
    if for_update:
        statement = statement.with_for_update()
    job = await session.scalar(statement)
    if job is None:
        raise NotFound(f"Job '{job_id}' not found.")
    return job


async def list_jobs(
    session: AsyncSession, project_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[Sequence[ProcessingJob], int]:
    statement = select(ProcessingJob).where(ProcessingJob.project_id == project_id)
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = await session.scalars(
        statement.order_by(ProcessingJob.created_at.desc()).offset(offset).limit(limit)
    )
    return rows.all(), total or 0


async def log(
    session: AsyncSession,
    job_id: uuid.UUID,
    level: LogLevel,
    event: str,
    message: str,
    *,
    document_id: uuid.UUID | None = None,
    variable_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        ProcessingLog(
            job_id=job_id,
            level=level,
            event=event,
            message=message,
            document_id=document_id,
            variable_id=variable_id,
            details=details or {},
        )
    )


async def active_prompt_snapshot(session: AsyncSession, project_id: uuid.UUID) -> dict[str, str]:
    rows = await session.execute(
        select(Variable.id, Prompt.id)
        .join(Prompt, (Prompt.variable_id == Variable.id) & Prompt.is_active)
        .where(Variable.project_id == project_id)
    )
    return {str(variable_id): str(prompt_id) for variable_id, prompt_id in rows}


async def _ready_document_ids(session: AsyncSession, project_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(Document.id)
        .where(Document.project_id == project_id, Document.status == DocumentStatus.READY)
        .order_by(Document.created_at, Document.row_index, Document.id)
    )
    return list(rows)


async def _check_requested(
    session: AsyncSession, project_id: uuid.UUID, requested: list[uuid.UUID]
) -> list[uuid.UUID]:
    unique = list(dict.fromkeys(requested))
    rows = await session.execute(
        select(Document.id, Document.status).where(
            Document.id.in_(unique), Document.project_id == project_id
        )
    )
    found = {doc_id: status for doc_id, status in rows}
    errors = [
        {"field": "documentIds", "message": f"document '{doc_id}' is not in this project"}
        for doc_id in unique
        if doc_id not in found
    ] + [
        {"field": "documentIds", "message": f"document '{doc_id}' is {status.value}, not READY"}
        for doc_id, status in found.items()
        if status is not DocumentStatus.READY
    ]
    if errors:
        raise InvalidInput("Some documents cannot be processed.", errors=errors)
    return unique


def sample_documents(ready: list[uuid.UUID], count: int, seed: int) -> list[uuid.UUID]:
    """A reproducible random sample: the same seed over the same documents picks the same ones."""
    rng = random.Random(seed)
    return sorted(rng.sample(sorted(ready), min(count, len(ready))))


async def choose_documents(
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    job_type: JobType,
    document_ids: list[uuid.UUID] | None,
    document_count: int | None,
    sample_seed: int | None,
) -> tuple[list[uuid.UUID], int | None]:
    """The documents a job would take, and the seed of its sample (jobs and forecasts)."""
    if document_ids:
        return await _check_requested(session, project_id, document_ids), None
    ready = await _ready_document_ids(session, project_id)
    if not ready:
        raise Conflict("The project has no READY documents: upload documents first.")
    if job_type is JobType.FULL:
        return ready, None
    seed = sample_seed if sample_seed is not None else random.randrange(2**31)
    return sample_documents(ready, document_count or min(10, len(ready)), seed), seed


NO_VARIABLES = "The project has no variables yet: define the schema before running a job."


async def create_job(
    session: AsyncSession,
    project: Project,
    *,
    job_type: JobType,
    document_ids: list[uuid.UUID] | None,
    document_count: int | None,
    sample_seed: int | None,
    options: dict[str, Any],
    llm_model: str,
    created_by: User | None,
    prompt_snapshot: dict[str, str] | None = None,
    budget_usd: Decimal | None = None,
    reuse: bool = True,
    llm: dict[str, Any] | None = None,
    replicates: ProcessingJob | None = None,
) -> ProcessingJob:
    """Create a job and one PENDING item per document; refuses what cannot run (409). A FULL
    job with `reuse` copies the answers earlier jobs gave with the same prompt and model
    (`jobs.reuse`) and asks only for the rest. `budget_usd` defaults to the project's."""
    # Serialise job creation per project so two requests cannot both start a FULL job.
    await session.execute(select(Project.id).where(Project.id == project.id).with_for_update())
    if prompt_snapshot is None:
        await prompt_service.refresh_generated_prompts(session, project, model=llm_model)
    snapshot = prompt_snapshot or await active_prompt_snapshot(session, project.id)
    if not snapshot:
        raise Conflict(NO_VARIABLES)
    if job_type is JobType.FULL:
        running = await session.scalar(
            select(ProcessingJob.id).where(
                ProcessingJob.project_id == project.id,
                ProcessingJob.job_type == JobType.FULL,
                ProcessingJob.status.in_(ACTIVE),
            )
        )
        if running is not None:
            raise Conflict(f"A FULL job ({running}) is already running for this project.")

    chosen, seed = await choose_documents(
        session,
        project.id,
        job_type=job_type,
        document_ids=document_ids,
        document_count=document_count,
        sample_seed=sample_seed,
    )

    job = ProcessingJob(
        project_id=project.id,
        job_type=job_type,
        status=JobStatus.PENDING,
        prompt_snapshot=snapshot,
        options=options,
        sample_seed=seed,
        llm_model=llm_model,
        llm=llm,
        replicates_job_id=replicates.id if replicates else None,
        total_items=len(chosen),
        created_by_id=created_by.id if created_by else None,
        budget_usd=budget_usd if budget_usd is not None else project.budget_usd,
    )
    session.add(job)
    await session.flush()
    audit.note(session, target=("job", job.id), jobType=job_type.value, items=len(chosen))
    plan = job_reuse.ReusePlan.nothing(snapshot)
    if job_type is JobType.FULL and reuse:
        plan = await job_reuse.plan_reuse(session, project, snapshot, llm_model, chosen)
        await job_reuse.copy_answers(session, job, plan)
    await session.execute(insert(JobItem), job_reuse.item_rows(job, chosen, plan))
    if plan.reused_documents:
        await log(
            session,
            job.id,
            LogLevel.INFO,
            "answers_reused",
            f"Reused {plan.pair_count} answers from earlier jobs: {len(plan.reused_documents)} "
            "documents need no call.",
            details={"pairs": plan.pair_count, "documents": len(plan.reused_documents)},
        )
    if job_type is JobType.SAMPLE:
        if project.status is not ProjectStatus.PROCESSING:  # a running FULL job outranks it
            project.status = ProjectStatus.SAMPLE_TESTING
    elif job_type is JobType.FULL:
        project.status = ProjectStatus.PROCESSING
    await log(
        session,
        job.id,
        LogLevel.INFO,
        "job_created",
        f"{job_type.value} job created for {len(chosen)} documents.",
        details={"sampleSeed": seed, "prompts": snapshot},
    )
    await session.flush()
    if job.done_items >= job.total_items:
        await finish_if_done(session, job)  # every answer was reused: nothing to run
        await session.flush()
    return job


async def job_document_ids(session: AsyncSession, job_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(JobItem.document_id).where(JobItem.job_id == job_id).order_by(JobItem.seq)
    )
    return list(rows)


async def pause_job(
    session: AsyncSession, job_id: uuid.UUID, reason: str = "paused by user"
) -> ProcessingJob:
    job = await get_job(session, job_id, for_update=True)
    if job.status not in (JobStatus.PENDING, JobStatus.PROCESSING):
        raise Conflict(
            f"Only a pending or running job can be paused; this one is {job.status.value}."
        )
    job.status = JobStatus.PAUSED
    job.status_reason = reason
    await log(session, job.id, LogLevel.INFO, "job_paused", f"Job paused: {reason}.")
    await session.flush()
    return job


async def resume_job(session: AsyncSession, job_id: uuid.UUID) -> ProcessingJob:
    job = await get_job(session, job_id, for_update=True)
    if job.status is not JobStatus.PAUSED:
        raise Conflict(f"Only a paused job can be resumed; this one is {job.status.value}.")
    job.status = JobStatus.PROCESSING if job.started_at else JobStatus.PENDING
    job.status_reason = None
    job.consecutive_failures = 0
    in_flight = await session.scalar(
        select(func.count())
        .select_from(JobItem)
        .where(JobItem.job_id == job.id, JobItem.status == JobItemStatus.PROCESSING)
    )
    if not in_flight:
        job.reserved_usd = Decimal(0)  # what a crashed process reserved and never settled
    await log(session, job.id, LogLevel.INFO, "job_resumed", "Job resumed.")
    await session.flush()
    return job


BUDGET_REACHED = "BUDGET_REACHED"


async def set_budget(
    session: AsyncSession, job_id: uuid.UUID, budget_usd: Decimal | None
) -> ProcessingJob:
    """Change a job's budget cap (None: no cap); a job paused at its cap resumes with
    `resume_job` once the cap leaves room."""
    job = await get_job(session, job_id, for_update=True)
    if job.status in FINISHED:
        raise Conflict(f"The job is already {job.status.value}.")
    previous = job.budget_usd
    job.budget_usd = budget_usd
    audit.note(session, budgetUsd=None if budget_usd is None else str(budget_usd))
    await log(
        session,
        job.id,
        LogLevel.INFO,
        "budget_changed",
        f"Budget changed from {_usd(previous)} to {_usd(budget_usd)}.",
    )
    await session.flush()
    return job


def _usd(amount: Decimal | None) -> str:
    return "no cap" if amount is None else f"${amount:.4f}"


async def cancel_job(session: AsyncSession, job_id: uuid.UUID) -> ProcessingJob:
    """Cancel a job: its pending and in-flight items become CANCELLED (finished work stays)."""
    job = await get_job(session, job_id, for_update=True)
    if job.status in FINISHED:
        raise Conflict(f"The job is already {job.status.value}.")
    await session.execute(
        update(JobItem)
        .where(
            JobItem.job_id == job.id,
            JobItem.status.in_((JobItemStatus.PENDING, JobItemStatus.PROCESSING)),
        )
        .values(
            status=JobItemStatus.CANCELLED,
            lease_owner=None,
            lease_expires_at=None,
            finished_at=now(),
        )
    )
    job.status = JobStatus.CANCELLED
    job.completed_at = now()
    job.status_reason = "cancelled by user"
    await _project_after(session, job)
    await log(session, job.id, LogLevel.INFO, "job_cancelled", "Job cancelled.")
    await session.flush()
    return job


async def finish_if_done(session: AsyncSession, job: ProcessingJob) -> bool:
    """Close the job once no item is pending or in flight (caller holds the job row lock)."""
    if job.status in FINISHED:
        return False
    open_items = await session.scalar(
        select(func.count())
        .select_from(JobItem)
        .where(
            JobItem.job_id == job.id,
            JobItem.status.in_((JobItemStatus.PENDING, JobItemStatus.PROCESSING)),
        )
    )
    if open_items:
        return False
    failed_all = job.total_items > 0 and job.failed_items == job.total_items
    job.status = JobStatus.FAILED if failed_all else JobStatus.COMPLETE
    job.completed_at = now()
    if failed_all:
        job.status_reason = "every document failed; see the job's logs"
    await _project_after(session, job)
    await log(
        session,
        job.id,
        LogLevel.ERROR if failed_all else LogLevel.INFO,
        "job_finished",
        f"Job {job.status.value}: {job.done_items} done, {job.failed_items} failed, "
        f"{job.flagged_items} flagged.",
    )
    return True


async def _project_after(session: AsyncSession, job: ProcessingJob) -> None:
    project = await session.get_one(Project, job.project_id, with_for_update=False)
    if job.job_type is JobType.FULL:
        project.status = {
            JobStatus.COMPLETE: ProjectStatus.COMPLETE,
            JobStatus.FAILED: ProjectStatus.ERROR,
        }.get(job.status, ProjectStatus.READY)
    elif (
        job.job_type is JobType.SAMPLE
        and job.status is JobStatus.COMPLETE
        and project.status in (ProjectStatus.SAMPLE_TESTING, ProjectStatus.SCHEMA_DEFINED)
    ):
        # A finished sample leaves the project ready for a full run.
        project.status = ProjectStatus.READY
