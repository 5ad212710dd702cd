"""reliability studies: sampled units, coders, their codings, and adjudicated gold values

A study belongs to one job; its coders code its units blind (or verifying the model) and
editing members adjudicate disagreements into gold values.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 17:33:33.529889
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reliability_studies",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("mode", sa.Enum("BLIND", "VERIFY", name="study_mode"), nullable=False),
        sa.Column("status", sa.Enum("OPEN", "CLOSED", name="study_status"), nullable=False),
        sa.Column("variable_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("unblinded", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_reliability_studies_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["processing_jobs.id"],
            name=op.f("fk_reliability_studies_job_id_processing_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_reliability_studies_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reliability_studies")),
    )
    op.create_index(
        op.f("ix_reliability_studies_job_id"), "reliability_studies", ["job_id"], unique=False
    )
    op.create_index(
        op.f("ix_reliability_studies_project_id"),
        "reliability_studies",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "study_coders",
        sa.Column("study_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["reliability_studies.id"],
            name=op.f("fk_study_coders_study_id_reliability_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_study_coders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_coders")),
        sa.UniqueConstraint("study_id", "user_id", name="uq_study_coders_user"),
    )
    op.create_index(op.f("ix_study_coders_user_id"), "study_coders", ["user_id"], unique=False)
    op.create_table(
        "study_units",
        sa.Column("study_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("entity_index", sa.Integer(), nullable=False),
        sa.Column("entity_key", sa.String(length=1024), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_study_units_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["reliability_studies.id"],
            name=op.f("fk_study_units_study_id_reliability_studies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_units")),
        sa.UniqueConstraint("study_id", "document_id", "entity_index", name="uq_study_units_unit"),
        sa.UniqueConstraint("study_id", "position", name="uq_study_units_position"),
    )
    op.create_table(
        "study_codings",
        sa.Column("study_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("variable_id", sa.Uuid(), nullable=False),
        sa.Column("coder_id", sa.Uuid(), nullable=False),
        sa.Column(
            "value", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["coder_id"],
            ["users.id"],
            name=op.f("fk_study_codings_coder_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["reliability_studies.id"],
            name=op.f("fk_study_codings_study_id_reliability_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["study_units.id"],
            name=op.f("fk_study_codings_unit_id_study_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variable_id"],
            ["variables.id"],
            name=op.f("fk_study_codings_variable_id_variables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_codings")),
        sa.UniqueConstraint(
            "study_id", "unit_id", "variable_id", "coder_id", name="uq_study_codings_value"
        ),
    )
    op.create_table(
        "study_gold",
        sa.Column("study_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("variable_id", sa.Uuid(), nullable=False),
        sa.Column(
            "value", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("set_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["users.id"],
            name=op.f("fk_study_gold_set_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["reliability_studies.id"],
            name=op.f("fk_study_gold_study_id_reliability_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["study_units.id"],
            name=op.f("fk_study_gold_unit_id_study_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variable_id"],
            ["variables.id"],
            name=op.f("fk_study_gold_variable_id_variables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_gold")),
        sa.UniqueConstraint("study_id", "unit_id", "variable_id", name="uq_study_gold_value"),
    )


def downgrade() -> None:
    op.drop_table("study_gold")
    op.drop_table("study_codings")
    op.drop_table("study_units")
    op.drop_index(op.f("ix_study_coders_user_id"), table_name="study_coders")
    op.drop_table("study_coders")
    op.drop_index(op.f("ix_reliability_studies_project_id"), table_name="reliability_studies")
    op.drop_index(op.f("ix_reliability_studies_job_id"), table_name="reliability_studies")
    op.drop_table("reliability_studies")
    for enum_name in ("study_status", "study_mode"):
        sa.Enum(name=enum_name).drop(op.get_bind(), checkfirst=False)
