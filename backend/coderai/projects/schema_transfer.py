"""Schema as code: a project's context and all its variables as one JSON/YAML document."""

from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.models import Project
from coderai.projects import service as project_service
from coderai.projects.schema_document import (
    SchemaDocument,
    SchemaProjectContext,
    parse_schema_document,
    read_schema_document,
)
from coderai.prompts.service import definition_of
from coderai.variables import service as variable_service
from coderai.variables.schemas import VariableCreate, VariableUpdate


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    deleted: int


async def export_schema(session: AsyncSession, project: Project) -> SchemaDocument:
    variables = await variable_service.list_variables(session, project.id)
    return SchemaDocument(
        project=SchemaProjectContext.model_validate(project),
        variables=[
            VariableCreate.model_validate(
                {**definition_of(v).model_dump(by_alias=True), "order": v.order}
            )
            for v in variables
        ],
    )


async def import_schema(
    session: AsyncSession, project: Project, document: SchemaDocument, *, replace: bool, model: str
) -> ImportOutcome:
    """Apply a validated schema: context, then variables upserted by name (others deleted when
    `replace`). The caller's transaction makes it all or nothing."""
    await variable_service.lock_schema(session, project.id)
    if document.project is not None:
        await project_service.update_project(
            session, project, document.project.as_update(), model=model
        )
    existing = {v.name: v for v in await variable_service.list_variables(session, project.id)}
    created = updated = deleted = 0
    if replace:
        for name in set(existing) - {v.name for v in document.variables}:
            await variable_service.delete_variable(session, existing.pop(name))
            deleted += 1
    for position, incoming in enumerate(document.variables, start=1):
        order = incoming.order or position
        current = existing.get(incoming.name)
        if current is None:
            await variable_service.create_variable(
                session, project, incoming.model_copy(update={"order": order}), model=model
            )
            created += 1
        else:
            changes: dict[str, Any] = incoming.model_dump(by_alias=True, exclude={"order"})
            changes["order"] = order
            before = current.version
            await variable_service.update_variable(
                session, current, VariableUpdate.model_validate(changes), model=model
            )
            updated += current.version != before
    return ImportOutcome(created, updated, deleted)


def render_yaml(document: SchemaDocument) -> str:
    return yaml.safe_dump(
        document.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True
    )


__all__ = [
    "ImportOutcome",
    "export_schema",
    "import_schema",
    "parse_schema_document",
    "read_schema_document",
    "render_yaml",
]
