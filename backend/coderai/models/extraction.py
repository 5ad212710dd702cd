"""Extractions (one coded value) and reviewers' feedback on them."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from coderai.models.base import Base, Timestamps, UUIDPrimaryKey
from coderai.models.enums import GroundingKind, Verdict
from coderai.models.project import pg_enum


class Extraction(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "extractions"
    __table_args__ = (
        # A retried item can never add a second row for the same answer.
        Index(
            "uq_extractions_answer",
            "job_id",
            "document_id",
            "variable_id",
            "entity_index",
            unique=True,
        ),
        Index("ix_extractions_variable", "variable_id"),
        Index("ix_extractions_document", "document_id"),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("processing_jobs.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    variable_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("variables.id", ondelete="CASCADE"))
    prompt_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("prompts.id", ondelete="SET NULL")
    )
    prompt_version: Mapped[int | None] = mapped_column(Integer)
    entity_index: Mapped[int] = mapped_column(Integer, default=0)
    entity_key: Mapped[str | None] = mapped_column(String(1024))
    value: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    display_value: Mapped[str | None] = mapped_column(Text)
    raw_value: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float | None] = mapped_column(Float)
    source_text: Mapped[str | None] = mapped_column(Text)
    char_start: Mapped[int | None] = mapped_column(Integer)
    char_end: Mapped[int | None] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)
    reasoning: Mapped[str | None] = mapped_column(Text)
    grounding: Mapped[GroundingKind] = mapped_column(pg_enum(GroundingKind, "grounding_kind"))
    flags: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    # The extraction of an earlier job this one was copied from (an incremental run's reuse).
    reused_from_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("extractions.id", ondelete="SET NULL")
    )


class ExtractionFeedback(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "extraction_feedback"
    __table_args__ = (
        # One current verdict per extraction; older ones stay as history.
        Index(
            "uq_extraction_feedback_current",
            "extraction_id",
            unique=True,
            postgresql_where=text("is_current"),
        ),
        # One current verdict per reviewer and extraction.
        Index(
            "uq_extraction_feedback_reviewer_current",
            "extraction_id",
            "reviewer_id",
            unique=True,
            postgresql_where=text("is_reviewer_current"),
        ),
        # The unit's latest verdict, wherever it was given (docs/ARCHITECTURE.md, "Review").
        Index(
            "ix_extraction_feedback_unit_current",
            "document_id",
            "variable_id",
            "entity_index",
            "created_at",
            postgresql_where=text("is_current"),
        ),
    )

    extraction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("extractions.id", ondelete="CASCADE"), index=True
    )
    # The unit the verdict is about (the extraction's): later jobs apply it to that unit.
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    variable_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("variables.id", ondelete="CASCADE"))
    entity_index: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[Verdict] = mapped_column(pg_enum(Verdict, "verdict"))
    is_correct: Mapped[bool] = mapped_column(Boolean)
    corrected_value: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    note: Mapped[str | None] = mapped_column(Text)
    # The extraction's effective verdict: the latest from any reviewer (what datasets use).
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # This reviewer's own current verdict on the extraction. Older rows stay as history.
    is_reviewer_current: Mapped[bool] = mapped_column(Boolean, default=True)
    # A withdrawn verdict is no longer current anywhere; the row stays as history.
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
