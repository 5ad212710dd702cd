"""The exported/imported schema document (`/projects/{id}/schema`)."""

from typing import Literal

from pydantic import Field

from coderai.models.enums import ProjectScale
from coderai.schemas.base import CamelModel
from coderai.schemas.project import ProjectName, ProjectUpdate, ShortText, UnitOfObservation
from coderai.schemas.variable import VariableCreate


class SchemaProjectContext(CamelModel):
    name: ProjectName
    description: str | None = Field(default=None, max_length=5000)
    scale: ProjectScale
    language: ShortText = "en"
    domain: ShortText | None = None
    document_type: ShortText | None = None
    unit_of_observation: UnitOfObservation = Field(default_factory=UnitOfObservation)

    def as_update(self) -> ProjectUpdate:
        # The importing project keeps its own name: a schema is a template, not an identity.
        return ProjectUpdate.model_validate(self.model_dump(exclude={"name"}))


class SchemaDocument(CamelModel):
    format_version: Literal[1] = 1
    project: SchemaProjectContext | None = None
    variables: list[VariableCreate] = Field(default_factory=list, max_length=500)


class SchemaImportResult(CamelModel):
    created: int
    updated: int
    deleted: int
    schema_: SchemaDocument = Field(alias="schema")
