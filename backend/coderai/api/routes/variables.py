"""Variables (the schema) and their prompt history."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from coderai.api.deps import ProjectDep, SessionDep, VariableDep
from coderai.schemas.feedback import PromptDraftCreate, PromptDraftRead
from coderai.schemas.variable import (
    PromptRead,
    VariableCreate,
    VariableDetail,
    VariableOrder,
    VariableRead,
    VariableUpdate,
)
from coderai.services import prompt_refiner, prompt_service, variable_service

router = APIRouter(tags=["variables"])


@router.get(
    "/projects/{projectId}/variables",
    operation_id="variables-list",
    response_model=list[VariableRead],
)
async def list_variables(session: SessionDep, project: ProjectDep) -> list[VariableRead]:
    variables = await variable_service.list_variables(session, project.id)
    return [VariableRead.model_validate(v) for v in variables]


@router.post(
    "/projects/{projectId}/variables",
    operation_id="variables-create",
    status_code=status.HTTP_201_CREATED,
    response_model=VariableDetail,
)
async def create_variable(
    session: SessionDep, project: ProjectDep, body: VariableCreate
) -> VariableDetail:
    variable = await variable_service.create_variable(session, project, body)
    return await _detail(session, variable)


@router.put(
    "/projects/{projectId}/variables/order",
    operation_id="variables-reorder",
    response_model=list[VariableRead],
)
async def reorder_variables(
    session: SessionDep, project: ProjectDep, body: VariableOrder
) -> list[VariableRead]:
    variables = await variable_service.reorder_variables(session, project, body.variable_ids)
    return [VariableRead.model_validate(v) for v in variables]


async def _detail(session: SessionDep, variable: VariableDep) -> VariableDetail:
    prompt = await prompt_service.active_prompt(session, variable.id)
    return VariableDetail.model_validate(
        {
            **VariableRead.model_validate(variable).model_dump(),
            "current_prompt": None if prompt is None else PromptRead.model_validate(prompt),
        }
    )


@router.get("/variables/{variableId}", operation_id="variables-get", response_model=VariableDetail)
async def get_variable(session: SessionDep, variable: VariableDep) -> VariableDetail:
    return await _detail(session, variable)


@router.put(
    "/variables/{variableId}", operation_id="variables-update", response_model=VariableDetail
)
async def update_variable(
    session: SessionDep, variable: VariableDep, body: VariableUpdate
) -> VariableDetail:
    await variable_service.update_variable(session, variable, body)
    return await _detail(session, variable)


@router.delete(
    "/variables/{variableId}",
    operation_id="variables-delete",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_variable(session: SessionDep, variable: VariableDep) -> Response:
    await variable_service.delete_variable(session, variable)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/variables/{variableId}/prompts",
    operation_id="variables-prompts",
    response_model=list[PromptRead],
)
async def prompt_history(session: SessionDep, variable: VariableDep) -> list[PromptRead]:
    prompts = await prompt_service.prompt_history(session, variable.id)
    return [PromptRead.model_validate(p) for p in prompts]


@router.post(
    "/variables/{variableId}/prompts",
    operation_id="variables-prompts-create",
    status_code=status.HTTP_201_CREATED,
    response_model=PromptDraftRead,
)
async def create_prompt_draft(
    session: SessionDep, variable: VariableDep, body: PromptDraftCreate
) -> PromptDraftRead:
    """Store a hand-edited prompt as a MANUAL draft (not active), with its diff."""
    return await prompt_refiner.create_manual_draft(session, variable, body)


@router.post(
    "/prompts/{promptId}/activate", operation_id="prompts-activate", response_model=PromptRead
)
async def activate_prompt(
    session: SessionDep, prompt_id: Annotated[uuid.UUID, Path(alias="promptId")]
) -> PromptRead:
    """Make a prompt version the active one; jobs created from now on snapshot it."""
    return PromptRead.model_validate(await prompt_refiner.activate_prompt(session, prompt_id))
