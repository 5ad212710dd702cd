"""The data that flows into and out of the extraction engine, free of ORM and HTTP."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from coderai.llm import ModelChoice
from coderai.models.enums import GroundingKind, ObservationMode
from coderai.prompts.generator import ProjectContext
from coderai.variables.definition import VariableFields


@dataclass(frozen=True)
class DocumentInput:
    id: uuid.UUID
    name: str
    text: str
    page_offsets: list[int]


@dataclass(frozen=True)
class VariablePrompt:
    """One variable with the prompt version a job runs it with."""

    variable_id: uuid.UUID
    definition: VariableFields
    prompt_id: uuid.UUID
    prompt_version: int
    prompt_text: str
    llm_config: dict[str, Any]
    response_schema: dict[str, Any]

    @property
    def name(self) -> str:
        return self.definition.name


@dataclass(frozen=True)
class ExtractionOptions:
    context: ProjectContext
    # "combined": one call per chunk for all variables; "per_variable": one call per variable.
    call_mode: str = "combined"
    # The largest chunk; ENTITY mode, where a call's answer grows with the records its chunk
    # holds, takes at most `entity_chunk_tokens` of it.
    chunk_tokens: int = 8000
    entity_chunk_tokens: int = 2500
    chunk_overlap_tokens: int = 250
    ungrounded_confidence_cap: float = 0.3
    fuzzy_threshold: float = 90.0
    # A document cut into more chunks than this is refused before any call (None: no bound).
    max_chunks: int | None = None
    # The document before the questions: defeats prefix caching; only for benchmarks/cost.py.
    document_first: bool = False
    # The model the job runs on (its runner picks that model's client); None: the default.
    llm: ModelChoice | None = None

    def chunk_size(self, mode: ObservationMode) -> int:
        if mode is ObservationMode.ENTITY:
            return min(self.chunk_tokens, self.entity_chunk_tokens)
        return self.chunk_tokens


@dataclass
class ExtractionResult:
    """One coded value, ready to be stored as an `Extraction` row."""

    variable_id: uuid.UUID
    prompt_id: uuid.UUID
    prompt_version: int
    entity_index: int
    entity_key: str | None
    value: Any
    display_value: str | None
    raw_value: str | None
    unit: str | None
    confidence: float | None
    source_text: str | None
    char_start: int | None
    char_end: int | None
    page: int | None
    reasoning: str | None
    grounding: GroundingKind
    flags: list[str] = field(default_factory=list)
    needs_review: bool = False


# The flag of a variable whose call failed on the document's last attempt: unknown, not absent.
CALL_FAILED = "CALL_FAILED"


@dataclass(frozen=True)
class CallFailure:
    chunk_index: int
    variables: list[str]
    # rate_limited | server_error | timeout | connection | bad_request | malformed | truncated
    kind: str
    message: str


@dataclass
class DocumentExtraction:
    results: list[ExtractionResult] = field(default_factory=list)
    failures: list[CallFailure] = field(default_factory=list)
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    # How the last answered call asked for JSON (`llm.structured`): another method than
    # json_schema means the server refused it and the client fell back.
    structured_method: str | None = None

    @property
    def flagged(self) -> bool:
        return any(result.needs_review for result in self.results)
