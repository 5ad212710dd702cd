"""Base pydantic model: snake_case in Python, camelCase on the wire."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        serialize_by_alias=True,
    )


class StrictCamelModel(CamelModel):
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
