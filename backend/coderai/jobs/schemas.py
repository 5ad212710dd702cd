"""Job, progress, log and extraction models on the wire."""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from coderai.core.schemas import CamelModel, InputModel
from coderai.extraction.coercion.categories import UNKNOWN_CATEGORY
from coderai.extraction.coercion.values import VALUE_WITHHELD
from coderai.extraction.types import CALL_FAILED
from coderai.llm.schemas import ModelSettings, ModelSettingsRead

if TYPE_CHECKING:
    from coderai.models import Extraction
from coderai.models.enums import GroundingKind, JobStatus, JobType, LogLevel, VariableType
from coderai.studies.schemas import AlphaRead


class JobCreate(InputModel):
    job_type: JobType
    # The contract's way: exactly these documents. Otherwise SAMPLE draws `documentCount`
    # (seeded, reproducible with `sampleSeed`) and FULL takes every READY document.
    document_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=100_000)
    document_count: int | None = Field(default=None, ge=1, le=10_000)
    sample_seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    call_mode: Literal["combined", "per_variable"] = "combined"
    # The cap on what the job may spend (USD); omitted: the project's budget, if any.
    budget_usd: float | None = Field(default=None, ge=0, le=10_000_000)
    # FULL jobs copy answers earlier jobs gave with the same prompt and model; false re-asks all.
    reuse: bool = True
    llm: ModelSettings | None = Field(
        default=None, description="This job's model, over the project's and the environment's"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "JobCreate":
        if self.job_type is JobType.EVALUATION:
            raise ValueError("EVALUATION jobs are started from a prompt draft, not created here")
        if self.document_ids and self.document_count:
            raise ValueError("give documentIds or documentCount, not both")
        if self.document_ids and self.sample_seed is not None:
            raise ValueError("sampleSeed draws a sample; with documentIds there is nothing to draw")
        if self.job_type is JobType.FULL and self.document_count:
            raise ValueError("documentCount applies to SAMPLE jobs; a FULL job takes all documents")
        return self


class JobEstimateRequest(JobCreate):
    """The body a job would take, and the model to price it with (default: the configured)."""

    model: str | None = Field(default=None, min_length=1, max_length=200)


class JobUpdate(InputModel):
    """A job's budget cap (null: no cap); raise it, then resume a job paused at its cap."""

    budget_usd: float | None = Field(ge=0, le=10_000_000)


class PriceRead(CamelModel):
    """USD per million tokens, and where the prices come from."""

    model: str
    input: float
    cached_input: float
    output: float
    batch_input: float | None
    batch_output: float | None
    source: str


class CostRange(CamelModel):
    low: float
    expected: float
    high: float
    batch_expected: float | None = Field(
        description="Expected cost through the provider's batch API (no prompt cache)"
    )


class JobEstimate(CamelModel):
    model: str
    documents: int
    documents_reused: int = Field(description="Documents whose every answer is reused")
    reused_pairs: int = Field(description="(document, variable) answers copied, not asked")
    planned_calls: int
    prompt_tokens: int
    prompt_tokens_per_call: float | None
    cached_prompt_tokens: int
    cached_share: float | None = Field(description="Share of prompt tokens a prefix cache serves")
    completion_tokens: int
    completion_basis: Literal["SAMPLE", "MAX_TOKENS"]
    completion_sample_job_id: uuid.UUID | None
    completion_tokens_per_call_and_variable: float | None
    token_counting: Literal["APPROXIMATE"] = Field(
        description="Tokens counted with ~4 characters per token (no offline tokenizer)"
    )
    token_count_error: float = Field(description="The share the low/high band allows for")
    price_known: bool
    price: PriceRead | None
    cost_usd: CostRange | None
    note: str | None
    duration_seconds: float = Field(description="At least, under the configured rate limits")
    requests_per_minute: int
    tokens_per_minute: int


class JobLog(CamelModel):
    id: uuid.UUID
    level: LogLevel
    event: str
    message: str
    document_id: uuid.UUID | None
    variable_id: uuid.UUID | None
    details: dict[str, Any] = Field(serialization_alias="metadata")
    created_at: datetime


class JobPrompt(CamelModel):
    """A prompt version a job runs with (frozen when the job was created)."""

    variable_id: uuid.UUID
    variable_name: str
    prompt_id: uuid.UUID
    version: int


class JobRead(CamelModel):
    id: uuid.UUID
    project_id: uuid.UUID
    job_type: JobType
    status: JobStatus
    status_reason: str | None
    document_ids: list[uuid.UUID]
    progress: int = Field(ge=0, le=100)
    total_items: int
    done_items: int
    failed_items: int
    flagged_items: int
    sample_seed: int | None
    prompt_versions: dict[str, int] = Field(description="Variable name → prompt version")
    prompts: list[JobPrompt]
    llm_model: str | None
    budget_usd: float | None = None
    reused_pairs: int = 0
    llm: ModelSettingsRead | None = Field(
        default=None, description="The model the job runs on (null: the environment's)"
    )
    replicates_job_id: uuid.UUID | None = Field(
        default=None, description="The job whose documents this one re-runs on another model"
    )
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None


class JobDetail(JobRead):
    recent_logs: list[JobLog]


class JobProgress(CamelModel):
    job_id: uuid.UUID
    status: JobStatus
    status_reason: str | None
    total: int
    done: int
    failed: int
    in_flight: int
    pending: int
    cancelled: int  # items a cancel stopped: total = done + failed + inFlight + pending + this
    percentage: float
    flagged: int
    success_rate: float | None
    mean_seconds_per_document: float | None
    throughput_per_minute: float | None
    eta_seconds: float | None
    current_documents: list[str]
    llm_calls: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_usd: float


AnswerStatus = Literal["OK", "NOT_FOUND", "OUT_OF_LIST", "BELOW_THRESHOLD", "CALL_FAILED"]


def answer_status(value: Any, flags: list[str]) -> AnswerStatus:
    """One answer's status, named as the exports name a cell's (exports.grid)."""
    if value is not None and value != []:
        return "OK"
    if VALUE_WITHHELD in flags:
        return "BELOW_THRESHOLD"
    if CALL_FAILED in flags:
        return "CALL_FAILED"
    if UNKNOWN_CATEGORY in flags:
        return "OUT_OF_LIST"
    return "NOT_FOUND"


class ExtractionRead(CamelModel):
    id: uuid.UUID
    job_id: uuid.UUID
    document_id: uuid.UUID
    variable_id: uuid.UUID
    variable_name: str
    document_name: str | None = None
    external_id: str | None = None
    entity_index: int
    entity_key: str | None
    value: str | None = Field(description="The value as text (lists joined with '; ')")
    typed_value: Any = Field(description="The value as typed JSON: number, boolean, ISO date, list")
    unit: str | None
    confidence: float | None
    source_text: str | None
    char_start: int | None
    char_end: int | None
    page: int | None
    grounding: GroundingKind
    flags: list[str]
    needs_review: bool
    prompt_version: int | None
    created_at: datetime
    status: AnswerStatus = Field(
        description="OK (a value), NOT_FOUND (the model found none), OUT_OF_LIST (it answered "
        "outside the category list: see rawAnswer), BELOW_THRESHOLD (withheld for low "
        "confidence), CALL_FAILED (the call failed: unknown, not absent); as in exports"
    )
    raw_answer: str | None = Field(
        description="The model's own answer when it is not one of the categories (OUT_OF_LIST)"
    )

    @classmethod
    def of(
        cls,
        extraction: "Extraction",
        variable_name: str,
        document_name: str | None = None,
        external_id: str | None = None,
    ) -> "ExtractionRead":
        """The wire form of a stored extraction."""
        return cls(
            document_name=document_name,
            external_id=external_id,
            id=extraction.id,
            job_id=extraction.job_id,
            document_id=extraction.document_id,
            variable_id=extraction.variable_id,
            variable_name=variable_name,
            entity_index=extraction.entity_index,
            entity_key=extraction.entity_key,
            value=extraction.display_value,
            typed_value=extraction.value,
            unit=extraction.unit,
            confidence=extraction.confidence,
            source_text=extraction.source_text,
            char_start=extraction.char_start,
            char_end=extraction.char_end,
            page=extraction.page,
            grounding=extraction.grounding,
            flags=extraction.flags,
            needs_review=extraction.needs_review,
            prompt_version=extraction.prompt_version,
            created_at=extraction.created_at,
            status=(status := answer_status(extraction.value, extraction.flags)),
            raw_answer=extraction.raw_value if status == "OUT_OF_LIST" else None,
        )


class VariableStatistics(CamelModel):
    variable_id: uuid.UUID
    variable_name: str
    extractions: int
    filled: int
    filled_rate: float | None
    mean_confidence: float | None
    flagged: int
    ungrounded: int
    reviewed: int = 0
    accuracy: float | None = None
    accuracy_interval: list[float] | None = Field(
        default=None, description="95 % Wilson interval of accuracy over `reviewed` answers"
    )


class JobStatistics(CamelModel):
    job_id: uuid.UUID
    documents: int
    variables: list[VariableStatistics]


class PreviewRequest(InputModel):
    document_id: uuid.UUID
    # Omitted: the whole schema. Nothing is stored; the active prompts are used.
    variable_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=200)
    call_mode: Literal["combined", "per_variable"] = "combined"


class PreviewValue(CamelModel):
    variable_id: uuid.UUID
    variable_name: str
    entity_index: int
    entity_key: str | None
    value: str | None
    typed_value: Any
    unit: str | None
    confidence: float | None
    source_text: str | None
    char_start: int | None
    char_end: int | None
    page: int | None
    reasoning: str | None
    grounding: GroundingKind
    flags: list[str]
    needs_review: bool
    prompt_version: int


class PreviewFailure(CamelModel):
    chunk_index: int
    variables: list[str]
    kind: str
    message: str


class PreviewResult(CamelModel):
    document_id: uuid.UUID
    values: list[PreviewValue]
    failures: list[PreviewFailure]
    llm_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


class ReplicateRequest(InputModel):
    llm: ModelSettings = Field(
        description="The second model: these fields over the model the job ran on"
    )


class ReplicationDifference(CamelModel):
    """A unit whose two runs gave different values (null: no value)."""

    document_id: uuid.UUID
    document_name: str
    entity: str = Field(description="The entity's key, or its index in the document")
    source_value: Any
    value: Any


class ReplicationVariableRead(CamelModel):
    variable_id: uuid.UUID
    name: str
    type: VariableType
    units: int = Field(description="Units (document, entity) either run coded")
    differing_units: int
    agreement: AlphaRead = Field(description="The two runs as two coders")
    differences: list[ReplicationDifference] = Field(description="At most 500, in unit order")


class ReplicationRead(CamelModel):
    """Agreement between a job and its replication on a second model, per variable, over the
    documents both have coded."""

    job_id: uuid.UUID
    source_job_id: uuid.UUID
    status: JobStatus = Field(description="The replication's status (figures grow as it runs)")
    source_llm: ModelSettingsRead
    llm: ModelSettingsRead
    documents: int
    variables: list[ReplicationVariableRead]
