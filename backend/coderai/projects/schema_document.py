"""The exported/imported schema document (`/projects/{id}/schema`)."""

from typing import Literal

from pydantic import Field

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
