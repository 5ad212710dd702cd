"""The structured parts of a variable definition (stored as JSONB, validated here).

These models are shared by the API, the prompt generator and the post-processing of answers.
"""

import re
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator, model_validator

from coderai.core.schemas import StrictCamelModel
from coderai.models.enums import MultiValueAction, UncertainAction

# Every free-text and list field is bounded (and says so in the OpenAPI document): each goes
# into every prompt of the variable.
Synonym = Annotated[str, StringConstraints(max_length=200)]
Example = Annotated[str, StringConstraints(max_length=1000)]
IsoDate = Annotated[str, StringConstraints(max_length=10)]


class Category(StrictCamelModel):
    value: str = Field(min_length=1, max_length=200)
    definition: str | None = Field(default=None, max_length=2000)
    synonyms: list[Synonym] = Field(default_factory=list, max_length=50)
    examples: list[Example] = Field(default_factory=list, max_length=20)


class ClassificationRules(StrictCamelModel):
    """Allowed categories of a CATEGORY variable, each with its definition."""

    categories: list[Category] = Field(default_factory=list, max_length=200)
    allow_other: bool = False
    ordered: bool = Field(
        default=False,
        description="The categories are listed from lowest to highest (an ordinal scale): "
        "reliability then uses Krippendorff's ordinal alpha.",
    )

    @field_validator("categories")
    @classmethod
    def _distinct(cls, categories: list[Category]) -> list[Category]:
        seen: set[str] = set()
        for category in categories:
            key = category.value.strip().casefold()
            if key in seen:
                raise ValueError(f"category '{category.value}' is listed twice")
            seen.add(key)
        return categories


class UncertaintyHandling(StrictCamelModel):
    confidence_threshold: float = Field(default=0.7, ge=0.0, le=1.0)
    if_uncertain: UncertainAction = UncertainAction.FLAG_FOR_REVIEW
    if_multiple_values: MultiValueAction = MultiValueAction.FIRST
    max_values: int | None = Field(default=None, ge=1, le=100)


class EdgeCase(StrictCamelModel):
    situation: str = Field(min_length=1, max_length=1000)
    action: str = Field(min_length=1, max_length=1000)


class ValidationRules(StrictCamelModel):
    min: float | None = None
    max: float | None = None
    pattern: str | None = Field(default=None, max_length=500)
    min_date: IsoDate | None = None
    max_date: IsoDate | None = None
    max_length: int | None = Field(default=None, ge=1)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from exc
        return pattern

    @model_validator(mode="after")
    def _ordered(self) -> "ValidationRules":
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not be greater than max")
        if self.min_date and self.max_date and self.min_date > self.max_date:
            raise ValueError("minDate must not be after maxDate")
        return self


def plain(model: StrictCamelModel | None) -> dict[str, Any] | None:
    """The JSONB form of a config model (camelCase, as on the wire)."""
    return None if model is None else model.model_dump(mode="json", by_alias=True)
