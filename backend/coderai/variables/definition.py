"""A variable's definition: everything that decides what is coded and how its prompt reads.
Pure pydantic, shared by the wire schemas, the prompt generator and the extraction engine."""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from coderai.core.schemas import InputModel
from coderai.models.enums import VariableType
from coderai.variables.config import (
    ClassificationRules,
    EdgeCase,
    UncertaintyHandling,
    ValidationRules,
)

VARIABLE_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
MAX_DEFAULT_CHARS = 5000

_NAME = re.compile(VARIABLE_NAME_PATTERN)


def suggested_name(name: str) -> str:
    """A valid column name close to `name`: "Country of protest" -> "country_of_protest"."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    suggestion = "_".join(words).lower() or "variable"
    return suggestion if suggestion[0].isalpha() else f"v_{suggestion}"


def _valid_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(
            "a name is a dataset column: letters, digits and underscores, starting with a "
            f"letter — e.g. '{suggested_name(name)[:255]}'"
        )
    return name


VariableName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255),
    AfterValidator(_valid_name),
    Field(json_schema_extra={"pattern": VARIABLE_NAME_PATTERN}),
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
        if isinstance(value, str) and len(value) > MAX_DEFAULT_CHARS:
            raise ValueError(f"defaultValue must be at most {MAX_DEFAULT_CHARS} characters")
        if self.type is VariableType.CATEGORY and value not in {c.value for c in categories}:
            raise ValueError("defaultValue must be one of the categories")
        if self.type is VariableType.DATE and not _is_iso_date(str(value)):
            raise ValueError("defaultValue must be an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
