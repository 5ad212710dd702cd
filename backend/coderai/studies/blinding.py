"""Blindness: while a BLIND study is open, its coders see neither the model's values nor
anyone's verdicts on the documents they code. Result, flagged, extraction and feedback reads
filter with `blinded`; imports models only, so that those services may use it."""

import uuid

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.models import Extraction, ReliabilityStudy, StudyCoder, StudyUnit
from coderai.models.enums import StudyMode, StudyStatus


def blinded(user_id: uuid.UUID) -> ColumnElement[bool]:
    """True for an extraction that `user_id` must not see: its document is a unit of an open,
    still blind study of its job that they code. Whole documents, not single entities, are
    hidden, as a coder reads the document."""
    return exists(
        select(StudyUnit.id)
        .join(ReliabilityStudy, ReliabilityStudy.id == StudyUnit.study_id)
        .join(
            StudyCoder,
            (StudyCoder.study_id == ReliabilityStudy.id) & (StudyCoder.user_id == user_id),
        )
        .where(
            ReliabilityStudy.job_id == Extraction.job_id,
            ReliabilityStudy.mode == StudyMode.BLIND,
            ReliabilityStudy.status == StudyStatus.OPEN,
            ReliabilityStudy.unblinded.is_(False),
            StudyUnit.document_id == Extraction.document_id,
        )
    )


async def codes_job_blind(session: AsyncSession, job_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether `user_id` codes an open, still blind study of the job: then nothing that shows
    the job's values as a whole (an export, the coders' values) may reach them."""
    found = await session.scalar(
        select(StudyCoder.id)
        .join(ReliabilityStudy, ReliabilityStudy.id == StudyCoder.study_id)
        .where(
            StudyCoder.user_id == user_id,
            ReliabilityStudy.job_id == job_id,
            ReliabilityStudy.mode == StudyMode.BLIND,
            ReliabilityStudy.status == StudyStatus.OPEN,
            ReliabilityStudy.unblinded.is_(False),
        )
        .limit(1)
    )
    return found is not None
