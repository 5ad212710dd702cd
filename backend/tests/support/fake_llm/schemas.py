"""Builders for the request shapes the fake understands (the extraction service's convention).

Tests use them to talk to the fake without the extraction service; they also document the
convention: the document between `<document>` lines; answers as one object per variable with
`value`, `confidence`, `quote` and `reasoning`, or as the extraction service sends them, a list
of such objects naming their `variable`; and `entities` for ENTITY mode.
"""

from __future__ import annotations

from typing import Any


def variable_schema(value: dict[str, Any]) -> dict[str, Any]:
    """The per-variable answer object: value (of the given schema), confidence, quote, reasoning."""
    return {
        "type": "object",
        "properties": {
            "value": value,
            "confidence": {"type": "number"},
            "quote": {"type": ["string", "null"]},
            "reasoning": {"type": "string"},
        },
        "required": ["value", "confidence", "quote", "reasoning"],
        "additionalProperties": False,
    }


def document_schema(variables: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """DOCUMENT mode: one answer object per variable (`{name: value schema}` in)."""
    return {
        "type": "object",
        "properties": {name: variable_schema(value) for name, value in variables.items()},
        "required": list(variables),
        "additionalProperties": False,
    }


def entity_schema(variables: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """ENTITY mode: `entities`, a list of records shaped like a DOCUMENT-mode answer."""
    return {
        "type": "object",
        "properties": {"entities": {"type": "array", "items": document_schema(variables)}},
        "required": ["entities"],
        "additionalProperties": False,
    }


def answers_schema(variables: list[str], value: dict[str, Any]) -> dict[str, Any]:
    """The extraction service's layout: `answers`, each naming its variable."""
    answer = variable_schema(value)
    answer = dict(
        answer,
        properties={"variable": {"type": "string", "enum": variables}, **answer["properties"]},
        required=["variable", *answer["required"]],
    )
    return {
        "type": "object",
        "properties": {"answers": {"type": "array", "items": answer}},
        "required": ["answers"],
        "additionalProperties": False,
    }


def user_prompt(document: str, question: str = "Code the variables for this document.") -> str:
    """A user message with the document first (cacheable prefix) and the question last."""
    return f"<document>\n{document}\n</document>\n\n{question}"
