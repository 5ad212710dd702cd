"""Reliability studies: create and list a job's studies, a study's progress, and the coder's
queue, unit and codings."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from coderai.auth.dependencies import UserDep
from coderai.core.dependencies import SessionDep
from coderai.studies import adjudication, coding, codings_csv, report
from coderai.studies import service as study_service
from coderai.studies.report import DEFAULT_DRAWS
from coderai.studies.schemas import (
    CodingsPut,
    DisagreementRead,
    GoldPut,
    GoldRead,
    JobReliabilityRead,
    QueueRead,
    StudyCreate,
    StudyRead,
    UnitRead,
)

router = APIRouter(tags=["studies"])

JobId = Annotated[uuid.UUID, Path(alias="jobId")]
StudyId = Annotated[uuid.UUID, Path(alias="studyId")]
UnitIndex = Annotated[int, Path(alias="unitIndex", ge=0, le=1_000_000)]


@router.post(
    "/jobs/{jobId}/assignments",
    operation_id="studies-create",
    status_code=status.HTTP_201_CREATED,
    response_model=StudyRead,
)
async def create_study(
    session: SessionDep, user: UserDep, job_id: JobId, body: StudyCreate
) -> StudyRead:
    """Open a reliability study: a seeded sample of the job's units for two or more coders."""
    return await study_service.create_study(session, job_id, body, user)


@router.get(
    "/jobs/{jobId}/assignments", operation_id="studies-list", response_model=list[StudyRead]
)
async def list_studies(session: SessionDep, job_id: JobId) -> list[StudyRead]:
    """The job's reliability studies with each coder's progress, oldest first."""
    return await study_service.list_studies(session, job_id)


@router.get("/studies/{studyId}", operation_id="studies-get", response_model=StudyRead)
async def get_study(session: SessionDep, study_id: StudyId) -> StudyRead:
    """One study with each coder's progress ("12 of 40 done")."""
    return await study_service.get_study_read(session, study_id)


@router.post("/studies/{studyId}/close", operation_id="studies-close", response_model=StudyRead)
async def close_study(session: SessionDep, study_id: StudyId) -> StudyRead:
    """Close the study: codings are final and its coders see the model's values again."""
    return await study_service.close_study(session, study_id)


@router.post("/studies/{studyId}/unblind", operation_id="studies-unblind", response_model=StudyRead)
async def unblind_study(session: SessionDep, study_id: StudyId) -> StudyRead:
    """End a BLIND study's blindness while it stays open: its coders see the model's values
    and may keep coding (the study says it was unblinded)."""
    return await study_service.unblind_study(session, study_id)


@router.get("/studies/{studyId}/queue", operation_id="studies-queue", response_model=QueueRead)
async def queue(session: SessionDep, user: UserDep, study_id: StudyId) -> QueueRead:
    """The caller's units in this study, done or not (the study's coders only)."""
    return await coding.queue(session, study_id, user)


@router.get(
    "/studies/{studyId}/units/{unitIndex}", operation_id="studies-unit", response_model=UnitRead
)
async def unit(
    session: SessionDep, user: UserDep, study_id: StudyId, unit_index: UnitIndex
) -> UnitRead:
    """One unit to code: its text, the questions and the caller's own codings."""
    return await coding.unit_detail(session, study_id, unit_index, user)


@router.put(
    "/studies/{studyId}/units/{unitIndex}/codings",
    operation_id="studies-codings-save",
    response_model=UnitRead,
)
async def save_codings(
    session: SessionDep, user: UserDep, study_id: StudyId, unit_index: UnitIndex, body: CodingsPut
) -> UnitRead:
    """Save the caller's values for one unit; coding a variable again replaces its value."""
    return await coding.save_codings(session, study_id, unit_index, body, user)


@router.get(
    "/jobs/{jobId}/reliability",
    operation_id="studies-reliability",
    response_model=JobReliabilityRead,
)
async def reliability(
    session: SessionDep,
    job_id: JobId,
    draws: Annotated[int, Query(ge=0, le=2000, description="Bootstrap resamples")] = DEFAULT_DRAWS,
) -> JobReliabilityRead:
    """Per study and variable: Krippendorff's alpha among the coders with a 95 % bootstrap
    interval, and of the model against each coder and against the gold values."""
    return await report.job_reliability(session, job_id, draws)


@router.get(
    "/studies/{studyId}/disagreements",
    operation_id="studies-disagreements",
    response_model=list[DisagreementRead],
)
async def disagreements(
    session: SessionDep, user: UserDep, study_id: StudyId
) -> list[DisagreementRead]:
    """Units and variables the coders coded differently, their values and quotes side by side
    (not for an editor who codes the study blind while it is open)."""
    return await adjudication.disagreements(session, study_id, user)


@router.put("/studies/{studyId}/gold", operation_id="studies-gold-set", response_model=GoldRead)
async def set_gold(
    session: SessionDep, user: UserDep, study_id: StudyId, body: GoldPut
) -> GoldRead:
    """Set gold values by hand, or accept the coders' majority where none is set yet."""
    return await adjudication.set_gold(session, study_id, body, user)


@router.get(
    "/studies/{studyId}/codings.csv",
    operation_id="studies-codings-export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per coding"}},
)
async def export_codings(session: SessionDep, user: UserDep, study_id: StudyId) -> Response:
    """Every coder's value as a long CSV: unit, document, entity, variable, coder, value,
    quote and when it was coded (not for an editor who codes the study blind while it is
    open)."""
    body = await codings_csv.codings_csv(session, study_id, user)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="study-{study_id}-codings.csv"'},
    )
