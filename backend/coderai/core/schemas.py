"""Base pydantic model: snake_case in Python, camelCase on the wire."""

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        serialize_by_alias=True,
    )


def _refuse_unstorable(value: Any) -> None:
    """PostgreSQL stores neither a NUL character in text nor a non-finite number in JSON:
    refuse them at the door (a 422 naming the field) rather than at INSERT (a 500). Nested
    models check their own fields, so their errors name the nested field."""
    if isinstance(value, BaseModel):
        return
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain a NUL character (\\u0000)")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_unstorable(key)
            _refuse_unstorable(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_unstorable(item)


class InputModel(CamelModel):
    """Request bodies: only values the database can store."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        _refuse_unstorable(value)
        return value


class StrictCamelModel(InputModel):
    """Request bodies: unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 7807 problem details: every error the API answers has this shape."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None


PROBLEM_SCHEMA = {"schema": {"$ref": "#/components/schemas/Problem"}}
PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {
        "model": Problem,
        "content": {"application/problem+json": PROBLEM_SCHEMA},
        "description": text,
    }
    for status, text in (
        (400, "Malformed request (e.g. invalid JSON)"),
        (404, "Unknown resource"),
        (409, "Conflict with the current state"),
        (422, "Validation failed; `errors` lists each field"),
    )
}


# The largest list offset accepted: far beyond any project, and within PostgreSQL's bigint.
MAX_OFFSET = 2**31 - 1
