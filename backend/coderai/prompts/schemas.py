"""Prompts on the wire: versions, drafts, refinements and their evaluation."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from coderai.core.schemas import CamelModel, StrictCamelModel
from coderai.models.enums import JobStatus, PromptOrigin
from coderai.review.schemas import VariableAnalysisRead


class PromptRead(CamelModel):
    id: uuid.UUID
    version: int
    is_active: bool
    prompt_text: str
    llm_config: dict[str, Any] = Field(serialization_alias="modelConfig")
    response_schema: dict[str, Any]
    origin: PromptOrigin
    content_hash: str
    note: str | None
    created_at: datetime


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
    hold_out: bool = Field(
        default=True,
        description="Keep every third reviewed answer not yet learnt from out of the lessons, so "
        "the draft can be scored on answers it has not seen (false: learn from all of them; the "
        "draft can then be scored only once more answers are reviewed)",
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


class HeldOutRead(CamelModel):
    document_id: uuid.UUID
    entity_index: int


class RefinementRead(PromptDraftRead):
    refinements: Refinements
    analysis: VariableAnalysisRead = Field(
        description="The analysis of the reviewed answers the draft was learnt from"
    )
    llm: LlmRewriteRead
    held_out: list[HeldOutRead] = Field(
        description="Reviewed answers kept out of the draft's lessons: its evaluation is "
        "scored on reviewed answers it was not learnt from"
    )


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
    old_accuracy_interval: list[float] | None = Field(
        description="95 % Wilson interval of oldAccuracy over `scored` answers"
    )
    new_accuracy_interval: list[float] | None = Field(
        description="95 % Wilson interval of newAccuracy over `scored` answers"
    )
    learnt_from_excluded: int = Field(
        description="Reviewed answers left out of the score because the draft was learnt from them"
    )
    comparable: bool = Field(
        description="Enough scored answers (minScoredToCompare) to read old vs new as a change"
    )
    min_scored_to_compare: int
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
