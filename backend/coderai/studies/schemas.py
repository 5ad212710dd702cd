"""Wire models of reliability studies: creation, progress, the coder's queue and unit,
codings, the reliability report, disagreements and gold values."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from coderai.core.schemas import CamelModel, StrictCamelModel
from coderai.models.enums import StudyMode, StudyStatus, VariableType

MAX_UNITS = 5000


class StudyCreate(StrictCamelModel):
    mode: StudyMode
    variable_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=500, description="Default: every variable of the project."
    )
    coder_emails: list[str] = Field(default_factory=list, max_length=50)
    coder_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    unit_count: int | None = Field(
        default=None, ge=1, le=MAX_UNITS, description="A seeded sample of the job's units."
    )
    document_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=MAX_UNITS, description="Every unit of these documents instead."
    )
    seed: int | None = Field(default=None, ge=0, le=2**62)


class CoderProgress(CamelModel):
    user_id: uuid.UUID
    email: str
    display_name: str
    done: int
    total: int
    progress: str  # "12 of 40 done"


class StudyRead(CamelModel):
    id: uuid.UUID
    job_id: uuid.UUID
    mode: StudyMode
    status: StudyStatus
    unblinded: bool
    variable_ids: list[uuid.UUID]
    seed: int
    unit_count: int
    created_by_id: uuid.UUID | None
    created_at: datetime
    coders: list[CoderProgress]


class QueueUnit(CamelModel):
    unit_index: int
    document_id: uuid.UUID
    document_name: str
    entity_index: int
    entity_key: str | None
    coded_variables: int
    done: bool


class QueueRead(CamelModel):
    study_id: uuid.UUID
    mode: StudyMode
    done: int
    total: int
    units: list[QueueUnit]


class Question(CamelModel):
    variable_id: uuid.UUID
    name: str
    display_name: str | None
    type: VariableType
    instructions: str
    categories: list[str]


class CodingRead(CamelModel):
    variable_id: uuid.UUID
    value: Any = None
    quote: str | None
    updated_at: datetime


class ModelValue(CamelModel):
    variable_id: uuid.UUID
    value: Any = None
    quote: str | None


class UnitRead(CamelModel):
    study_id: uuid.UUID
    unit_index: int
    document_id: uuid.UUID
    document_name: str
    entity_index: int
    entity_key: str | None
    text: str
    questions: list[Question]
    codings: list[CodingRead]
    model_values: list[ModelValue] = Field(
        description="The model's values, in VERIFY studies only (empty when blind)."
    )


class CodingIn(StrictCamelModel):
    variable_id: uuid.UUID
    value: Any = None
    quote: str | None = Field(default=None, max_length=20_000)


class CodingsPut(StrictCamelModel):
    codings: list[CodingIn] = Field(min_length=1, max_length=500)


class AlphaRead(CamelModel):
    """Krippendorff's alpha of one variable among some coders, with what a report states
    beside it (see `coderai.review.reliability.Reliability`)."""

    level: str | None
    alpha: float | None
    undefined_reason: str | None
    reading: str
    coders: int
    units: int
    pairable_units: int
    pairable_values: int
    percent_agreement: float | None
    interval_low: float | None = Field(description="95 % bootstrap interval, lower bound.")
    interval_high: float | None
    p_below_reliable: float | None = Field(description="Share of resamples below .800.")
    p_below_tentative: float | None = Field(description="Share of resamples below .667.")
    draws: int
    cohens_kappa: float | None
    fleiss_kappa: float | None


class ModelAgainstCoder(CamelModel):
    coder_id: uuid.UUID
    coder_email: str
    result: AlphaRead


class VariableReliabilityRead(CamelModel):
    variable_id: uuid.UUID
    name: str
    type: VariableType
    humans: AlphaRead
    model_against_coders: list[ModelAgainstCoder]
    gold_units: int
    model_against_gold: AlphaRead | None


class StudyCoderRead(CamelModel):
    user_id: uuid.UUID
    email: str


class StudyReliabilityRead(CamelModel):
    study_id: uuid.UUID
    mode: StudyMode
    status: StudyStatus
    unit_count: int
    coders: list[StudyCoderRead]
    variables: list[VariableReliabilityRead]


class JobReliabilityRead(CamelModel):
    job_id: uuid.UUID
    studies: list[StudyReliabilityRead]


class CoderValue(CamelModel):
    coder_id: uuid.UUID
    coder_email: str
    value: Any = None
    quote: str | None


class DisagreementRead(CamelModel):
    unit_index: int
    document_id: uuid.UUID
    document_name: str
    entity_index: int
    variable_id: uuid.UUID
    variable_name: str
    codings: list[CoderValue]
    has_gold: bool
    gold: Any = None


class GoldItem(StrictCamelModel):
    unit_index: int = Field(ge=0)
    variable_id: uuid.UUID
    value: Any = None


class GoldPut(StrictCamelModel):
    items: list[GoldItem] = Field(default_factory=list, max_length=10_000)
    accept_majority: bool = Field(
        default=False,
        description="Where no gold value is set yet, take the value most coders agreed on "
        "(more than half of those who coded it, and at least two).",
    )


class GoldValueRead(CamelModel):
    unit_index: int
    variable_id: uuid.UUID
    value: Any = None
    set_by_id: uuid.UUID | None


class GoldRead(CamelModel):
    study_id: uuid.UUID
    changed: int
    gold: list[GoldValueRead]
