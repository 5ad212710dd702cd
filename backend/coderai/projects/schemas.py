"""Project request and response models."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from coderai.core.schemas import CamelModel, InputModel
from coderai.llm.schemas import ModelSettings, ModelSettingsRead
from coderai.models.enums import ProjectRole, ProjectScale, ProjectStatus
from coderai.projects.unit import UnitOfObservation
from coderai.variables.schemas import VariableRead

ProjectName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
Language = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


class ProjectCreate(InputModel):
    name: ProjectName
    description: str | None = Field(default=None, max_length=5000)
    scale: ProjectScale
    language: Language = "en"
    domain: ShortText | None = None
    document_type: ShortText | None = None
    unit_of_observation: UnitOfObservation = Field(default_factory=UnitOfObservation)
    # The budget cap (USD) each job of the project gets unless its request names one.
    budget_usd: float | None = Field(default=None, ge=0, le=10_000_000)
    llm: ModelSettings | None = Field(
        default=None, description="The project's model (null: the environment's)"
    )


class ProjectUpdate(InputModel):
    name: ProjectName | None = None
    description: str | None = Field(default=None, max_length=5000)
    scale: ProjectScale | None = None
    language: Language | None = None
    domain: ShortText | None = None
    document_type: ShortText | None = None
    unit_of_observation: UnitOfObservation | None = None
    budget_usd: float | None = Field(default=None, ge=0, le=10_000_000)
    llm: ModelSettings | None = Field(
        default=None, description="The project's model; null goes back to the environment's"
    )

    @model_validator(mode="after")
    def _no_null_for_required(self) -> "ProjectUpdate":
        for field in ("name", "scale", "language", "unit_of_observation"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self


class ProjectRead(CamelModel):
    id: uuid.UUID
    name: str
    description: str | None
    scale: ProjectScale
    language: str
    domain: str | None
    document_type: str | None
    status: ProjectStatus
    unit_of_observation: UnitOfObservation
    budget_usd: float | None = None
    llm: ModelSettingsRead | None = Field(
        default=None, description="The project's model over the environment's (null: none)"
    )
    variable_count: int = 0
    document_count: int = 0
    my_role: ProjectRole | None = Field(
        default=None, description="The caller's role here (null: not a member, e.g. an admin)"
    )
    created_at: datetime
    updated_at: datetime


class ProjectDetail(ProjectRead):
    variables: list[VariableRead] = []


class ProjectPage(CamelModel):
    items: list[ProjectRead]
    total: int
    offset: int
    limit: int
