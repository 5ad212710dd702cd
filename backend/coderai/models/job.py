"""Processing jobs, their unit of work (one item per document) and their log."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from coderai.models.base import Base, Timestamps, UUIDPrimaryKey
from coderai.models.enums import JobItemStatus, JobStatus, JobType, LogLevel
from coderai.models.project import pg_enum


class ProcessingJob(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "processing_jobs"
    __table_args__ = (Index("ix_processing_jobs_project_created", "project_id", "created_at"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    job_type: Mapped[JobType] = mapped_column(pg_enum(JobType, "job_type"))
    status: Mapped[JobStatus] = mapped_column(pg_enum(JobStatus, "job_status"), index=True)
    # {variable_id: prompt_id} frozen at creation: a job runs the prompts it started with.
    prompt_snapshot: Mapped[dict[str, str]] = mapped_column(JSONB)
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    sample_seed: Mapped[int | None] = mapped_column(BigInteger)
    llm_model: Mapped[str | None] = mapped_column(String(200))
    # The model it runs on, resolved at creation (`llm.ModelChoice.to_json`: provider, model,
    # baseUrl, temperature, apiKeyEnv; a key's name, never a key). Null: the environment's.
    llm: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The finished job whose documents this one re-runs on another model (a replication).
    replicates_job_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("processing_jobs.id", ondelete="SET NULL"), index=True
    )
    # Who started it: the runner acts as this user (audit entries of the job name them).
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    total_items: Mapped[int] = mapped_column(Integer, default=0)
    done_items: Mapped[int] = mapped_column(Integer, default=0)
    failed_items: Mapped[int] = mapped_column(Integer, default=0)
    flagged_items: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    llm_calls: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cached_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(14, 6), default=Decimal(0))
    # The cap on `cost_usd` (None: no cap) and the worst-case cost of the calls in flight,
    # reserved before they are made (docs/ARCHITECTURE.md, "Cost").
    budget_usd: Mapped[Decimal | None] = mapped_column(Numeric(14, 6))
    reserved_usd: Mapped[Decimal] = mapped_column(Numeric(14, 6), default=Decimal(0))
    # (document, variable) answers copied from earlier jobs instead of asked again.
    reused_pairs: Mapped[int] = mapped_column(Integer, default=0)
    status_reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JobItem(UUIDPrimaryKey, Base):
    __tablename__ = "job_items"
    __table_args__ = (
        UniqueConstraint("job_id", "document_id", name="uq_job_items_job_document"),
        # The claimer's query: pending items of runnable jobs, oldest first.
        Index("ix_job_items_pending", "job_id", "seq", postgresql_where=text("status = 'PENDING'")),
        Index(
            "ix_job_items_leases",
            "lease_expires_at",
            postgresql_where=text("status = 'PROCESSING'"),
        ),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("processing_jobs.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[JobItemStatus] = mapped_column(pg_enum(JobItemStatus, "job_item_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    flagged: Mapped[bool] = mapped_column(default=False)
    llm_calls: Mapped[int] = mapped_column(Integer, default=0)
    # The variables still to ask (the others' answers were reused); None: all of the job's.
    variable_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(Uuid))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int | None] = mapped_column(Integer)


class ProcessingLog(UUIDPrimaryKey, Base):
    __tablename__ = "processing_logs"
    __table_args__ = (Index("ix_processing_logs_job_created", "job_id", "created_at"),)

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("processing_jobs.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL")
    )
    variable_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("variables.id", ondelete="SET NULL")
    )
    level: Mapped[LogLevel] = mapped_column(pg_enum(LogLevel, "log_level"))
    event: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
