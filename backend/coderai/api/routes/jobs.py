"""Jobs: create, status, progress, pause/resume/cancel, results, logs, flagged, statistics."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.api.deps import ProjectDep, SessionDep, SettingsDep
from coderai.core.errors import Conflict
from coderai.models import Extraction, ProcessingJob
from coderai.models.enums import LogLevel
from coderai.schemas.base import MAX_OFFSET
from coderai.schemas.job import (
    ExtractionRead,
    JobCreate,
    JobDetail,
    JobLog,
    JobProgress,
    JobRead,
    JobStatistics,
    PreviewFailure,
    PreviewRequest,
    PreviewResult,
    PreviewValue,
)
from coderai.services import job_manager, job_reports, preview_service
from coderai.services.job_reports import ResultFilter

router = APIRouter(tags=["jobs"])


async def load_job(
    job_id: Annotated[uuid.UUID, Path(alias="jobId")], session: SessionDep
) -> ProcessingJob:
    return await job_manager.get_job(session, job_id)


JobDep = Annotated[ProcessingJob, Depends(load_job)]


def _notify_runner(request: Request) -> None:
    runner = getattr(request.app.state, "runner", None)
    if runner is not None:
        runner.notify()


async def job_read(session: AsyncSession, job: ProcessingJob) -> JobRead:
    prompts = await job_reports.job_prompts(session, job)
    return JobRead(
        id=job.id,
        project_id=job.project_id,
        job_type=job.job_type,
        status=job.status,
        status_reason=job.status_reason,
        document_ids=await job_manager.job_document_ids(session, job.id),
        progress=job_reports.percent(job),
        total_items=job.total_items,
        done_items=job.done_items,
        failed_items=job.failed_items,
        flagged_items=job.flagged_items,
        sample_seed=job.sample_seed,
        prompt_versions={p.variable_name: p.version for p in prompts},
        prompts=prompts,
        llm_model=job.llm_model,
        created_at=job.created_at,
        started_at=job.started_at,
        completed_at=job.completed_at,
    )


def extraction_read(
    extraction: Extraction,
    variable_name: str,
    document_name: str | None = None,
    external_id: str | None = None,
) -> ExtractionRead:
    return ExtractionRead(
        document_name=document_name,
        external_id=external_id,
        id=extraction.id,
        job_id=extraction.job_id,
        document_id=extraction.document_id,
        variable_id=extraction.variable_id,
        variable_name=variable_name,
        entity_index=extraction.entity_index,
        entity_key=extraction.entity_key,
        value=extraction.display_value,
        typed_value=extraction.value,
        unit=extraction.unit,
        confidence=extraction.confidence,
        source_text=extraction.source_text,
        char_start=extraction.char_start,
        char_end=extraction.char_end,
        page=extraction.page,
        grounding=extraction.grounding,
        flags=extraction.flags,
        needs_review=extraction.needs_review,
        prompt_version=extraction.prompt_version,
        created_at=extraction.created_at,
    )


@router.post(
    "/projects/{projectId}/jobs",
    operation_id="jobs-create",
    status_code=status.HTTP_201_CREATED,
    response_model=JobRead,
)
async def create_job(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    project: ProjectDep,
    body: JobCreate,
) -> JobRead:
    if not settings.llm_configured:
        raise Conflict(
            "No LLM provider configured: set OPENAI_API_KEY, or LLM_BASE_URL for an "
            "OpenAI-compatible server, then restart."
        )
    job = await job_manager.create_job(
        session,
        project,
        job_type=body.job_type,
        document_ids=body.document_ids,
        document_count=body.document_count,
        sample_seed=body.sample_seed,
        options={"callMode": body.call_mode},
        llm_model=settings.llm_model,
    )
    read = await job_read(session, job)
    await session.commit()  # the runner must see the job before it is told about it
    _notify_runner(request)
    return read


@router.get("/projects/{projectId}/jobs", operation_id="jobs-list", response_model=list[JobRead])
async def list_jobs(
    response: Response,
    session: SessionDep,
    project: ProjectDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[JobRead]:
    jobs, total = await job_manager.list_jobs(session, project.id, offset=offset, limit=limit)
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
    await job_manager.pause_job(session, job.id)
    return await job_read(session, job)


@router.post("/jobs/{jobId}/resume", operation_id="jobs-resume", response_model=JobRead)
async def resume_job(request: Request, session: SessionDep, job: JobDep) -> JobRead:
    await job_manager.resume_job(session, job.id)
    read = await job_read(session, job)
    await session.commit()
    _notify_runner(request)
    return read


@router.delete("/jobs/{jobId}", operation_id="jobs-cancel", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_job(request: Request, session: SessionDep, job: JobDep) -> Response:
    """Cancel a job (contract: 409 once it has finished). Finished items keep their results."""
    await job_manager.cancel_job(session, job.id)
    await session.commit()
    runner = getattr(request.app.state, "runner", None)
    if runner is not None:
        runner.cancel_job(job.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/jobs/{jobId}/results", operation_id="jobs-results", response_model=list[ExtractionRead]
)
async def get_results(
    response: Response,
    session: SessionDep,
    job: JobDep,
    min_confidence: Annotated[float | None, Query(alias="minConfidence", ge=0, le=1)] = None,
    variable_id: Annotated[uuid.UUID | None, Query(alias="variableId")] = None,
    document_id: Annotated[uuid.UUID | None, Query(alias="documentId")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[ExtractionRead]:
    """A bare array as in the contract; `X-Total-Count` gives the total for pagination."""
    filters = ResultFilter(
        min_confidence=min_confidence, variable_id=variable_id, document_id=document_id
    )
    rows, total = await job_reports.list_results(
        session, job.id, filters, offset=offset, limit=limit
    )
    response.headers["X-Total-Count"] = str(total)
    return [
        extraction_read(r.extraction, r.variable_name, r.document_name, r.external_id) for r in rows
    ]


@router.get(
    "/jobs/{jobId}/flagged", operation_id="jobs-flagged", response_model=list[ExtractionRead]
)
async def get_flagged(
    response: Response,
    session: SessionDep,
    job: JobDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[ExtractionRead]:
    """Extractions that need a reviewer: below the threshold, ungrounded, unknown category…"""
    rows, total = await job_reports.list_results(
        session, job.id, ResultFilter(flagged_only=True), offset=offset, limit=limit
    )
    response.headers["X-Total-Count"] = str(total)
    return [
        extraction_read(r.extraction, r.variable_name, r.document_name, r.external_id) for r in rows
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
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    project: ProjectDep,
    body: PreviewRequest,
) -> PreviewResult:
    """Try the active prompts of the schema (or of `variableIds`) on one document; nothing is
    stored, so prompts can be tuned before a sample job."""
    plan = await preview_service.plan_preview(
        session,
        settings,
        project,
        document_id=body.document_id,
        variable_ids=body.variable_ids,
        call_mode=body.call_mode,
    )
    await session.commit()  # no transaction stays open across the LLM calls
    outcome = await preview_service.run_preview(request.app.state.llm, plan)
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
