"""Schema as code: a project's context and all its variables as one JSON/YAML document."""

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.errors import InvalidInput, validation_errors
from coderai.models import Project
from coderai.projects import service as project_service
from coderai.projects.schema_document import SchemaDocument, SchemaProjectContext
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


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without aliases: `*name` would let a few hundred bytes expand to gigabytes (a
    "billion laughs"), and a schema document never needs one."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                "aliases (*name) are not accepted in a schema document",
                event.start_mark,
            )
        return super().compose_node(parent, index)


@dataclass(frozen=True)
class SchemaProblem:
    detail: str
    errors: list[dict[str, str]]


def read_schema_document(body: bytes, content_type: str) -> SchemaDocument | SchemaProblem:
    """`parse_schema_document` as plain data, for an isolated child process (docs/
    ARCHITECTURE.md, "Parsing in isolation")."""
    try:
        return parse_schema_document(body, content_type)
    except InvalidInput as exc:
        return SchemaProblem(exc.detail, exc.errors or [])


def parse_schema_document(body: bytes, content_type: str) -> SchemaDocument:
    """Parse a JSON or YAML schema document; every problem is reported as a field error."""
    if not body.strip():
        raise InvalidInput(
            "The schema document is empty.", errors=[{"field": "body", "message": "empty"}]
        )
    try:
        # YAML is a superset of JSON, so one parser reads both; the content type only names it.
        raw = yaml.load(body, Loader=_NoAliasLoader)
    except RecursionError as exc:
        raise InvalidInput(
            "The schema document is nested too deeply.",
            errors=[{"field": "body", "message": "nested too deeply"}],
        ) from exc
    except yaml.YAMLError as exc:
        kind = "YAML" if "yaml" in content_type else "JSON"
        raise InvalidInput(
            f"The schema document is not valid {kind}.",
            errors=[{"field": "body", "message": str(exc)}],
        ) from exc
    try:
        document = SchemaDocument.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(
            "The schema document is invalid.", errors=validation_errors(exc.errors())
        ) from exc
    names = [v.name for v in document.variables]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(
            "Variable names must be unique within a schema.",
            errors=[{"field": "variables", "message": f"duplicate name '{n}'"} for n in duplicates],
        )
    return document


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
