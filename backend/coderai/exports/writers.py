"""Write an export frame as CSV, Excel, JSON, Parquet or Stata with pandas, pyarrow and
openpyxl. Blocking: call from a thread."""

from __future__ import annotations

import json
import re
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from pandas.io.stata import StataWriterUTF8  # type: ignore[attr-defined]

from coderai.exports.codebook import STATA_MISSING, codebook_sheets, reliability_sheet
from coderai.exports.frames import ExportFrame
from coderai.models.enums import VariableType

# A spreadsheet reads a cell starting with one of these as a formula (or a DDE payload).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
_EXCEL_MAX_CELL = 32_767
_MAX_WIDTH = 60


def _is_text(series: pd.Series) -> bool:
    # For object columns pandas looks at the values: dates as objects are not text.
    return bool(pd.api.types.is_string_dtype(series))


# Before the first character is tested: compatibility forms folded (NFKC: the full-width
# equals sign U+FF1D is "="), then leading whitespace and quotes dropped, as spreadsheets do.
_LEADING = " \t\r\n\"'"


def is_formula(value: str) -> bool:
    """Would a spreadsheet run this text as a formula (or DDE payload)?"""
    if value.startswith(("\t", "\r")):
        return True
    normal = unicodedata.normalize("NFKC", value).lstrip().lstrip(_LEADING).lstrip()
    return normal[:1] in FORMULA_PREFIXES


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells (and column headers) that a spreadsheet would execute with a single
    quote; numbers, dates and booleans are left alone (a negative number is not a formula)."""
    changed: dict[str, pd.Series] = {}
    for name in frame.columns:
        series = frame[name]
        if not _is_text(series):
            continue
        risky = series.map(lambda v: isinstance(v, str) and is_formula(v)).astype(bool)
        if risky.any():
            changed[name] = series.where(~risky, "'" + series.astype("str"))
    frame = frame.assign(**changed) if changed else frame
    headers = {n: f"'{n}" for n in frame.columns if isinstance(n, str) and is_formula(n)}
    return frame.rename(columns=headers) if headers else frame


def _date_columns(export: ExportFrame) -> list[str]:
    return [c.name for c in export.columns if c.kind == "date"]


# ----------------------------------------------------------------------------- Arrow-based


def _arrow_table(export: ExportFrame) -> pa.Table:
    """The frame as an Arrow table with full-day dates as date32."""
    table = pa.Table.from_pandas(export.frame, preserve_index=False)
    for name in _date_columns(export):
        index = table.schema.get_field_index(name)
        column = pc.cast(table.column(index), pa.date32())
        table = table.set_column(index, pa.field(name, pa.date32()), column)
    return table


def _risky_arrow(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """`is_formula` over a column, vectorised."""
    normal = pc.utf8_normalize(column, form="NFKC")
    trimmed = pc.utf8_ltrim_whitespace(pc.utf8_ltrim(pc.utf8_ltrim_whitespace(normal), _LEADING))
    return pc.or_(
        pc.match_substring_regex(trimmed, r"^[=+\-@]"),
        pc.match_substring_regex(column, r"^[\t\r]"),
    )


def _neutralise_arrow(table: pa.Table) -> pa.Table:
    names = [f"'{n}" if is_formula(n) else n for n in table.schema.names]
    if names != table.schema.names:
        table = table.rename_columns(names)
    for index, column_field in enumerate(table.schema):
        kind = column_field.type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            continue
        column = table.column(index)
        risky = pc.fill_null(_risky_arrow(column), False)
        if pc.any(risky).as_py():
            quote, nothing = pa.scalar("'", kind), pa.scalar("", kind)
            quoted = pc.binary_join_element_wise(quote, column, nothing)
            table = table.set_column(index, column_field, pc.if_else(risky, quoted, column))
    return table


def write_csv(export: ExportFrame, path: Path) -> None:
    """UTF-8 CSV written by Arrow: an empty cell is a missing value, "" an empty text."""
    table = _neutralise_arrow(_arrow_table(export))
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def write_parquet(export: ExportFrame, path: Path, codebook: dict[str, Any]) -> None:
    """Typed columns (dates as date32) with the codebook in the file's key-value metadata."""
    table = _arrow_table(export)
    metadata = dict(table.schema.metadata or {})
    metadata[b"coderai.codebook"] = json.dumps(codebook, default=str).encode()
    pq.write_table(table.replace_schema_metadata(metadata), path)


def write_json(export: ExportFrame, path: Path, codebook: dict[str, Any]) -> None:
    """One self-describing document: `{"codebook": {...}, "data": [records]}`."""
    frame = export.frame
    dates = _date_columns(export)
    if dates:
        frame = frame.assign(**{name: frame[name].dt.strftime("%Y-%m-%d") for name in dates})
    data = frame.to_json(orient="records", force_ascii=False, double_precision=15)
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"codebook": ')
        json.dump(codebook, handle, ensure_ascii=False, default=str)
        handle.write(', "data": ')
        handle.write(data or "[]")
        handle.write("}\n")


# ----------------------------------------------------------------------------- Excel


def _for_excel(frame: pd.DataFrame) -> pd.DataFrame:
    changed: dict[str, pd.Series] = {}
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            # Date objects get pandas' day format (its datetime format option is ignored).
            changed[name] = series.dt.date
        elif _is_text(series):
            # openpyxl refuses control characters; Excel truncates nothing silently, we do.
            cleaned = series.str.replace(ILLEGAL_CHARACTERS_RE, "", regex=True).str.slice(
                0, _EXCEL_MAX_CELL
            )
            changed[name] = cleaned
    return neutralise_formulas(frame.assign(**changed) if changed else frame)


def _width(series: pd.Series, header: str) -> float:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        body = 10
    elif _is_text(series):
        sample = series.head(500).dropna().astype("str").str.len()
        body = int(sample.quantile(0.9)) if not sample.empty else 0
    else:
        body = 12
    return float(min(max(len(header), body) + 2, _MAX_WIDTH))


def _style_sheet(sheet: Worksheet, frame: pd.DataFrame, wrap: bool = False) -> None:
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for i, name in enumerate(frame.columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = _width(frame[name], str(name))
    if wrap:
        alignment = Alignment(wrap_text=True, vertical="top")
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = alignment


def write_excel(export: ExportFrame, path: Path, codebook: dict[str, Any]) -> None:
    """Sheets Data (bold frozen header, real dates), Codebook, Quality and, when the job has
    reliability studies, Reliability."""
    data = _for_excel(export.frame)
    context, variables, quality = codebook_sheets(codebook)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        data.to_excel(writer, sheet_name="Data", index=False, freeze_panes=(1, export.key_columns))
        sheet = writer.sheets["Data"]
        _style_sheet(sheet, data)
        sheet.auto_filter.ref = sheet.dimensions
        context = _for_excel(context)
        variables = _for_excel(variables)
        context.to_excel(writer, sheet_name="Codebook", index=False)
        start = len(context) + 2
        variables.to_excel(writer, sheet_name="Codebook", index=False, startrow=start)
        book = writer.sheets["Codebook"]
        _style_sheet(book, variables, wrap=True)
        for cell in book[start + 1]:
            cell.font = Font(bold=True)
        book.freeze_panes = "B1"
        quality.to_excel(writer, sheet_name="Quality", index=False, freeze_panes=(1, 1))
        _style_sheet(writer.sheets["Quality"], quality)
        reliability = reliability_sheet(codebook)
        if reliability is not None:
            reliability = _for_excel(reliability)
            reliability.to_excel(writer, sheet_name="Reliability", index=False, freeze_panes=(1, 4))
            _style_sheet(writer.sheets["Reliability"], reliability)


# ----------------------------------------------------------------------------- Stata

_STATA_RESERVED = frozenset(
    ("_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long",
     "_n", "_N", "_pi", "_pred", "_rc", "_skip", "strL", "using", "with")
)  # fmt: skip
_STATA_INT_MISSING = {"int8": 101, "int16": 32741, "int32": 2147483621}
_STATA_LABEL = 80
_STATA_NAME = 32


def _stata_base(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9_]", "_", ascii_name) or "v"
    if base[0].isdigit():
        base = "v" + base
    base = base[:_STATA_NAME]
    if base in _STATA_RESERVED or re.fullmatch(r"str\d+", base):
        base = base[: _STATA_NAME - 1] + "_"
    return base


def stata_names(columns: list[str]) -> dict[str, str]:
    """Valid, distinct Stata names (≤32 ASCII characters) for the given columns, in order."""
    taken: set[str] = set()
    names: dict[str, str] = {}
    for column in columns:
        base = candidate = _stata_base(column)
        n = 1
        while candidate in taken:
            n += 1
            suffix = f"_{n}"
            candidate = base[: _STATA_NAME - len(suffix)] + suffix
        taken.add(candidate)
        names[column] = candidate
    return names


@dataclass
class StataPlan:
    names: dict[str, str]  # column -> Stata name
    value_labels: dict[str, dict[int, str]]  # Stata name -> code -> label
    frame: pd.DataFrame  # renamed, with categories coded and booleans as 0/1
    dates: list[str]  # Stata names of date columns
    labels: dict[str, str]  # Stata name -> variable label
    missing: dict[str, list[tuple[int, np.ndarray]]]  # Stata name -> (letter, rows)


def _category_codes(series: pd.Series, categories: list[str]) -> tuple[pd.Series, dict[int, str]]:
    codes = {value: i + 1 for i, value in enumerate(categories)}
    # Values outside the list (allowOther) get codes after the defined categories.
    for value in series.dropna().unique():
        codes.setdefault(str(value), len(codes) + 1)
    coded = series.map(codes).astype("Int32")
    return coded, {code: value for value, code in codes.items()}


def plan_stata(export: ExportFrame) -> StataPlan:
    """Stata names, value labels and extended missing values for an export frame."""
    frame = export.frame
    names = stata_names([str(c) for c in frame.columns])
    types = {v.name: v for v in export.grid.variables}
    converted: dict[str, Any] = {}
    value_labels: dict[str, dict[int, str]] = {}
    missing: dict[str, list[tuple[int, np.ndarray]]] = {}
    letters = {status: ord(code[1]) - ord("a") + 1 for status, code in STATA_MISSING.items()}
    for spec in export.columns:
        series = frame[spec.name]
        stata = names[spec.name]
        variable = types.get(spec.variable or "")
        numeric = spec.kind in ("integer", "number", "date", "boolean")
        if spec.kind == "boolean":
            series = series.astype("Int8")
            if spec.role == "value":
                value_labels[stata] = {0: "no", 1: "yes"}
        elif (
            spec.role == "value" and variable is not None and variable.type is VariableType.CATEGORY
        ):
            series, value_labels[stata] = _category_codes(
                series, [str(c.get("value")) for c in variable.categories]
            )
            numeric = True
        elif spec.kind == "string":
            # A column with no value at all has no type pandas could write.
            series = series.astype(object).where(series.notna(), "")
        converted[stata] = series
        if numeric and spec.status_column is not None:
            status = frame[spec.status_column].to_numpy(dtype=object)
            missing[stata] = [
                (letter, rows) for code, letter in letters.items() if (rows := status == code).any()
            ]
    labels = {names[c.name]: c.label[:_STATA_LABEL] for c in export.columns}
    dates = [names[c.name] for c in export.columns if c.kind == "date"]
    stata_frame = pd.DataFrame(converted, index=frame.index)
    return StataPlan(names, value_labels, stata_frame, dates, labels, missing)


def _extended_missing(dtype: np.dtype[Any], letter: int) -> float | int:
    """The stored value of Stata's missing `.a`…`.z` (letter 1…26) for a storage type."""
    if dtype.name == "float64":
        bits = 0x7FE0000000000000 + (letter << 40)
        return float(struct.unpack("<d", struct.pack("<q", bits))[0])
    if dtype.name == "float32":
        bits32 = 0x7F000000 + (letter << 11)
        return float(struct.unpack("<f", struct.pack("<i", bits32))[0])
    return _STATA_INT_MISSING[dtype.name] + letter


class _ExtendedMissingWriter(StataWriterUTF8):  # type: ignore[misc]
    """pandas writes only the system missing value `.`; this puts `.a`…`.d` in place
    after pandas has chosen each column's storage type."""

    def __init__(
        self, *args: Any, extended: dict[str, list[tuple[int, np.ndarray]]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._extended = extended

    def _prepare_data(self) -> np.recarray:
        records: np.recarray = super()._prepare_data()
        for name, codes in self._extended.items():
            column = records[name]
            for letter, rows in codes:
                column[rows] = _extended_missing(column.dtype, letter)
        return records


def write_stata(plan: StataPlan, path: Path, data_label: str) -> None:
    """A Stata 14+ (format 118, unicode) file with variable and value labels."""
    writer = _ExtendedMissingWriter(
        path,
        plan.frame,
        convert_dates=dict.fromkeys(plan.dates, "td"),
        write_index=False,
        data_label=data_label[:_STATA_LABEL],
        variable_labels=plan.labels,
        value_labels=plan.value_labels,
        version=118,
        extended=plan.missing,
    )
    writer.write_file()
