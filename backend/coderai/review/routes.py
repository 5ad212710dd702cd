"""Review: an extraction in context, reviewers' feedback, agreement figures and refinement."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from coderai.auth.dependencies import UserDep
from coderai.core.dependencies import SessionDep
from coderai.core.schemas import MAX_OFFSET
from coderai.extraction.coercion.values import display_of
from coderai.jobs.schemas import ExtractionRead
from coderai.models.enums import Verdict
from coderai.review import service as review_service
from coderai.review.schemas import (
    ExtractionDetail,
    FeedbackCreate,
    FeedbackRead,
    JobAgreementRead,
    JobFeedbackRead,
    ParsedValueRead,
    ParseValueRequest,
    VariableAnalysisRead,
)
from coderai.review.service import (
    DEFAULT_CONTEXT_CHARS,
    MAX_CONTEXT_CHARS,
    ExtractionView,
    FeedbackView,
    JobFeedbackView,
)
from coderai.variables.dependencies import VariableDep

router = APIRouter(tags=["review"])

ExtractionId = Annotated[uuid.UUID, Path(alias="extractionId")]
JobId = Annotated[uuid.UUID, Path(alias="jobId")]
PromptId = Annotated[uuid.UUID, Path(alias="promptId")]


def feedback_read(view: FeedbackView) -> FeedbackRead:
    feedback, carried = view.feedback, view.applied
    verdict = carried.verdict if carried else feedback.verdict
    return FeedbackRead(
        id=feedback.id,
        extraction_id=view.extraction_id or feedback.extraction_id,
        is_correct=verdict is Verdict.CORRECT,
        user_comment=feedback.note,
        created_at=feedback.created_at,
        verdict=verdict,
        corrected_value=carried.corrected_value if carried else feedback.corrected_value,
        has_corrected_value=view.has_corrected_value,
        note=feedback.note,
        is_current=feedback.is_current,
        reviewer_id=feedback.reviewer_id,
        reviewer_name=view.reviewer_name,
        is_reviewer_current=feedback.is_reviewer_current,
        carried=carried is not None,
        source_extraction_id=feedback.extraction_id,
        source_job_id=view.source_job_id,
        withdrawn_at=feedback.withdrawn_at,
    )


def _job_feedback_read(view: JobFeedbackView) -> JobFeedbackRead:
    return JobFeedbackRead(
        **feedback_read(view).model_dump(),
        variable_id=view.variable_id,
        document_id=view.document_id,
        entity_index=view.entity_index,
    )


def _detail(view: ExtractionView) -> ExtractionDetail:
    extraction, variable = view.extraction, view.variable
    return ExtractionDetail(
        **ExtractionRead.of(extraction, variable.name, external_id=view.external_id).model_dump(
            exclude={"page", "document_name"}
        ),
        page=view.page,
        raw_value=extraction.raw_value,
        reasoning=extraction.reasoning,
        prompt_id=extraction.prompt_id,
        variable_type=variable.type,
        variable_display_name=variable.display_name,
        document_name=view.document_name,
        document_length=view.document_length,
        context=view.context,
        current_feedback=None
        if view.current_feedback is None
        else feedback_read(view.current_feedback),
    )


@router.get(
    "/extractions/{extractionId}", operation_id="extractions-get", response_model=ExtractionDetail
)
async def get_extraction(
    session: SessionDep,
    user: UserDep,
    extraction_id: ExtractionId,
    context: Annotated[
        int,
        Query(ge=0, le=MAX_CONTEXT_CHARS, description="Characters of document text either side"),
    ] = DEFAULT_CONTEXT_CHARS,
) -> ExtractionDetail:
    """The value, its quote highlighted in the surrounding text, reasoning and current verdict."""
    view = await review_service.extraction_detail(
        session, extraction_id, context, viewer_id=user.id
    )
    return _detail(view)


@router.post(
    "/extractions/{extractionId}/feedback",
    operation_id="extractions-feedback-create",
    status_code=status.HTTP_201_CREATED,
    response_model=FeedbackRead,
)
async def create_feedback(
    session: SessionDep, reviewer: UserDep, extraction_id: ExtractionId, body: FeedbackCreate
) -> FeedbackRead:
    """Record a verdict (it replaces the current one, which stays in the history)."""
    view = await review_service.submit_feedback(session, extraction_id, body, reviewer)
    return feedback_read(view)


@router.delete(
    "/extractions/{extractionId}/feedback",
    operation_id="extractions-feedback-withdraw",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def withdraw_feedback(
    session: SessionDep, user: UserDep, extraction_id: ExtractionId
) -> None:
    """Withdraw the verdicts on this answer's unit (document, variable, entity): they no longer
    apply to this or any other job's answer for the unit, and stay in the history."""
    await review_service.withdraw_feedback(session, extraction_id, user, viewer_id=user.id)


@router.get(
    "/extractions/{extractionId}/feedback",
    operation_id="extractions-feedback-list",
    response_model=list[FeedbackRead],
)
async def list_feedback(
    session: SessionDep, user: UserDep, extraction_id: ExtractionId
) -> list[FeedbackRead]:
    """Every verdict on the extraction, newest (the current one) first."""
    views = await review_service.feedback_history(session, extraction_id, viewer_id=user.id)
    return [feedback_read(view) for view in views]


@router.get(
    "/jobs/{jobId}/feedback", operation_id="jobs-feedback", response_model=list[JobFeedbackRead]
)
async def job_feedback(
    response: Response,
    session: SessionDep,
    user: UserDep,
    job_id: JobId,
    variable_id: Annotated[uuid.UUID | None, Query(alias="variableId")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[JobFeedbackRead]:
    """The current verdicts on a job's extractions; `X-Total-Count` gives the total."""
    views, total = await review_service.job_feedback(
        session, job_id, variable_id=variable_id, offset=offset, limit=limit, viewer_id=user.id
    )
    response.headers["X-Total-Count"] = str(total)
    return [_job_feedback_read(view) for view in views]


@router.post(
    "/variables/{variableId}/parse-value",
    operation_id="variables-parse-value",
    response_model=ParsedValueRead,
)
async def parse_value(variable: VariableDep, body: ParseValueRequest) -> ParsedValueRead:
    """The value a correction would be stored as (422 when it is not one of the variable's
    type), so a reviewer sees "about 120 thousand" read as 120000 before saving it."""
    typed = review_service.typed_correction(variable, body.value)
    display = display_of(typed)
    typed_text = body.value if isinstance(body.value, str) else display_of(body.value)
    return ParsedValueRead(
        typed_value=typed,
        display=display,
        as_typed=" ".join((typed_text or "").split()) == (display or ""),
    )


@router.get(
    "/jobs/{jobId}/agreement", operation_id="jobs-agreement", response_model=JobAgreementRead
)
async def job_agreement(session: SessionDep, user: UserDep, job_id: JobId) -> JobAgreementRead:
    """Per variable: accuracy, error kinds, model-reviewer agreement and calibration."""
    return await review_service.job_agreement(session, job_id, viewer_id=user.id)


@router.get(
    "/variables/{variableId}/feedback-analysis",
    operation_id="variables-feedback-analysis",
    response_model=VariableAnalysisRead,
)
async def feedback_analysis(
    session: SessionDep,
    user: UserDep,
    variable: VariableDep,
    job_id: Annotated[uuid.UUID | None, Query(alias="jobId")] = None,
) -> VariableAnalysisRead:
    """The analysis of one variable's reviewed items (one job, or the latest verdicts across
    the project's SAMPLE and FULL jobs)."""
    return await review_service.variable_analysis(session, variable, job_id, viewer_id=user.id)
