"""a model per project and per job, and replication of a job on a second model

`projects.llm` holds the project's model choice over the environment's (null: the
environment's); `processing_jobs.llm` the resolved choice the job runs on; and
`processing_jobs.replicates_job_id` the finished job a replication re-runs.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("projects", sa.Column("llm", postgresql.JSONB(), nullable=True))
    op.add_column("processing_jobs", sa.Column("llm", postgresql.JSONB(), nullable=True))
    op.add_column("processing_jobs", sa.Column("replicates_job_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_processing_jobs_replicates_job_id_processing_jobs",
        "processing_jobs",
        "processing_jobs",
        ["replicates_job_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        "ix_processing_jobs_replicates_job_id", "processing_jobs", ["replicates_job_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_processing_jobs_replicates_job_id", table_name="processing_jobs")
    op.drop_constraint(
        "fk_processing_jobs_replicates_job_id_processing_jobs",
        "processing_jobs",
        type_="foreignkey",
    )
    op.drop_column("processing_jobs", "replicates_job_id")
    op.drop_column("processing_jobs", "llm")
    op.drop_column("projects", "llm")
