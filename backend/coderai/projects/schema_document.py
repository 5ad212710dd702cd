"""The exported/imported schema document (`/projects/{id}/schema`) and how its text is read
(JSON or YAML without aliases; light enough to run in an isolated child, docs/ARCHITECTURE.md
"Parsing in isolation")."""

from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError

from coderai.core.errors import InvalidInput, validation_errors
from coderai.core.schemas import CamelModel, InputModel
from coderai.projects.schemas import ProjectCreate, ProjectUpdate
from coderai.variables.schemas import VariableCreate


class SchemaProjectContext(ProjectCreate):
    """The project part of a schema document: what a project is created with."""

    def as_update(self) -> ProjectUpdate:
        # The importing project keeps its own name: a schema is a template, not an identity.
        return ProjectUpdate.model_validate(self.model_dump(exclude={"name"}))


class SchemaDocument(InputModel):
    format_version: Literal[1] = 1
    project: SchemaProjectContext | None = None
    variables: list[VariableCreate] = Field(default_factory=list, max_length=500)


class SchemaImportResult(CamelModel):
    created: int
    updated: int
    deleted: int
    schema_: SchemaDocument = Field(alias="schema")


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without aliases: `*name` would let a few hundred bytes expand to gigabytes (a
    "billion laughs"), and a schema document never needs one."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
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
