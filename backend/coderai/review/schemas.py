"""Review on the wire: extraction detail, feedback, and the analysis of reviewed answers."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from coderai.core.schemas import CamelModel, InputModel
from coderai.jobs.schemas import ExtractionRead
from coderai.models.enums import VariableType, Verdict
from coderai.review.analysis import ErrorKind


class FeedbackCreate(InputModel):
    """The contract's `{isCorrect, userComment}`, extended with a verdict, a corrected value and
    a note. `userComment` and `note` are one stored text; give either (or the same in both)."""

    is_correct: bool | None = None
    user_comment: str | None = Field(default=None, max_length=1000)
    verdict: Verdict | None = None
    # Absent means "no correction"; an explicit null means "the true value is empty".
    corrected_value: Any = None
    note: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _has_verdict(self) -> "FeedbackCreate":
        if self.is_correct is None and self.verdict is None:
            raise ValueError("give isCorrect or verdict")
        return self

    @property
    def has_correction(self) -> bool:
        return "corrected_value" in self.model_fields_set


class ParseValueRequest(InputModel):
    value: Any = Field(description="A value as a reviewer would type it (text, number, list)")


class ParsedValueRead(CamelModel):
    """How a correction would be stored: echo it for the reviewer to confirm before saving."""

    typed_value: Any = Field(description="The value as it would be stored (null: empty)")
    display: str | None = Field(description="Its text form, as results and exports show it")
    as_typed: bool = Field(
        description="False when the text was interpreted (e.g. 'about 120 thousand' -> 120000)"
    )


class FeedbackRead(CamelModel):
    """The contract's Feedback plus the verdict, corrected value and note."""

    id: uuid.UUID
    extraction_id: uuid.UUID
    is_correct: bool
    user_comment: str | None
    created_at: datetime
    verdict: Verdict
    corrected_value: Any
    has_corrected_value: bool = Field(
        description="True when a corrected value was given (it may be null: 'should be empty')"
    )
    note: str | None
    is_current: bool
    reviewer_id: uuid.UUID | None = Field(description="Who gave the verdict")
    reviewer_name: str | None
    is_reviewer_current: bool = Field(
        description="This reviewer's own current verdict (isCurrent: the latest of anyone's)"
    )
    carried: bool = Field(
        default=False,
        description="Given on the same unit (document, variable, entity) in another job and "
        "applied to this answer: verdict and correctedValue say what it means for this value",
    )
    source_extraction_id: uuid.UUID | None = Field(
        default=None, description="The answer the verdict was given on"
    )
    source_job_id: uuid.UUID | None = Field(
        default=None, description="The job of that answer, when carried from another job"
    )
    withdrawn_at: datetime | None = Field(
        default=None, description="When the verdict was withdrawn (it then applies nowhere)"
    )


class JobFeedbackRead(FeedbackRead):
    variable_id: uuid.UUID
    document_id: uuid.UUID
    entity_index: int


class QuoteContext(CamelModel):
    """The document around the quote, split for highlighting: before + quote + after."""

    before: str
    quote: str
    after: str
    start: int = Field(description="Offset of `before` in the document text")
    end: int = Field(description="Offset just past `after` in the document text")
    truncated_before: bool
    truncated_after: bool


class ExtractionDetail(ExtractionRead):
    raw_value: str | None
    reasoning: str | None
    prompt_id: uuid.UUID | None
    variable_type: VariableType
    variable_display_name: str | None
    document_name: str
    document_length: int
    context: QuoteContext | None
    current_feedback: FeedbackRead | None


class ErrorExampleRead(CamelModel):
    extraction_id: uuid.UUID
    document_id: uuid.UUID
    model_value: Any
    correct_value: Any
    correct_value_known: bool
    quote: str | None
    note: str | None
    confidence: float | None


class ErrorSummaryRead(CamelModel):
    kind: ErrorKind
    count: int
    examples: list[ErrorExampleRead]


class ConfusionPairRead(CamelModel):
    model_value: str
    correct_value: str
    count: int


class AgreementRead(CamelModel):
    compared: int = Field(description="Reviewed items whose true value is known")
    exact_matches: int
    exact_rate: float | None
    kappa: float | None = Field(description="Cohen's kappa (CATEGORY and BOOLEAN variables)")
    tolerance_rule: str | None
    tolerance_matches: int | None
    tolerance_rate: float | None
    exact_rate_interval: list[float] | None = Field(
        description="95 % Wilson interval of exactRate over `compared` items"
    )


class CalibrationBinRead(CamelModel):
    lower: float
    upper: float
    count: int
    mean_confidence: float | None
    accuracy: float | None


class CalibrationRead(CamelModel):
    bins: list[CalibrationBinRead]
    with_confidence: int
    without_confidence: int
    expected_calibration_error: float | None


class VariableAnalysisRead(CamelModel):
    variable_id: uuid.UUID
    variable_name: str
    variable_type: VariableType
    job_id: uuid.UUID | None
    reviewed: int
    correct: int
    partially_correct: int
    incorrect: int
    accuracy: float | None
    errors: list[ErrorSummaryRead]
    confusion: list[ConfusionPairRead]
    agreement: AgreementRead
    calibration: CalibrationRead
    against_gold: int = Field(
        default=0,
        description="Reviewed items judged against an adjudicated gold value (a reliability "
        "study's), which takes the place of a single reviewer's verdict",
    )
    accuracy_interval: list[float] | None = Field(
        description="95 % Wilson interval of accuracy over `reviewed` answers"
    )
    min_reviewed: int = Field(description="Fewer reviewed answers make the figures indications")
    enough_reviewed: bool = Field(description="reviewed >= minReviewed")


class JobAgreementRead(CamelModel):
    job_id: uuid.UUID
    reviewed: int
    accuracy: float | None
    accuracy_interval: list[float] | None = Field(
        description="95 % Wilson interval of accuracy over `reviewed` answers"
    )
    variables: list[VariableAnalysisRead]
