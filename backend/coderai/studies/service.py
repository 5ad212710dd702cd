"""Reliability studies: creation (a seeded sample of a job's units, two or more coders who are
members with role CODER or above), listing, and each coder's progress."""

import random
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.errors import InvalidInput, NotFound
from coderai.jobs import service as job_service
from coderai.members import audit
from coderai.members import service as member_service
from coderai.models import (
    Extraction,
    JobItem,
    ReliabilityStudy,
    StudyCoder,
    StudyCoding,
    StudyUnit,
    User,
    Variable,
)
from coderai.models.enums import ROLE_RANK, ProjectRole, StudyStatus
from coderai.studies.schemas import CoderProgress, StudyCreate, StudyRead


@dataclass(frozen=True)
class JobUnit:
    """One unit of a job's dataset: a document, or one entity found in it."""

    document_id: uuid.UUID
    entity_index: int
    entity_key: str | None


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors=[{"field": field, "message": message}])


async def get_study(session: AsyncSession, study_id: uuid.UUID) -> ReliabilityStudy:
    study = await session.get(ReliabilityStudy, study_id)
    if study is None:
        raise NotFound(f"Study '{study_id}' not found.")
    return study


async def job_units(session: AsyncSession, job_id: uuid.UUID) -> list[JobUnit]:
    """The job's units in the order of its items: every (document, entity) it extracted."""
    rows = await session.execute(
        select(Extraction.document_id, Extraction.entity_index, func.max(Extraction.entity_key))
        .join(
            JobItem,
            (JobItem.job_id == Extraction.job_id) & (JobItem.document_id == Extraction.document_id),
        )
        .where(Extraction.job_id == job_id)
        .group_by(Extraction.document_id, Extraction.entity_index, JobItem.seq)
        .order_by(JobItem.seq, Extraction.entity_index)
    )
    return [JobUnit(doc, entity, key) for doc, entity, key in rows]


def _choose_units(units: list[JobUnit], data: StudyCreate, seed: int) -> list[JobUnit]:
    if data.document_ids is not None:
        wanted = set(data.document_ids)
        known = {unit.document_id for unit in units}
        for i, document_id in enumerate(data.document_ids):
            if document_id not in known:
                raise _invalid(f"documentIds[{i}]", "this job has no results for this document")
        units = [unit for unit in units if unit.document_id in wanted]
    if data.unit_count is not None:
        if data.unit_count > len(units):
            raise _invalid("unitCount", f"the job has only {len(units)} units to sample from")
        # Reproducible: the same seed over the same job draws the same units, kept in job order.
        picked = sorted(random.Random(seed).sample(range(len(units)), data.unit_count))
        units = [units[i] for i in picked]
    if not units:
        raise _invalid("unitCount", "the job has no units to code yet")
    return units


async def _variables(
    session: AsyncSession, project_id: uuid.UUID, wanted: list[uuid.UUID] | None
) -> list[uuid.UUID]:
    rows = await session.execute(
        select(Variable.id).where(Variable.project_id == project_id).order_by(Variable.order)
    )
    in_project = list(rows.scalars())
    if wanted is None:
        if not in_project:
            raise _invalid("variableIds", "the project has no variables")
        return in_project
    for i, variable_id in enumerate(wanted):
        if variable_id not in in_project:
            raise _invalid(f"variableIds[{i}]", "not a variable of this job's project")
    if not wanted:
        raise _invalid("variableIds", "name at least one variable")
    return [v for v in in_project if v in set(wanted)]


async def _coders(session: AsyncSession, project_id: uuid.UUID, data: StudyCreate) -> list[User]:
    found: list[User] = []
    named: list[tuple[str, int, object, ColumnElement[bool]]] = [
        ("coderEmails", i, e, func.lower(User.email) == e.lower())
        for i, e in enumerate(data.coder_emails)
    ]
    named += [("coderIds", i, u, User.id == u) for i, u in enumerate(data.coder_ids)]
    for field, i, given, condition in named:
        user = await session.scalar(select(User).where(condition))
        role = None if user is None else await member_service.role_of(session, user.id, project_id)
        if user is None or role is None or ROLE_RANK[role] < ROLE_RANK[ProjectRole.CODER]:
            raise _invalid(
                f"{field}[{i}]",
                f"'{given}' is not a member of this project with role CODER or above",
            )
        if user.id not in {c.id for c in found}:
            found.append(user)
    if len(found) < 2:
        raise _invalid("coderIds", "a reliability study needs at least two different coders")
    return found


async def create_study(
    session: AsyncSession, job_id: uuid.UUID, data: StudyCreate, creator: User
) -> StudyRead:
    """Draw the units, check the coders and variables, and open the study."""
    job = await job_service.get_job(session, job_id)
    variable_ids = await _variables(session, job.project_id, data.variable_ids)
    coders = await _coders(session, job.project_id, data)
    seed = data.seed if data.seed is not None else secrets.randbits(31)
    units = _choose_units(await job_units(session, job_id), data, seed)
    study = ReliabilityStudy(
        job_id=job.id,
        project_id=job.project_id,
        mode=data.mode,
        variable_ids=variable_ids,
        seed=seed,
        unblinded=False,
        created_by_id=creator.id,
    )
    session.add(study)
    await session.flush()
    session.add_all(
        StudyUnit(
            study_id=study.id,
            position=i,
            document_id=unit.document_id,
            entity_index=unit.entity_index,
            entity_key=unit.entity_key,
        )
        for i, unit in enumerate(units)
    )
    session.add_all(
        StudyCoder(study_id=study.id, user_id=user.id, position=i) for i, user in enumerate(coders)
    )
    await session.flush()
    audit.note(
        session,
        target=("study", study.id),
        mode=data.mode.value,
        units=len(units),
        coders=len(coders),
    )
    return await study_read(session, study)


async def coders_of(session: AsyncSession, study_id: uuid.UUID) -> Sequence[User]:
    rows = await session.execute(
        select(User)
        .join(StudyCoder, StudyCoder.user_id == User.id)
        .where(StudyCoder.study_id == study_id)
        .order_by(StudyCoder.position)
    )
    return list(rows.scalars())


async def unit_count(session: AsyncSession, study_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).select_from(StudyUnit).where(StudyUnit.study_id == study_id)
    )
    return count or 0


async def done_units(
    session: AsyncSession, study: ReliabilityStudy, coder_id: uuid.UUID | None = None
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Per coder, the units they coded every variable of the study for."""
    statement = (
        select(StudyCoding.coder_id, StudyCoding.unit_id)
        .where(
            StudyCoding.study_id == study.id,
            StudyCoding.variable_id.in_(study.variable_ids),
        )
        .group_by(StudyCoding.coder_id, StudyCoding.unit_id)
        .having(func.count() >= len(study.variable_ids))
    )
    if coder_id is not None:
        statement = statement.where(StudyCoding.coder_id == coder_id)
    done: dict[uuid.UUID, set[uuid.UUID]] = {}
    for coder, unit in await session.execute(statement):
        done.setdefault(coder, set()).add(unit)
    return done


async def study_read(session: AsyncSession, study: ReliabilityStudy) -> StudyRead:
    total = await unit_count(session, study.id)
    done = await done_units(session, study)
    coders = [
        CoderProgress(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            done=len(done.get(user.id, ())),
            total=total,
            progress=f"{len(done.get(user.id, ()))} of {total} done",
        )
        for user in await coders_of(session, study.id)
    ]
    return StudyRead(
        id=study.id,
        job_id=study.job_id,
        mode=study.mode,
        status=study.status,
        unblinded=study.unblinded,
        variable_ids=study.variable_ids,
        seed=study.seed,
        unit_count=total,
        created_by_id=study.created_by_id,
        created_at=study.created_at,
        coders=coders,
    )


async def list_studies(session: AsyncSession, job_id: uuid.UUID) -> list[StudyRead]:
    await job_service.get_job(session, job_id)
    rows = await session.execute(
        select(ReliabilityStudy)
        .where(ReliabilityStudy.job_id == job_id)
        .order_by(ReliabilityStudy.created_at, ReliabilityStudy.id)
    )
    return [await study_read(session, study) for study in rows.scalars()]


async def get_study_read(session: AsyncSession, study_id: uuid.UUID) -> StudyRead:
    return await study_read(session, await get_study(session, study_id))


async def close_study(session: AsyncSession, study_id: uuid.UUID) -> StudyRead:
    """Close the study: its codings no longer change and its coders are no longer blind.
    Closing a closed study changes nothing."""
    study = await get_study(session, study_id)
    if study.status is not StudyStatus.CLOSED:
        study.status = StudyStatus.CLOSED
        await session.flush()
        audit.note(session, target=("study", study.id))
    return await study_read(session, study)


async def unblind_study(session: AsyncSession, study_id: uuid.UUID) -> StudyRead:
    """Lift a study's blindness (its coders then see the model's values and, as editors, the
    disagreements); the study stays open. Unblinding twice changes nothing."""
    study = await get_study(session, study_id)
    if not study.unblinded:
        study.unblinded = True
        await session.flush()
        audit.note(session, target=("study", study.id))
    return await study_read(session, study)
