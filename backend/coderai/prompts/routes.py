"""Prompt versions: history, hand-written drafts, refinement from review, evaluation of a
draft on reviewed items, and activation."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, status

from coderai.auth.dependencies import UserDep
from coderai.core.database import after_commit
from coderai.core.dependencies import DatabaseDep, SessionDep, SettingsDep
from coderai.jobs.dependencies import LLMDep, RunnerDep
from coderai.prompts import evaluation as prompt_evaluation
from coderai.prompts import refiner as prompt_refiner
from coderai.prompts import service as prompt_service
from coderai.prompts.schemas import (
    EvaluateRequest,
    EvaluationRead,
    PromptDraftCreate,
    PromptDraftRead,
    PromptRead,
    RefinementRead,
    RefineRequest,
)
from coderai.variables.dependencies import VariableDep

router = APIRouter()

PromptId = Annotated[uuid.UUID, Path(alias="promptId")]
VariableId = Annotated[uuid.UUID, Path(alias="variableId")]


@router.get(
    "/variables/{variableId}/prompts",
    operation_id="variables-prompts",
    tags=["variables"],
    response_model=list[PromptRead],
)
async def prompt_history(session: SessionDep, variable: VariableDep) -> list[PromptRead]:
    prompts = await prompt_service.prompt_history(session, variable.id)
    return [PromptRead.model_validate(p) for p in prompts]


@router.post(
    "/variables/{variableId}/prompts",
    operation_id="variables-prompts-create",
    tags=["variables"],
    status_code=status.HTTP_201_CREATED,
    response_model=PromptDraftRead,
)
async def create_prompt_draft(
    session: SessionDep, settings: SettingsDep, variable: VariableDep, body: PromptDraftCreate
) -> PromptDraftRead:
    """Store a hand-edited prompt as a MANUAL draft (not active), with its diff."""
    return await prompt_refiner.create_manual_draft(
        session, variable, body, model=settings.llm_model
    )


@router.post(
    "/prompts/{promptId}/activate",
    operation_id="prompts-activate",
    response_model=PromptRead,
    tags=["variables"],
)
async def activate_prompt(
    session: SessionDep, settings: SettingsDep, prompt_id: PromptId
) -> PromptRead:
    """Make a prompt version the active one; jobs created from now on snapshot it."""
    prompt = await prompt_refiner.activate_prompt(session, prompt_id, model=settings.llm_model)
    return PromptRead.model_validate(prompt)


@router.post(
    "/variables/{variableId}/refine",
    operation_id="variables-refine",
    tags=["review"],
    status_code=status.HTTP_201_CREATED,
    response_model=RefinementRead,
)
async def refine(
    database: DatabaseDep,
    settings: SettingsDep,
    llm: LLMDep,
    variable_id: VariableId,
    body: Annotated[RefineRequest | None, Body()] = None,
) -> RefinementRead:
    """Propose a new prompt version as a draft (not active) from the reviewed errors."""
    body = body or RefineRequest()
    # Without an LLM configured (or when not asked for) the rewrite is skipped.
    return await prompt_refiner.refine_variable(
        database,
        variable_id,
        job_id=body.job_id,
        hold_out=body.hold_out,
        llm=llm if body.use_llm else None,
        model=settings.llm_model,
    )


@router.post(
    "/prompts/{promptId}/evaluate",
    operation_id="prompts-evaluate",
    tags=["review"],
    status_code=status.HTTP_201_CREATED,
    response_model=EvaluationRead,
)
async def evaluate_prompt(
    session: SessionDep,
    user: UserDep,
    runner: RunnerDep,
    settings: SettingsDep,
    prompt_id: PromptId,
    body: Annotated[EvaluateRequest | None, Body()] = None,
) -> EvaluationRead:
    """Run a prompt version (typically a draft) on a job's reviewed documents as an
    EVALUATION job; poll GET /prompts/{promptId}/evaluation for old vs new accuracy."""
    body = body or EvaluateRequest()
    evaluation = await prompt_evaluation.start_evaluation(
        session, prompt_id, source_job_id=body.job_id, settings=settings, created_by=user
    )
    if runner is not None:  # told once the job is committed, so it can see it
        after_commit(session, runner.notify)
    return evaluation


@router.get(
    "/prompts/{promptId}/evaluation",
    operation_id="prompts-evaluation",
    tags=["review"],
    response_model=EvaluationRead,
)
async def prompt_evaluation_result(
    session: SessionDep,
    prompt_id: PromptId,
    job_id: Annotated[uuid.UUID | None, Query(alias="jobId")] = None,
) -> EvaluationRead:
    """Old vs new accuracy per variable on the reviewed items (latest evaluation by default)."""
    return await prompt_evaluation.evaluation_of(session, prompt_id, job_id)
