"""Every coder's value of a study as one long CSV (unit, variable, coder, value, quote), for
analysts who check the reliability figures in R or Stata. Editors only; an editor who codes
the study blind may not read it while it is open, as it shows the other coders' values."""

import csv
import io
import uuid
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.errors import Forbidden
from coderai.models import Document, StudyCoding, StudyUnit, User, Variable
from coderai.models.enums import StudyMode, StudyStatus
from coderai.studies.service import coders_of, get_study

COLUMNS = (
    "unit",
    "document_id",
    "document",
    "entity_index",
    "entity_key",
    "variable",
    "coder",
    "value",
    "quote",
    "coded_at",
)
# A spreadsheet runs a cell that starts with one of these as a formula (as in exports).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _text(value: Any) -> str:
    """A stored value as text: lists joined with "; ", booleans true/false, null empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_text(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _safe(text: str) -> str:
    if text.startswith(_FORMULA_PREFIXES):
        try:
            float(text)
            return text  # a negative number is not a formula
        except ValueError:
            return "'" + text
    return text


def _write(rows: list[tuple[Any, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(_safe(_text(cell)) for cell in row)
    return buffer.getvalue().encode("utf-8")


async def codings_csv(session: AsyncSession, study_id: uuid.UUID, viewer: User) -> bytes:
    """The study's codings, one row per unit, variable and coder, in unit, schema and coder
    order (UTF-8 CSV; no row where a coder gave no coding)."""
    study = await get_study(session, study_id)
    coders = list(await coders_of(session, study.id))
    blind = study.mode is StudyMode.BLIND and study.status is StudyStatus.OPEN
    if blind and not study.unblinded and viewer.id in {c.id for c in coders}:
        raise Forbidden("You code this study blind: its codings show others' values.")
    rank = {user.id: i for i, user in enumerate(coders)}
    rows = await session.execute(
        select(
            StudyUnit.position,
            StudyUnit.document_id,
            Document.name,
            StudyUnit.entity_index,
            StudyUnit.entity_key,
            Variable.name,
            User.email,
            StudyCoding.value,
            StudyCoding.quote,
            StudyCoding.updated_at,
            Variable.order,
            StudyCoding.coder_id,
        )
        .join(StudyUnit, StudyUnit.id == StudyCoding.unit_id)
        .join(Document, Document.id == StudyUnit.document_id)
        .join(Variable, Variable.id == StudyCoding.variable_id)
        .join(User, User.id == StudyCoding.coder_id)
        .where(StudyCoding.study_id == study.id, StudyCoding.variable_id.in_(study.variable_ids))
    )
    ordered = sorted(
        (row for row in rows if row.coder_id in rank),
        key=lambda row: (row.position, row.order, rank[row.coder_id]),
    )
    table = [(*row[:9], row.updated_at.isoformat()) for row in ordered]
    return await anyio.to_thread.run_sync(_write, table)
