"""`JobDep` (the job named in the path, or 404) and the process's LLM clients (the default
one, and one per model chosen by a project or job) and job runner, which are absent when no
LLM is configured or the runner is switched off."""

import uuid
from typing import Annotated

from fastapi import Depends, Path, Request

from coderai.core.dependencies import SessionDep
from coderai.jobs import service as job_service
from coderai.jobs.runner import JobRunner
from coderai.llm import LLMClient, LLMClients
from coderai.models import ProcessingJob


async def load_job(
    job_id: Annotated[uuid.UUID, Path(alias="jobId")], session: SessionDep
) -> ProcessingJob:
    return await job_service.get_job(session, job_id)


def get_llm(request: Request) -> LLMClient | None:
    llm: LLMClient | None = request.app.state.llm
    return llm


def get_llm_clients(request: Request) -> LLMClients | None:
    clients: LLMClients | None = request.app.state.llm_clients
    return clients


def get_runner(request: Request) -> JobRunner | None:
    runner: JobRunner | None = request.app.state.runner
    return runner


JobDep = Annotated[ProcessingJob, Depends(load_job)]
LLMDep = Annotated[LLMClient | None, Depends(get_llm)]
LLMClientsDep = Annotated[LLMClients | None, Depends(get_llm_clients)]
RunnerDep = Annotated[JobRunner | None, Depends(get_runner)]
