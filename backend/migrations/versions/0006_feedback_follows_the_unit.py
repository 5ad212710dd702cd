"""feedback follows the unit: each verdict names its (document, variable, entity), and can be
withdrawn

A reviewer's verdict is a fact about the unit, not only about the extraction it was given on:
later jobs' results, exports and quality counts apply it (docs/ARCHITECTURE.md, "Review").

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("extraction_feedback", sa.Column("document_id", sa.Uuid(), nullable=True))
    op.add_column("extraction_feedback", sa.Column("variable_id", sa.Uuid(), nullable=True))
    op.add_column("extraction_feedback", sa.Column("entity_index", sa.Integer(), nullable=True))
    op.add_column(
        "extraction_feedback",
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("extraction_feedback", sa.Column("withdrawn_by_id", sa.Uuid(), nullable=True))
    op.execute(
        """
        UPDATE extraction_feedback AS f
        SET document_id = e.document_id, variable_id = e.variable_id,
            entity_index = e.entity_index
        FROM extractions AS e
        WHERE e.id = f.extraction_id
        """
    )
    for column in ("document_id", "variable_id", "entity_index"):
        op.alter_column("extraction_feedback", column, nullable=False)
    op.create_foreign_key(
        op.f("fk_extraction_feedback_document_id_documents"),
        "extraction_feedback",
        "documents",
        ["document_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_foreign_key(
        op.f("fk_extraction_feedback_variable_id_variables"),
        "extraction_feedback",
        "variables",
        ["variable_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_foreign_key(
        op.f("fk_extraction_feedback_withdrawn_by_id_users"),
        "extraction_feedback",
        "users",
        ["withdrawn_by_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        "ix_extraction_feedback_unit_current",
        "extraction_feedback",
        ["document_id", "variable_id", "entity_index", "created_at"],
        postgresql_where=sa.text("is_current"),
    )


def downgrade() -> None:
    op.drop_index("ix_extraction_feedback_unit_current", table_name="extraction_feedback")
    for name in (
        "fk_extraction_feedback_withdrawn_by_id_users",
        "fk_extraction_feedback_variable_id_variables",
        "fk_extraction_feedback_document_id_documents",
    ):
        op.drop_constraint(op.f(name), "extraction_feedback", type_="foreignkey")
    for column in ("withdrawn_by_id", "withdrawn_at", "entity_index", "variable_id", "document_id"):
        op.drop_column("extraction_feedback", column)
