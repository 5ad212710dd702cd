"""Variable and prompt request/response models, with the type-specific rules."""

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator, model_validator

from coderai.models.enums import PromptOrigin, VariableType
from coderai.schemas.base import CamelModel, InputModel
from coderai.schemas.variable_config import (
    ClassificationRules,
    EdgeCase,
    UncertaintyHandling,
    ValidationRules,
)

VARIABLE_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"

VariableName = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=VARIABLE_NAME_PATTERN)
]
Instructions = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=10, max_length=5000)
]


def _categories_from_strings(value: Any) -> Any:
    # The contract types classificationRules as a free object; accept plain category names.
    if isinstance(value, dict) and isinstance(value.get("categories"), list):
        value = dict(value)
        value["categories"] = [
            {"value": c} if isinstance(c, str) else c for c in value["categories"]
        ]
    return value


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return bool(re.fullmatch(r"\d{4}(-\d{2})?", text))
    return True


class VariableFields(InputModel):
    """Everything that defines a variable; shared by create, schema import and updates."""

    name: VariableName
    display_name: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=5000)
    type: VariableType
    instructions: Instructions
    classification_rules: ClassificationRules | None = None
    uncertainty_handling: UncertaintyHandling = Field(default_factory=UncertaintyHandling)
    edge_cases: list[EdgeCase] = Field(default_factory=list, max_length=50)
    validation_rules: ValidationRules | None = None
    default_value: Any = None

    @field_validator("classification_rules", mode="before")
    @classmethod
    def _normalise_categories(cls, value: Any) -> Any:
        return _categories_from_strings(value)

    @model_validator(mode="after")
    def _type_rules(self) -> "VariableFields":
        categories = self.classification_rules.categories if self.classification_rules else []
        if self.type is VariableType.CATEGORY and len(categories) < 2:
            raise ValueError(
                "a CATEGORY variable needs classificationRules.categories with at least two "
                "distinct categories"
            )
        rules = self.validation_rules
        if rules is not None:
            if (rules.min is not None or rules.max is not None) and self.type is not (
                VariableType.NUMBER
            ):
                raise ValueError("validationRules.min/max apply to NUMBER variables only")
            for bound in (rules.min_date, rules.max_date):
                if bound is not None and (
                    self.type is not VariableType.DATE or not _is_iso_date(bound)
                ):
                    raise ValueError(
                        "validationRules.minDate/maxDate apply to DATE variables and must be "
                        "ISO dates (YYYY, YYYY-MM or YYYY-MM-DD)"
                    )
        self._check_default(categories)
        return self

    def _check_default(self, categories: list[Any]) -> None:
        value = self.default_value
        if value is None:
            return
        expected = {
            VariableType.NUMBER: (int, float),
            VariableType.BOOLEAN: (bool,),
            VariableType.TEXT: (str,),
            VariableType.CATEGORY: (str,),
            VariableType.DATE: (str,),
        }[self.type]
        if isinstance(value, bool) and self.type is VariableType.NUMBER:
            raise ValueError("defaultValue must be a number for a NUMBER variable")
        if not isinstance(value, expected):
            raise ValueError(f"defaultValue does not match the variable type {self.type}")
        if self.type is VariableType.CATEGORY and value not in {c.value for c in categories}:
            raise ValueError("defaultValue must be one of the categories")
        if self.type is VariableType.DATE and not _is_iso_date(str(value)):
            raise ValueError("defaultValue must be an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")


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
    edge_cases: list[dict[str, Any]] | None = None
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


class PromptRead(CamelModel):
    id: uuid.UUID
    version: int
    is_active: bool
    prompt_text: str
    llm_config: dict[str, Any] = Field(serialization_alias="modelConfig")
    response_schema: dict[str, Any]
    origin: PromptOrigin
    content_hash: str
    note: str | None
    created_at: datetime


class VariableDetail(VariableRead):
    current_prompt: PromptRead | None
