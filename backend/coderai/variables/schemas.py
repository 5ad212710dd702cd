"""Variables on the wire: create, update, order, read (the rules live in `definition`)."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from coderai.core.schemas import CamelModel, InputModel
from coderai.models.enums import VariableType
from coderai.prompts.schemas import PromptRead
from coderai.variables.config import (
    ClassificationRules,
    EdgeCase,
    UncertaintyHandling,
    ValidationRules,
)
from coderai.variables.definition import Instructions, VariableFields, VariableName


class VariableCreate(VariableFields):
    # 1-based position; omitted → appended after the last variable.
    order: int | None = Field(default=None, ge=1)


class VariableUpdate(InputModel):
    """Partial update: the merged result is validated as a whole (`VariableFields`)."""

    name: VariableName | None = None
    display_name: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=5000)
    type: VariableType | None = None
    instructions: Instructions | None = None
    classification_rules: dict[str, Any] | None = None
    uncertainty_handling: dict[str, Any] | None = None
    edge_cases: list[dict[str, Any]] | None = Field(default=None, max_length=50)
    validation_rules: dict[str, Any] | None = None
    default_value: Any = None
    order: int | None = Field(default=None, ge=1)


class VariableOrder(InputModel):
    variable_ids: list[uuid.UUID] = Field(min_length=1)


class VariableRead(CamelModel):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    display_name: str | None
    description: str | None
    type: VariableType
    instructions: str
    classification_rules: ClassificationRules | None
    uncertainty_handling: UncertaintyHandling
    edge_cases: list[EdgeCase]
    validation_rules: ValidationRules | None
    default_value: Any
    order: int
    version: int
    created_at: datetime
    updated_at: datetime


class VariableDetail(VariableRead):
    current_prompt: PromptRead | None
