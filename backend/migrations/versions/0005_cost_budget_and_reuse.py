"""cost control: job and project budgets, reserved spend, reused answers

A job may carry a budget cap (default from its project) and the worst-case cost of its calls
in flight; an incremental run copies answers from earlier jobs (recorded on the copy) and asks
only the variables left on each item.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("projects", sa.Column("budget_usd", sa.Numeric(14, 6), nullable=True))
    op.add_column("processing_jobs", sa.Column("budget_usd", sa.Numeric(14, 6), nullable=True))
    op.add_column(
        "processing_jobs",
        sa.Column("reserved_usd", sa.Numeric(14, 6), nullable=False, server_default="0"),
    )
    op.add_column(
        "processing_jobs",
        sa.Column("reused_pairs", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "job_items", sa.Column("variable_ids", postgresql.ARRAY(sa.Uuid()), nullable=True)
    )
    op.add_column("extractions", sa.Column("reused_from_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_extractions_reused_from_id_extractions"),
        "extractions",
        "extractions",
        ["reused_from_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_extractions_reused_from_id_extractions"), "extractions", type_="foreignkey"
    )
    op.drop_column("extractions", "reused_from_id")
    op.drop_column("job_items", "variable_ids")
    op.drop_column("processing_jobs", "reused_pairs")
    op.drop_column("processing_jobs", "reserved_usd")
    op.drop_column("processing_jobs", "budget_usd")
    op.drop_column("projects", "budget_usd")
