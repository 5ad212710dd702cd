"""Jobs: create, status, progress, pause/resume/cancel, results, logs, flagged, statistics."""

import uuid
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.auth.dependencies import UserDep
from coderai.core.database import after_commit
from coderai.core.dependencies import DatabaseDep, SessionDep, SettingsDep
from coderai.core.errors import Conflict
from coderai.core.schemas import MAX_OFFSET
from coderai.jobs import estimate as job_estimate
from coderai.jobs import preview as preview_service
from coderai.jobs import replication
from coderai.jobs import reports as job_reports
from coderai.jobs import service as job_service
from coderai.jobs.dependencies import JobDep, LLMClientsDep, LLMDep, RunnerDep
from coderai.jobs.reports import ResultFilter
from coderai.jobs.runner import JobRunner
from coderai.jobs.schemas import (
    ExtractionRead,
    JobCreate,
    JobDetail,
    JobEstimate,
    JobEstimateRequest,
    JobLog,
    JobProgress,
    JobRead,
    JobStatistics,
    JobUpdate,
    PreviewFailure,
    PreviewRequest,
    PreviewResult,
    PreviewValue,
    ReplicateRequest,
    ReplicationRead,
)
from coderai.models import ProcessingJob
from coderai.models.enums import LogLevel
from coderai.projects import service as project_service
from coderai.projects.dependencies import ProjectDep

router = APIRouter(tags=["jobs"])

ProjectId = Annotated[uuid.UUID, Path(alias="projectId")]


def _notify_runner_after_commit(session: AsyncSession, runner: JobRunner | None) -> None:
    # The runner must see the job before it is told about it.
    if runner is not None:
        after_commit(session, runner.notify)


async def job_read(session: AsyncSession, job: ProcessingJob) -> JobRead:
    prompts = await job_reports.job_prompts(session, job)
    return JobRead(
        id=job.id,
        project_id=job.project_id,
        job_type=job.job_type,
        status=job.status,
        status_reason=job.status_reason,
        document_ids=await job_service.job_document_ids(session, job.id),
        progress=job_reports.percent(job),
        total_items=job.total_items,
        done_items=job.done_items,
        failed_items=job.failed_items,
        flagged_items=job.flagged_items,
        sample_seed=job.sample_seed,
        prompt_versions={p.variable_name: p.version for p in prompts},
        prompts=prompts,
        llm_model=job.llm_model,
        budget_usd=None if job.budget_usd is None else float(job.budget_usd),
        reused_pairs=job.reused_pairs,
        llm=job.llm,
        replicates_job_id=job.replicates_job_id,
        created_at=job.created_at,
        started_at=job.started_at,
        completed_at=job.completed_at,
    )


@router.post(
    "/projects/{projectId}/jobs",
    operation_id="jobs-create",
    status_code=status.HTTP_201_CREATED,
    response_model=JobRead,
)
async def create_job(
    runner: RunnerDep,
    session: SessionDep,
    user: UserDep,
    settings: SettingsDep,
    project: ProjectDep,
    clients: LLMClientsDep,
    body: JobCreate,
) -> JobRead:
    if not settings.llm_configured or clients is None:
        raise Conflict(
            "No LLM provider configured: set OPENAI_API_KEY, or LLM_BASE_URL for an "
            "OpenAI-compatible server, then restart."
        )
    job_llm = body.llm.overrides() if body.llm is not None else None
    project_service.check_model_choice(clients, project.llm, job_llm)
    choice = clients.resolve(project.llm, job_llm)
    job = await job_service.create_job(
        session,
        project,
        job_type=body.job_type,
        document_ids=body.document_ids,
        document_count=body.document_count,
        sample_seed=body.sample_seed,
        options={"callMode": body.call_mode},
        llm_model=choice.model,
        llm=choice.to_json(),
        created_by=user,
        budget_usd=job_estimate.budget_of(body.budget_usd, project, choice.model, settings),
        reuse=body.reuse,
    )
    _notify_runner_after_commit(session, runner)
    return await job_read(session, job)


@router.post(
    "/projects/{projectId}/jobs/estimate",
    operation_id="jobs-estimate",
    response_model=JobEstimate,
)
async def estimate_job(
    session: SessionDep, settings: SettingsDep, project: ProjectDep, body: JobEstimateRequest
) -> JobEstimate:
    """What the job this body would create costs and takes, before it runs: calls from the
    real chunk plan, tokens counted per call, the cached share, cost low/expected/high."""
    forecast = await job_estimate.estimate_job(
        session,
        settings,
        project,
        job_type=body.job_type,
        document_ids=body.document_ids,
        document_count=body.document_count,
        sample_seed=body.sample_seed,
        call_mode=body.call_mode,
        # The model the job would run on: the request's, else the project's, else the default.
        model=body.model or (project.llm or {}).get("model") or settings.llm_model,
        reuse=body.reuse,
    )
    return job_estimate.to_wire(forecast)


@router.patch("/jobs/{jobId}", operation_id="jobs-update", response_model=JobRead)
async def update_job(
    session: SessionDep, settings: SettingsDep, job: JobDep, body: JobUpdate
) -> JobRead:
    """Change the job's budget cap; a job paused at its cap continues once resumed."""
    budget = None if body.budget_usd is None else Decimal(str(body.budget_usd))
    if budget is not None:
        job_estimate.require_price(job.llm_model or settings.llm_model, settings)
    await job_service.set_budget(session, job.id, budget)
    return await job_read(session, job)


@router.get("/projects/{projectId}/jobs", operation_id="jobs-list", response_model=list[JobRead])
async def list_jobs(
    response: Response,
    session: SessionDep,
    project: ProjectDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[JobRead]:
    jobs, total = await job_service.list_jobs(session, project.id, offset=offset, limit=limit)
    response.headers["X-Total-Count"] = str(total)
    return [await job_read(session, job) for job in jobs]


@router.get("/jobs/{jobId}", operation_id="jobs-get", response_model=JobDetail)
async def get_job(session: SessionDep, job: JobDep) -> JobDetail:
    read = await job_read(session, job)
    logs = await job_reports.recent_logs(session, job.id)
    return JobDetail(**read.model_dump(), recent_logs=[JobLog.model_validate(log) for log in logs])


@router.get("/jobs/{jobId}/progress", operation_id="jobs-progress", response_model=JobProgress)
async def get_progress(session: SessionDep, job: JobDep) -> JobProgress:
    return await job_reports.progress(session, job)


@router.post("/jobs/{jobId}/pause", operation_id="jobs-pause", response_model=JobRead)
async def pause_job(session: SessionDep, job: JobDep) -> JobRead:
    await job_service.pause_job(session, job.id)
    return await job_read(session, job)


@router.post("/jobs/{jobId}/resume", operation_id="jobs-resume", response_model=JobRead)
async def resume_job(session: SessionDep, runner: RunnerDep, job: JobDep) -> JobRead:
    await job_service.resume_job(session, job.id)
    _notify_runner_after_commit(session, runner)
    return await job_read(session, job)


@router.post(
    "/jobs/{jobId}/replicate",
    operation_id="jobs-replicate",
    status_code=status.HTTP_201_CREATED,
    response_model=JobRead,
)
async def replicate_job(
    runner: RunnerDep,
    session: SessionDep,
    user: UserDep,
    clients: LLMClientsDep,
    job: JobDep,
    body: ReplicateRequest,
) -> JobRead:
    """Re-run a finished job's coded documents, with the same prompt versions, on a second
    model; `GET /jobs/{newJobId}/replication` then compares the two runs."""
    if clients is None:
        raise Conflict("No LLM provider configured: set OPENAI_API_KEY or LLM_BASE_URL.")
    replica = await replication.replicate_job(session, clients, job, body.llm.overrides(), user)
    _notify_runner_after_commit(session, runner)
    return await job_read(session, replica)


@router.get(
    "/jobs/{jobId}/replication", operation_id="jobs-replication", response_model=ReplicationRead
)
async def get_replication(session: SessionDep, job: JobDep, user: UserDep) -> ReplicationRead:
    """Per variable, how far this replication agrees with the job it replicates: alpha with
    its interval, percent agreement and Cohen's kappa, and the values that differ."""
    return await replication.replication_report(session, job, user.id)


@router.delete("/jobs/{jobId}", operation_id="jobs-cancel", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_job(session: SessionDep, runner: RunnerDep, job: JobDep) -> Response:
    """Cancel a job (contract: 409 once it has finished). Finished items keep their results."""
    await job_service.cancel_job(session, job.id)
    if runner is not None:
        after_commit(session, partial(runner.cancel_job, job.id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/jobs/{jobId}/results", operation_id="jobs-results", response_model=list[ExtractionRead]
)
async def get_results(
    response: Response,
    session: SessionDep,
    job: JobDep,
    user: UserDep,
    min_confidence: Annotated[float | None, Query(alias="minConfidence", ge=0, le=1)] = None,
    variable_id: Annotated[uuid.UUID | None, Query(alias="variableId")] = None,
    document_id: Annotated[uuid.UUID | None, Query(alias="documentId")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[ExtractionRead]:
    """A bare array as in the contract; `X-Total-Count` gives the total for pagination. A blind
    coder of an open study does not see the model's values for its documents."""
    filters = ResultFilter(
        min_confidence=min_confidence,
        variable_id=variable_id,
        document_id=document_id,
        viewer_id=user.id,
    )
    rows, total = await job_reports.list_results(
        session, job.id, filters, offset=offset, limit=limit
    )
    response.headers["X-Total-Count"] = str(total)
    return [
        ExtractionRead.of(r.extraction, r.variable_name, r.document_name, r.external_id)
        for r in rows
    ]


@router.get(
    "/jobs/{jobId}/flagged", operation_id="jobs-flagged", response_model=list[ExtractionRead]
)
async def get_flagged(
    response: Response,
    session: SessionDep,
    job: JobDep,
    user: UserDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[ExtractionRead]:
    """Extractions that need a reviewer: below the threshold, ungrounded, unknown category…"""
    rows, total = await job_reports.list_results(
        session,
        job.id,
        ResultFilter(flagged_only=True, viewer_id=user.id),
        offset=offset,
        limit=limit,
    )
    response.headers["X-Total-Count"] = str(total)
    return [
        ExtractionRead.of(r.extraction, r.variable_name, r.document_name, r.external_id)
        for r in rows
    ]


@router.get("/jobs/{jobId}/logs", operation_id="jobs-logs", response_model=list[JobLog])
async def get_logs(
    response: Response,
    session: SessionDep,
    job: JobDep,
    level: LogLevel | None = None,
    since: datetime | None = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[JobLog]:
    """Oldest first; `level` keeps that level and worse, `since` only newer entries."""
    logs, total = await job_reports.list_logs(
        session, job.id, level=level, since=since, offset=offset, limit=limit
    )
    response.headers["X-Total-Count"] = str(total)
    return [JobLog.model_validate(log) for log in logs]


@router.get(
    "/jobs/{jobId}/statistics", operation_id="jobs-statistics", response_model=JobStatistics
)
async def get_statistics(session: SessionDep, job: JobDep) -> JobStatistics:
    variables = await job_reports.variable_statistics(session, job)
    return JobStatistics(job_id=job.id, documents=job.total_items, variables=variables)


@router.post(
    "/projects/{projectId}/extract-preview",
    operation_id="extractions-preview",
    response_model=PreviewResult,
)
async def preview(
    database: DatabaseDep,
    settings: SettingsDep,
    llm: LLMDep,
    clients: LLMClientsDep,
    project_id: ProjectId,
    body: PreviewRequest,
) -> PreviewResult:
    """Try the active prompts of the schema (or of `variableIds`) on one document; nothing is
    stored, so prompts can be tuned before a sample job."""
    # The plan is read in its own short transaction: none stays open across the LLM calls.
    async with database.transaction() as session:
        project = await project_service.get_project(session, project_id)
        plan = await preview_service.plan_preview(
            session,
            settings,
            project,
            document_id=body.document_id,
            variable_ids=body.variable_ids,
            call_mode=body.call_mode,
        )
    if clients is not None and project.llm:  # the project's own model, as its jobs use
        project_service.check_model_choice(clients, project.llm)
        llm = clients.get(clients.resolve(project.llm))
    outcome = await preview_service.run_preview(llm, plan)
    names = plan.names
    return PreviewResult(
        document_id=body.document_id,
        values=[
            PreviewValue(
                variable_id=r.variable_id,
                variable_name=names[r.variable_id],
                entity_index=r.entity_index,
                entity_key=r.entity_key,
                value=r.display_value,
                typed_value=r.value,
                unit=r.unit,
                confidence=r.confidence,
                source_text=r.source_text,
                char_start=r.char_start,
                char_end=r.char_end,
                page=r.page,
                reasoning=r.reasoning,
                grounding=r.grounding,
                flags=r.flags,
                needs_review=r.needs_review,
                prompt_version=r.prompt_version,
            )
            for r in outcome.results
        ],
        failures=[PreviewFailure(**vars(f)) for f in outcome.failures],
        llm_calls=outcome.llm_calls,
        prompt_tokens=outcome.prompt_tokens,
        completion_tokens=outcome.completion_tokens,
        cost_usd=round(outcome.cost_usd, 6),
    )
