"""spreadsheet rows: a row of an .xlsx, .xls or .ods sheet is a document of its own type

Workbooks are read as tables, one document per row (docs/ARCHITECTURE.md, "Parsing in
isolation"); their rows carry content type SHEET_ROW.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 20:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PostgreSQL 12+ adds an enum value inside a transaction (it is only usable after commit).
    op.execute("ALTER TYPE content_type ADD VALUE IF NOT EXISTS 'SHEET_ROW'")


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value; rows of that type are removed, the value stays.
    op.execute("DELETE FROM documents WHERE content_type = 'SHEET_ROW'")
