"""Stream the rows of a tabular file (CSV, TSV, JSON, JSON Lines, Parquet, a workbook's sheet)
as future documents.

Nothing here loads a whole file: CSV/TSV go through pyarrow's streaming CSV reader, Parquet
through `ParquetFile.iter_batches`, JSON Lines line by line, and a JSON array element by element
with the standard library's `JSONDecoder.raw_decode` over a sliding buffer (pyarrow.json and
pandas.read_json only stream JSON Lines, so either would hold the whole array in memory).
A workbook (.xlsx, .xls, .ods) is read with python-calamine, which loads one sheet at a time;
its unzipped size is bounded first, like a .docx's (docs/ARCHITECTURE.md, "Parsing in
isolation").
"""

from __future__ import annotations

import base64
import codecs
import datetime as dt
import decimal
import itertools
import json
import math
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import python_calamine

from coderai.documents.file_type import PASSWORD_PROTECTED_WORKBOOK, TableKind, sniff_delimiter
from coderai.documents.parsers import (
    DocumentParseError,
    ReadLimits,
    bom_encoding,
    check_expanded_size,
    normalise_text,
    utf16_without_bom,
)

_READ_CHUNK = 1 << 20
_INSPECT_ROWS = 1000  # JSON rows read to list the column names
_SNIFF_CHARS = 64 * 1024


class UnknownColumnError(DocumentParseError):
    """A column named by the user is not in the file."""

    def __init__(self, column: str, available: list[str]) -> None:
        self.column = column
        self.available = available
        listed = ", ".join(repr(name) for name in available) or "none"
        super().__init__(f"The file has no column {column!r}; its columns are: {listed}.")


class UnknownSheetError(DocumentParseError):
    """A sheet named by the user is not in the workbook."""

    def __init__(self, sheet: str, available: dict[str, list[str]]) -> None:
        self.sheet = sheet
        self.available = available  # each sheet's name and its columns, in workbook order
        listed = ", ".join(repr(name) for name in available) or "none"
        super().__init__(f"The workbook has no sheet {sheet!r}; its sheets are: {listed}.")


@dataclass(frozen=True, slots=True)
class TableRow:
    row_number: int  # 1-based position among the file's data rows (the header is not counted)
    text: str
    external_id: str | None
    title: str | None
    metadata: dict[str, Any]  # every column except the text column, as JSON-safe values
    # Where the row came from in a workbook: {"sheet": name, "sheetRow": its row number there}.
    source: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TableBatch:
    rows: list[TableRow]
    skipped: int  # rows in this stretch of the file left out because their text was blank


def inspect_table(path: Path, kind: TableKind, sheet: str | None = None) -> list[str]:
    """The column names of a tabular file (for JSON, the keys of its first 1,000 records; for a
    workbook, the first row of the chosen sheet)."""
    if kind is TableKind.SHEET:
        return _open_sheet(path, sheet, ReadLimits()).columns
    if kind is TableKind.PARQUET:
        return list(_open_parquet(path).schema_arrow.names)
    if kind in (TableKind.CSV, TableKind.TSV):
        return list(_open_csv(path, _csv_dialect(path, kind)).schema.names)
    names: dict[str, None] = {}
    for _, record in zip(range(_INSPECT_ROWS), _iter_json_records(path, kind), strict=False):
        names.update(dict.fromkeys(record))
    return list(names)


def iter_table_rows(
    path: Path,
    kind: TableKind,
    text_column: str,
    id_column: str | None = None,
    title_column: str | None = None,
    batch_size: int = 2000,
    limits: ReadLimits | None = None,
    sheet: str | None = None,
) -> Iterator[TableBatch]:
    """Check the named columns, then yield the file's rows in batches of up to `batch_size`.

    Rows whose text is empty or blank are left out and counted in `TableBatch.skipped`.
    CSV cells stay strings: CSV carries no types, and guessing them from the first block can
    fail further down the file and strips leading zeros from codes such as "00123".
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    limits = limits or ReadLimits()
    is_csv = kind in (TableKind.CSV, TableKind.TSV)
    dialect = _csv_dialect(path, kind) if is_csv else None
    opened = _open_sheet(path, sheet, limits) if kind is TableKind.SHEET else None
    if opened is not None:
        available = opened.columns
    elif dialect:
        available = list(_open_csv(path, dialect).schema.names)
    else:
        available = inspect_table(path, kind)
    if len(available) > limits.max_table_columns:
        raise DocumentParseError(
            f"The table has {len(available):,} columns; at most {limits.max_table_columns:,} "
            "are read. Keep the columns you need and upload it again."
        )
    for column in (text_column, id_column, title_column):
        if column is not None and column not in available:
            raise UnknownColumnError(column, available)
    spec = _RowSpec(text_column, id_column, title_column, limits.max_nesting_depth)
    if opened is not None:
        records = _rows_from_sheet(opened, spec)
    elif kind is TableKind.PARQUET:
        parquet = _open_parquet(path)
        records = _rows_from_arrow(parquet.iter_batches(batch_size=batch_size), spec)
    elif dialect:
        # Every column is read as a string (see the docstring); "" is the only null.
        convert = pacsv.ConvertOptions(
            column_types=dict.fromkeys(available, pa.string()),
            strings_can_be_null=True,
            null_values=[""],
        )
        records = _rows_from_arrow(_open_csv(path, dialect, convert), spec)
    else:
        records = _rows_from_json(_iter_json_records(path, kind), spec)
    return _rebatch(_at_most(records, limits.max_table_rows), batch_size)


@dataclass(frozen=True, slots=True)
class _RowSpec:
    text_column: str
    id_column: str | None
    title_column: str | None
    max_depth: int = 64


def _at_most(records: Iterator[TableRow | None], limit: int) -> Iterator[TableRow | None]:
    for number, record in enumerate(records, start=1):
        if number > limit:
            raise DocumentParseError(
                f"The table has more than {limit:,} rows, the limit per file; split it and "
                "upload the parts."
            )
        yield record


def nesting_depth(value: Any, limit: int) -> int:
    """How deep lists and objects nest in `value` (walked without recursion), up to `limit`+1."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


# Rows in file order, with None standing for a row skipped because its text is blank.
_RowStream = Iterator[TableRow | None]


def _rebatch(records: _RowStream, batch_size: int) -> Iterator[TableBatch]:
    rows: list[TableRow] = []
    skipped = 0
    for row in records:
        if row is None:
            skipped += 1
            continue
        rows.append(row)
        if len(rows) >= batch_size:
            yield TableBatch(rows, skipped)
            rows, skipped = [], 0
    if rows or skipped:
        yield TableBatch(rows, skipped)


def _cell_text(value: Any) -> str | None:
    """The stripped text of a cell, or None when it is missing or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = (
            json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
        )
    text = normalise_text(value).strip()
    return text or None


# The longest identifier or title kept (the document name and external id columns' size).
NAME_CHARS = 1024


def _make_row(
    number: int,
    text: str,
    metadata: dict[str, Any],
    spec: _RowSpec,
    source: dict[str, Any] | None = None,
) -> TableRow:
    def cell(column: str | None) -> str | None:
        if column is None:
            return None
        value = text if column == spec.text_column else _cell_text(metadata.get(column))
        return value[:NAME_CHARS] if value else value

    return TableRow(number, text, cell(spec.id_column), cell(spec.title_column), metadata, source)


# ----------------------------------------------------------------------------- Arrow (CSV, Parquet)


def _open_parquet(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise DocumentParseError(f"The Parquet file could not be read ({exc}).") from exc


@dataclass(frozen=True, slots=True)
class _CsvDialect:
    encoding: str
    delimiter: str


def _csv_dialect(path: Path, kind: TableKind) -> _CsvDialect:
    encoding = _file_encoding(path)
    if kind is TableKind.TSV:
        return _CsvDialect(encoding, "\t")
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        head = fh.read(_SNIFF_CHARS)
    return _CsvDialect(encoding, sniff_delimiter(head, len(head) == _SNIFF_CHARS) or ",")


def _open_csv(
    path: Path, dialect: _CsvDialect, convert: pacsv.ConvertOptions | None = None
) -> pacsv.CSVStreamingReader:
    # pyarrow skips a UTF-8 BOM itself and transcodes other encodings through Python codecs.
    encoding = "utf8" if dialect.encoding == "utf-8-sig" else dialect.encoding
    try:
        return pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=_READ_CHUNK, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter, newlines_in_values=True),
            convert_options=convert,
        )
    except (pa.ArrowException, OSError) as exc:
        raise DocumentParseError(f"The CSV file could not be read ({exc}).") from exc


def _rows_from_arrow(batches: Iterable[pa.RecordBatch], spec: _RowSpec) -> _RowStream:
    number = 0
    iterator = iter(batches)
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:
            raise DocumentParseError(
                f"The file could not be read past row {number} ({exc})."
            ) from exc
        names = batch.schema.names
        columns = [_json_safe_column(batch.column(i)) for i in range(batch.num_columns)]
        text_index = names.index(spec.text_column)
        texts = columns[text_index]
        other_names = [name for i, name in enumerate(names) if i != text_index]
        others = [values for i, values in enumerate(columns) if i != text_index]
        # zip(*others) would be empty when the text column is the file's only column.
        other_rows = zip(*others, strict=True) if others else itertools.repeat(())
        for raw_text, values in zip(texts, other_rows, strict=bool(others)):
            number += 1
            text = _cell_text(raw_text)
            if text is None:
                yield None
                continue
            yield _make_row(number, text, dict(zip(other_names, values, strict=True)), spec)


def _json_safe_column(array: pa.Array) -> list[Any]:
    """A column as Python values that JSON (and PostgreSQL JSONB) accepts."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        return _json_safe_column(array.dictionary_decode())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        # JSONB cannot store \u0000; the vectorised replace is far cheaper than a Python pass.
        values: list[Any] = pc.replace_substring(array, "\x00", "").to_pylist()
        return values
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_null(kind):
        values = array.to_pylist()
        return values
    return [_json_safe(value) for value in array.to_pylist()]


def _json_safe(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value  # JSONB rejects \u0000
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None  # JSON has no NaN or infinity
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return str(value)


# ------------------------------------------------------------------------------------- Workbooks


@dataclass(slots=True)
class _OpenSheet:
    name: str
    columns: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (the row's number in the sheet, its cells)


def _open_workbook(path: Path, limits: ReadLimits) -> python_calamine.CalamineWorkbook:
    if zipfile.is_zipfile(path):  # .xlsx, .ods: bounded once unzipped, like a .docx
        check_expanded_size(path, "workbook", limits)
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError as exc:
        raise DocumentParseError(PASSWORD_PROTECTED_WORKBOOK) from exc
    except Exception as exc:  # calamine raises zip, XML and format errors alike
        raise DocumentParseError(
            f"The workbook could not be opened; it looks damaged ({exc})."
        ) from exc


def _load_sheet(
    workbook: python_calamine.CalamineWorkbook, name: str
) -> python_calamine.CalamineSheet:
    try:
        return workbook.get_sheet_by_name(name)
    except python_calamine.PasswordError as exc:
        raise DocumentParseError(PASSWORD_PROTECTED_WORKBOOK) from exc
    except Exception as exc:
        raise DocumentParseError(f"The sheet {name!r} could not be read ({exc}).") from exc


def _non_empty_rows(sheet: python_calamine.CalamineSheet) -> Iterator[tuple[int, list[Any]]]:
    """The rows with at least one value, with their 1-based row number in the sheet."""
    first = sheet.start[0] + 1 if sheet.start else 1
    for offset, cells in enumerate(sheet.iter_rows()):
        values = [_sheet_value(value) for value in cells]
        if any(value is not None for value in values):
            yield first + offset, values


def _header(cells: list[Any]) -> list[str]:
    """Column names from the header row: a blank one is named by its letter, a repeated one
    gets a suffix, so every column keeps a distinct key in the metadata."""
    names: list[str] = []
    for index, value in enumerate(cells):
        name = _cell_text(value) or f"column {_column_letter(index)}"
        candidate, copy = name, 1
        while candidate in names:
            copy += 1
            candidate = f"{name} ({copy})"
        names.append(candidate)
    return names


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _sheet_value(value: Any) -> Any:
    """A cell as a JSON-safe value: "" is missing, whole numbers are integers (a workbook
    stores every number as a float), dates ISO (a datetime at midnight is a date; a
    formula's cached value is what calamine returns)."""
    if isinstance(value, str):
        return _json_safe(value) if value != "" else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    return _json_safe(value)


def _open_sheet(path: Path, sheet: str | None, limits: ReadLimits) -> _OpenSheet:
    workbook = _open_workbook(path, limits)
    names = list(workbook.sheet_names)
    if not names:
        raise DocumentParseError("The workbook has no sheets.")
    if sheet is not None and sheet not in names:
        available: dict[str, list[str]] = {}
        for name in names:
            first = next(_non_empty_rows(_load_sheet(workbook, name)), None)
            available[name] = _header(first[1]) if first else []
        raise UnknownSheetError(sheet, available)
    name = sheet if sheet is not None else names[0]
    loaded = _load_sheet(workbook, name)
    if loaded.width > limits.max_table_columns:
        raise DocumentParseError(
            f"The sheet {name!r} has {loaded.width:,} columns; at most "
            f"{limits.max_table_columns:,} are read. Keep the columns you need and upload it "
            "again."
        )
    rows = _non_empty_rows(loaded)
    first_row = next(rows, None)
    if first_row is None:
        raise DocumentParseError(f"The sheet {name!r} is empty.")
    return _OpenSheet(name, _header(first_row[1]), rows)


def _rows_from_sheet(sheet: _OpenSheet, spec: _RowSpec) -> _RowStream:
    """One row per non-empty line under the header; empty lines are not rows (as in CSV)."""
    text_index = sheet.columns.index(spec.text_column)
    width = len(sheet.columns)
    for number, (sheet_row, cells) in enumerate(sheet.rows, start=1):
        cells = (cells + [None] * width)[:width]
        text = _cell_text(cells[text_index])
        if text is None:
            yield None
            continue
        metadata = {
            name: value
            for index, (name, value) in enumerate(zip(sheet.columns, cells, strict=True))
            if index != text_index
        }
        yield _make_row(number, text, metadata, spec, {"sheet": sheet.name, "sheetRow": sheet_row})


# ------------------------------------------------------------------------------- JSON, JSON Lines


def _rows_from_json(records: Iterator[dict[str, Any]], spec: _RowSpec) -> _RowStream:
    for number, record in enumerate(records, start=1):
        if nesting_depth(record, spec.max_depth) > spec.max_depth:
            raise DocumentParseError(
                f"Record {number} nests more than {spec.max_depth} levels deep; CoderAI reads "
                "flatter records."
            )
        text = _cell_text(record.get(spec.text_column))
        if text is None:
            yield None
            continue
        # Values from json are JSON-safe already except for NUL characters, which JSONB rejects.
        metadata = {
            key: _json_safe(value) for key, value in record.items() if key != spec.text_column
        }
        yield _make_row(number, text, metadata, spec)


def _non_finite(constant: str) -> None:
    return None  # NaN, Infinity and -Infinity (accepted by Python's json) become null


_DECODER = json.JSONDecoder(parse_constant=_non_finite)


def _iter_json_records(path: Path, kind: TableKind) -> Iterator[dict[str, Any]]:
    encoding = _file_encoding(path)
    with path.open("r", encoding=encoding, newline=None) as fh:
        if kind is TableKind.JSONL:
            yield from _jsonl_records(fh)
        else:
            yield from _json_array_records(fh)


def _jsonl_records(fh: IO[str]) -> Iterator[dict[str, Any]]:
    for line_number, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            record = _DECODER.decode(line)
        except ValueError as exc:
            raise DocumentParseError(f"Line {line_number} is not valid JSON ({exc}).") from exc
        except RecursionError as exc:
            raise DocumentParseError(
                f"Line {line_number} is nested too deeply to be read."
            ) from exc
        if not isinstance(record, dict):
            raise DocumentParseError(f"Line {line_number} is not a JSON object.")
        yield record


class _JsonArrayReader:
    """Reads `[ {...}, {...} ]` one element at a time, keeping only a bounded buffer in memory."""

    def __init__(self, fh: IO[str]) -> None:
        self._fh = fh
        self._buffer = ""
        self._pos = 0
        self._eof = False

    def _fill(self, at_least: int = _READ_CHUNK) -> bool:
        if self._eof:
            return False
        chunk = self._fh.read(max(at_least, _READ_CHUNK))
        self._eof = not chunk
        self._buffer = self._buffer[self._pos :] + chunk
        self._pos = 0
        return bool(chunk)

    def _next_char(self) -> str:
        """The next non-whitespace character (not consumed), or "" at the end of the file."""
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos].isspace():
                self._pos += 1
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._fill():
                return ""

    def records(self) -> Iterator[dict[str, Any]]:
        if self._next_char() != "[":
            raise DocumentParseError("The JSON file must be an array of records ([{...}, ...]).")
        self._pos += 1
        index = 0
        while True:
            char = self._next_char()
            if char == "]":
                return
            if index:
                if char != ",":
                    raise DocumentParseError(
                        f"The JSON array is malformed after record {index} (expected ',' or ']')."
                    )
                self._pos += 1
                self._next_char()
            index += 1
            record = self._decode_element(index)
            if not isinstance(record, dict):
                raise DocumentParseError(f"Element {index} of the JSON array is not an object.")
            yield record

    def _decode_element(self, index: int) -> Any:
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as exc:
                # Either the element is cut by the buffer's end (read more) or it is invalid.
                if self._fill(at_least=len(self._buffer)):
                    continue
                raise DocumentParseError(
                    f"Record {index} of the JSON array is not valid JSON ({exc.msg})."
                ) from exc
            except (ValueError, RecursionError) as exc:  # e.g. an integer of 5,000 digits
                raise DocumentParseError(
                    f"Record {index} of the JSON array cannot be read ({exc})."
                ) from exc
            self._pos = end
            return value


def _json_array_records(fh: IO[str]) -> Iterator[dict[str, Any]]:
    return _JsonArrayReader(fh).records()


# ------------------------------------------------------------------------------------- Encoding


def _file_encoding(path: Path) -> str:
    """The text encoding of a whole file: its BOM or BOM-less UTF-16, else UTF-8 if every byte
    decodes, else cp1252 (then latin-1), the same order as `document_processor.decode_text`."""
    with path.open("rb") as fh:
        head = fh.read(4096)
        declared = bom_encoding(head[:4]) or utf16_without_bom(head)
        if declared is not None:
            return declared
        fh.seek(0)
        # Validate incrementally so a large file is never held in memory at once.
        for encoding in ("utf-8", "cp1252"):
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                for chunk in iter(lambda: fh.read(_READ_CHUNK), b""):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
                return encoding
            except UnicodeDecodeError:
                fh.seek(0)
    return "latin-1"


__all__ = [
    "TableBatch",
    "TableRow",
    "UnknownColumnError",
    "UnknownSheetError",
    "inspect_table",
    "iter_table_rows",
]
