"""Review on the wire: extraction detail, feedback, feedback analysis, refinement and drafts."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from coderai.models.enums import JobStatus, VariableType, Verdict
from coderai.schemas.base import CamelModel, InputModel, StrictCamelModel
from coderai.schemas.job import ExtractionRead
from coderai.schemas.variable import PromptRead
from coderai.services.feedback_analyzer import ErrorKind


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


class JobAgreementRead(CamelModel):
    job_id: uuid.UUID
    reviewed: int
    accuracy: float | None
    variables: list[VariableAnalysisRead]


class FewShotExample(StrictCamelModel):
    quote: str | None = None
    value: Any = None
    wrong_value: Any = None
    note: str | None = None


class CategoryClarification(StrictCamelModel):
    model_value: str
    correct_value: str
    count: int


class Refinements(StrictCamelModel):
    """What a refinement adds to a prompt; stored with the prompt so regeneration can re-apply
    it to a freshly generated text."""

    examples: list[FewShotExample] = Field(default_factory=list)
    category_clarifications: list[CategoryClarification] = Field(default_factory=list)
    leave_empty_rules: list[str] = Field(default_factory=list)
    missed_value_rules: list[str] = Field(default_factory=list)
    format_rules: list[str] = Field(default_factory=list)
    clarified_instructions: str | None = None

    def is_empty(self) -> bool:
        return not (
            self.examples
            or self.category_clarifications
            or self.leave_empty_rules
            or self.missed_value_rules
            or self.format_rules
            or self.clarified_instructions
        )


class RefineRequest(StrictCamelModel):
    job_id: uuid.UUID | None = Field(
        default=None, description="Reviewed items of this job only (default: every job's)"
    )
    use_llm: bool = Field(
        default=True, description="Add an LLM rewrite of the instructions when an LLM is set up"
    )


class ModelConfigPatch(StrictCamelModel):
    model: str | None = Field(default=None, min_length=1, max_length=200)
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=32_000)


class PromptDraftCreate(StrictCamelModel):
    prompt_text: str = Field(min_length=10, max_length=50_000)
    llm_config: ModelConfigPatch | None = Field(default=None, alias="modelConfig")
    note: str | None = Field(default=None, max_length=2000)


class PromptDraftRead(CamelModel):
    draft: PromptRead
    active_version: int | None
    diff: str = Field(description="Unified diff from the active version's text to the draft's")


class LlmRewriteRead(CamelModel):
    used: bool
    refiner_prompt_version: str
    model: str | None = None
    error: str | None = None


class RefinementRead(PromptDraftRead):
    refinements: Refinements
    analysis: VariableAnalysisRead
    llm: LlmRewriteRead


class EvaluateRequest(StrictCamelModel):
    job_id: uuid.UUID | None = Field(
        default=None,
        description="The reviewed job to evaluate on (default: the latest with reviewed answers)",
    )


class ChangedAnswerRead(CamelModel):
    """A reviewed answer the evaluated prompt answered differently."""

    document_id: uuid.UUID
    entity_index: int
    old_extraction_id: uuid.UUID
    new_extraction_id: uuid.UUID | None
    old_value: Any
    new_value: Any
    correct_value: Any
    correct_value_known: bool
    old_correct: bool
    new_correct: bool | None


class VariableComparisonRead(CamelModel):
    """Old vs new answers of one variable on the same reviewed items. An unchanged answer keeps
    the reviewer's verdict; a changed one is correct when it equals the reviewer's value."""

    variable_id: uuid.UUID
    variable_name: str
    evaluated: bool = Field(description="True for the variable whose prompt is evaluated")
    old_prompt_version: int | None
    new_prompt_version: int | None
    reviewed: int
    scored: int
    undetermined: int = Field(description="Changed answers whose correct value is unknown")
    not_scored: int = Field(
        description="Documents the evaluation has not (or not successfully) run"
    )
    old_correct: int
    new_correct: int
    old_accuracy: float | None
    new_accuracy: float | None
    improved: int
    regressed: int
    changes: list[ChangedAnswerRead]


class EvaluationRead(CamelModel):
    job_id: uuid.UUID
    source_job_id: uuid.UUID
    prompt_id: uuid.UUID
    prompt_version: int
    variable_id: uuid.UUID
    status: JobStatus
    progress: int
    complete: bool
    variables: list[VariableComparisonRead]
