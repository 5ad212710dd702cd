"""Variables: the dataset's columns. Every change is validated as a whole definition and
regenerates the variable's prompt (a new version only when the prompt actually changes)."""

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.errors import Conflict, InvalidInput, NotFound, validation_errors
from coderai.members import audit
from coderai.models import Project, Variable
from coderai.models.enums import ProjectStatus
from coderai.prompts import service as prompt_service
from coderai.variables.config import plain
from coderai.variables.definition import VariableFields
from coderai.variables.schemas import VariableCreate, VariableUpdate

DEFINITION_FIELDS = (
    "name",
    "display_name",
    "description",
    "type",
    "instructions",
    "classification_rules",
    "uncertainty_handling",
    "edge_cases",
    "validation_rules",
    "default_value",
)


async def get_variable(session: AsyncSession, variable_id: uuid.UUID) -> Variable:
    variable = await session.get(Variable, variable_id)
    if variable is None:
        raise NotFound(f"Variable '{variable_id}' not found.")
    return variable


async def list_variables(session: AsyncSession, project_id: uuid.UUID) -> Sequence[Variable]:
    rows = await session.scalars(
        select(Variable)
        .where(Variable.project_id == project_id)
        .order_by(Variable.order, Variable.created_at)
    )
    return rows.all()


def _stored_form(definition: VariableFields) -> dict[str, Any]:
    return {
        "name": definition.name,
        "display_name": definition.display_name,
        "description": definition.description,
        "type": definition.type,
        "instructions": definition.instructions,
        "classification_rules": plain(definition.classification_rules),
        "uncertainty_handling": plain(definition.uncertainty_handling),
        "edge_cases": [plain(case) for case in definition.edge_cases],
        "validation_rules": plain(definition.validation_rules),
        "default_value": definition.default_value,
    }


async def lock_schema(session: AsyncSession, project_id: uuid.UUID) -> None:
    """Changes to one project's variables take turns (the project row is the lock), so two
    requests cannot both take a name or number the same position."""
    await session.execute(select(Project.id).where(Project.id == project_id).with_for_update())


async def _ensure_name_free(
    session: AsyncSession, project_id: uuid.UUID, name: str, exclude: uuid.UUID | None = None
) -> None:
    statement = select(Variable.id).where(Variable.project_id == project_id, Variable.name == name)
    if exclude is not None:
        statement = statement.where(Variable.id != exclude)
    if await session.scalar(statement) is not None:
        raise Conflict(f"A variable named '{name}' already exists in this project.")


async def _place(
    session: AsyncSession, project_id: uuid.UUID, variable: Variable, at: int | None
) -> None:
    """Put `variable` at 1-based position `at` (end when None) and renumber the others 1..n."""
    others = [v for v in await list_variables(session, project_id) if v.id != variable.id]
    position = len(others) if at is None else min(max(at - 1, 0), len(others))
    others.insert(position, variable)
    for index, item in enumerate(others, start=1):
        item.order = index


async def _flush_or_conflict(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request took the name first
        raise Conflict(f"A variable named '{name}' already exists in this project.") from exc


async def create_variable(
    session: AsyncSession, project: Project, data: VariableCreate, *, model: str
) -> Variable:
    """Create a variable and its first prompt version; the project's schema is then defined."""
    await lock_schema(session, project.id)
    await _ensure_name_free(session, project.id, data.name)
    variable = Variable(project_id=project.id, version=1, order=0, **_stored_form(data))
    session.add(variable)
    await _place(session, project.id, variable, data.order)
    await _flush_or_conflict(session, data.name)
    await prompt_service.regenerate(
        session, prompt_service.context_of(project), variable, model=model
    )
    if project.status is ProjectStatus.CREATED:
        project.status = ProjectStatus.SCHEMA_DEFINED
    await session.flush()
    await session.refresh(variable)
    audit.note(session, target=("variable", variable.id), name=variable.name)
    return variable


def _merged_definition(variable: Variable, data: VariableUpdate) -> VariableFields:
    current = prompt_service.definition_of(variable).model_dump(by_alias=True)
    changes = data.model_dump(exclude_unset=True, by_alias=True, exclude={"order"})
    try:
        return VariableFields.model_validate({**current, **changes})
    except ValidationError as exc:
        raise InvalidInput(
            "Variable definition is invalid.", errors=validation_errors(exc.errors())
        ) from exc


async def update_variable(
    session: AsyncSession, variable: Variable, data: VariableUpdate, *, model: str
) -> Variable:
    """Apply a partial update; the variable's version and prompt move only on a real change."""
    await lock_schema(session, variable.project_id)
    definition = _merged_definition(variable, data)
    if definition.name != variable.name:
        await _ensure_name_free(session, variable.project_id, definition.name, exclude=variable.id)
    changed = False
    for field, value in _stored_form(definition).items():
        if getattr(variable, field) != value:
            setattr(variable, field, value)
            changed = True
    if changed:
        variable.version += 1
    audit.note(session, name=definition.name, version=variable.version, changed=changed)
    if data.order is not None and data.order != variable.order:
        await _place(session, variable.project_id, variable, data.order)
    await _flush_or_conflict(session, definition.name)
    if changed:
        project = await session.get_one(Project, variable.project_id)
        await prompt_service.regenerate(
            session, prompt_service.context_of(project), variable, model=model
        )
    await session.refresh(variable)
    return variable


async def reorder_variables(
    session: AsyncSession, project: Project, variable_ids: list[uuid.UUID]
) -> Sequence[Variable]:
    await lock_schema(session, project.id)
    variables = {v.id: v for v in await list_variables(session, project.id)}
    if len(set(variable_ids)) != len(variable_ids) or set(variable_ids) != set(variables):
        raise InvalidInput(
            "variableIds must list every variable of the project exactly once.",
            errors=[
                {
                    "field": "variableIds",
                    "message": "must be a permutation of the project's variables",
                }
            ],
        )
    for index, variable_id in enumerate(variable_ids, start=1):
        variables[variable_id].order = index
    await session.flush()
    return await list_variables(session, project.id)


async def delete_variable(session: AsyncSession, variable: Variable) -> None:
    project_id = variable.project_id
    audit.note(session, name=variable.name)
    await lock_schema(session, project_id)
    await session.delete(variable)
    await session.flush()
    remaining = await list_variables(session, project_id)
    for index, item in enumerate(remaining, start=1):
        item.order = index
    if not remaining:
        project = await session.get_one(Project, project_id)
        if project.status is ProjectStatus.SCHEMA_DEFINED:
            project.status = ProjectStatus.CREATED
    await session.flush()


async def count_variables(session: AsyncSession, project_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.count()).select_from(Variable).where(Variable.project_id == project_id)
    )
    return total or 0
