"""Call planning: which chunk and which variables each LLM call covers, the JSON
schema its reply must follow, and its temperature and token budget.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coderai.extraction.chunker import Chunk, chunk_text
from coderai.extraction.types import (
    DocumentInput,
    ExtractionOptions,
    VariablePrompt,
)
from coderai.models.enums import ObservationMode
from coderai.prompts.generator import (
    ANSWER_FIELDS,
)

ENTITY_KEY = "entity_id"


ANSWERS_KEY = "answers"


ENTITIES_KEY = "entities"


VARIABLE_KEY = "variable"


# The value types of answers when the prompts say nothing usable about them.
ANY_VALUE = ("string", "number", "boolean")


@dataclass(frozen=True)
class PlannedCall:
    chunk: Chunk
    prompts: list[VariablePrompt]


class TooManyChunks(Exception):
    """The document would take more chunks (so LLM calls) than `ExtractionOptions.max_chunks`;
    the message is for the researcher."""

    def __init__(self, chunks: int, limit: int) -> None:
        super().__init__(
            f"The document is too long to extract: it makes {chunks:,} chunks (one LLM call "
            f"each) and at most {limit:,} are allowed per document (MAX_CHUNKS_PER_DOCUMENT). "
            "Split it into smaller documents."
        )
        self.chunks = chunks
        self.limit = limit


def plan_calls(
    document: DocumentInput, prompts: Sequence[VariablePrompt], options: ExtractionOptions
) -> list[PlannedCall]:
    """One call per chunk for all variables (combined), or per chunk and variable; raises
    `TooManyChunks` past the options' bound, before anything is called."""
    chunks = chunk_text(
        document.text,
        document.page_offsets,
        max_tokens=options.chunk_size(options.context.unit.mode),
        overlap_tokens=options.chunk_overlap_tokens,
    )
    if options.max_chunks is not None and len(chunks) > options.max_chunks:
        raise TooManyChunks(len(chunks), options.max_chunks)
    if options.call_mode == "per_variable":
        return [PlannedCall(chunk, [prompt]) for chunk in chunks for prompt in prompts]
    return [PlannedCall(chunk, list(prompts)) for chunk in chunks]


def _value_types(schema: dict[str, Any]) -> list[str]:
    """The scalar JSON types a stored value schema allows (an array's items for prompts stored
    before answers held one value each)."""
    declared = schema.get("type", [])
    types = [declared] if isinstance(declared, str) else list(declared)
    if "array" in types:
        types = [t for t in types if t != "array"] + _value_types(schema.get("items") or {})
    return types


def answer_value_schema(prompts: Sequence[VariablePrompt]) -> dict[str, Any]:
    """The `value` schema of a call's answers: the variable's own when the call has one kind
    of value (say, one category variable), else the union of their types. Prompts stored
    before answers held one value each may ask for a list: the union then allows one."""
    schemas = [p.response_schema.get("properties", {}).get("value") for p in prompts]
    known = [s for s in schemas if isinstance(s, dict)]
    distinct = {json.dumps(s, sort_keys=True): s for s in known}
    if len(distinct) == 1 and len(known) == len(prompts):
        return next(iter(distinct.values()))
    types = [t for s in known for t in _value_types(s)] or list(ANY_VALUE)
    scalars = [*dict.fromkeys(t for t in types if t != "null")]
    value = {"type": [*scalars, "null"]}
    if any("array" in str(s.get("type")) for s in known):
        return {"anyOf": [value, {"type": "array", "items": {"type": scalars}}]}
    return value


def call_schema(prompts: Sequence[VariablePrompt], mode: ObservationMode) -> dict[str, Any]:
    """The JSON schema of one call's reply: `answers`, a list of answers that each name their
    variable (one per value), or in ENTITY mode `entities`, each with its identifier and its
    answers. Its size does not grow with the variables' count beyond their names."""
    answer = {
        "type": "object",
        "properties": {
            VARIABLE_KEY: {"type": "string", "enum": [p.name for p in prompts]},
            "quote": {"type": ["string", "null"]},
            "reasoning": {"type": "string"},
            "value": answer_value_schema(prompts),
            "confidence": {"type": "number"},
        },
        "required": [VARIABLE_KEY, *ANSWER_FIELDS],
        "additionalProperties": False,
    }
    answers = {"type": "array", "items": answer}
    if mode is ObservationMode.ENTITY:
        entity = _object({ENTITY_KEY: {"type": ["string", "null"]}, ANSWERS_KEY: answers})
        return _object({ENTITIES_KEY: {"type": "array", "items": entity}})
    return _object({ANSWERS_KEY: answers})


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def call_budget(prompts: Sequence[VariablePrompt], mode: ObservationMode) -> tuple[float, int]:
    temperature = min(float(p.llm_config.get("temperature", 0.0)) for p in prompts)
    max_tokens = sum(int(p.llm_config.get("maxTokens", 400)) for p in prompts)
    if mode is ObservationMode.ENTITY:
        max_tokens *= 4  # several records per call
    return temperature, min(max_tokens, 16_000)
