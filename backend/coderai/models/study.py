"""Reliability studies: several coders code the same sampled units of a job independently,
and an editor adjudicates their disagreements into gold values."""

import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from coderai.models.base import Base, Timestamps, UUIDPrimaryKey
from coderai.models.enums import StudyMode, StudyStatus
from coderai.models.project import pg_enum


class ReliabilityStudy(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "reliability_studies"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("processing_jobs.id", ondelete="CASCADE"), index=True
    )
    # The job's project, kept here so that access checks find it without a join.
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    mode: Mapped[StudyMode] = mapped_column(pg_enum(StudyMode, "study_mode"))
    status: Mapped[StudyStatus] = mapped_column(
        pg_enum(StudyStatus, "study_status"), default=StudyStatus.OPEN
    )
    # In the schema's order; a variable deleted later simply drops out of the reports.
    variable_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    seed: Mapped[int] = mapped_column(BigInteger)
    unblinded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class StudyUnit(UUIDPrimaryKey, Base):
    __tablename__ = "study_units"
    __table_args__ = (
        UniqueConstraint("study_id", "document_id", "entity_index", name="uq_study_units_unit"),
        UniqueConstraint("study_id", "position", name="uq_study_units_position"),
    )

    study_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reliability_studies.id", ondelete="CASCADE")
    )
    # The unit's index in the study (the `unitIndex` of its routes), 0-based.
    position: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    entity_index: Mapped[int] = mapped_column(Integer, default=0)
    entity_key: Mapped[str | None] = mapped_column(String(1024))


class StudyCoder(UUIDPrimaryKey, Base):
    __tablename__ = "study_coders"
    __table_args__ = (UniqueConstraint("study_id", "user_id", name="uq_study_coders_user"),)

    study_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reliability_studies.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class StudyCoding(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "study_codings"
    __table_args__ = (
        # Coding a unit's variable again replaces the coder's value.
        UniqueConstraint(
            "study_id", "unit_id", "variable_id", "coder_id", name="uq_study_codings_value"
        ),
    )

    study_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reliability_studies.id", ondelete="CASCADE")
    )
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("study_units.id", ondelete="CASCADE"))
    variable_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("variables.id", ondelete="CASCADE"))
    coder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Typed like the variable (coerced on the way in); JSON null: the coder found no value.
    value: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    quote: Mapped[str | None] = mapped_column(Text)


class StudyGold(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "study_gold"
    __table_args__ = (
        UniqueConstraint("study_id", "unit_id", "variable_id", name="uq_study_gold_value"),
    )

    study_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reliability_studies.id", ondelete="CASCADE")
    )
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("study_units.id", ondelete="CASCADE"))
    variable_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("variables.id", ondelete="CASCADE"))
    value: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    set_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
