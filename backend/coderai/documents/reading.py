"""What an isolated child does with one uploaded file (docs/ARCHITECTURE.md, "Parsing in
isolation"): tell its type, then parse it to text, or stream a table's rows into a spool file
the parent inserts from. Everything here runs in `core.isolation`'s children, so it answers
with plain, picklable data and never touches the database.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from coderai.documents.file_type import Detection, detect
from coderai.documents.parsers import (
    DocumentParseError,
    ParsedDocument,
    ReadLimits,
    parse_document,
)
from coderai.documents.table_rows import (
    TableBatch,
    UnknownColumnError,
    UnknownSheetError,
    inspect_table,
    iter_table_rows,
)


@dataclass(frozen=True, slots=True)
class TableColumns:
    text_column: str | None = None
    id_column: str | None = None
    title_column: str | None = None
    sheet: str | None = None  # a workbook's sheet, by name; the first when None


@dataclass(frozen=True, slots=True)
class ReadOutcome:
    """One file read: a document's text, a table spooled, or why not."""

    detection: Detection | None = None
    parsed: ParsedDocument | None = None
    error: str | None = None
    # For tables: TEXT_COLUMN_REQUIRED, UNKNOWN_COLUMN, UNKNOWN_SHEET or UNREADABLE, with the
    # columns (and for an unknown sheet, each sheet's name and columns).
    error_code: str | None = None
    available_columns: list[str] = field(default_factory=list)
    available_sheets: dict[str, list[str]] | None = None
    batches: int = 0  # pickled `TableBatch`es written to the spool file


def read_upload(
    path: str,
    filename: str,
    columns: TableColumns,
    spool: str,
    limits: ReadLimits,
    batch_size: int,
) -> ReadOutcome:
    """Detect and read one stored upload. Runs in a child process."""
    file = Path(path)
    try:
        detection = detect(file, filename)
    except DocumentParseError as exc:
        return ReadOutcome(error=str(exc), error_code="UNREADABLE")
    kind = detection.table_kind
    if kind is None:
        try:
            return ReadOutcome(detection, parse_document(file, detection.content_type, limits))
        except DocumentParseError as exc:
            return ReadOutcome(detection, error=str(exc), error_code="UNREADABLE")
    text_column = columns.text_column
    try:
        if not text_column:
            return ReadOutcome(
                detection,
                error_code="TEXT_COLUMN_REQUIRED",
                available_columns=inspect_table(file, kind, columns.sheet),
            )
        batches = 0
        with open(spool, "wb") as out:
            for batch in iter_table_rows(
                file,
                kind,
                text_column,
                columns.id_column,
                columns.title_column,
                batch_size,
                limits,
                columns.sheet,
            ):
                pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
                batches += 1
        return ReadOutcome(detection, batches=batches)
    except UnknownSheetError as exc:
        return ReadOutcome(
            detection, error=str(exc), error_code="UNKNOWN_SHEET", available_sheets=exc.available
        )
    except UnknownColumnError as exc:
        return ReadOutcome(
            detection, error=str(exc), error_code="UNKNOWN_COLUMN", available_columns=exc.available
        )
    except DocumentParseError as exc:
        return ReadOutcome(detection, error=str(exc), error_code="UNREADABLE")


def spooled_batches(spool: Path, count: int) -> Iterator[TableBatch]:
    """Read back, one at a time, the `count` batches a child wrote (our own file, written by
    our own code, so unpickling it is safe). Blocking: advance it in a thread."""
    with spool.open("rb") as handle:
        for _ in range(count):
            batch: TableBatch = pickle.load(handle)
            yield batch
