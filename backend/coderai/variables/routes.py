"""Variables (the schema) and their prompt history."""

from fastapi import APIRouter, Response, status

from coderai.core.dependencies import SessionDep, SettingsDep
from coderai.projects.dependencies import ProjectDep
from coderai.prompts import service as prompt_service
from coderai.prompts.schemas import PromptRead
from coderai.variables import service as variable_service
from coderai.variables.dependencies import VariableDep
from coderai.variables.schemas import (
    VariableCreate,
    VariableDetail,
    VariableOrder,
    VariableRead,
    VariableUpdate,
)

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
    session: SessionDep, settings: SettingsDep, project: ProjectDep, body: VariableCreate
) -> VariableDetail:
    variable = await variable_service.create_variable(
        session, project, body, model=settings.llm_model
    )
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
    session: SessionDep, settings: SettingsDep, variable: VariableDep, body: VariableUpdate
) -> VariableDetail:
    await variable_service.update_variable(session, variable, body, model=settings.llm_model)
    return await _detail(session, variable)


@router.delete(
    "/variables/{variableId}",
    operation_id="variables-delete",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_variable(session: SessionDep, variable: VariableDep) -> Response:
    await variable_service.delete_variable(session, variable)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
