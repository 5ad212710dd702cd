"""Build the export DataFrames (wide and long) from a job's extractions, free of I/O.

Every (row, variable) cell gets exactly one status, so wide and long tell the same story:
OK, NOT_FOUND (the model answered "absent"), BELOW_THRESHOLD (confidence under the export's
minConfidence, or withheld by the variable's own threshold), DOCUMENT_FAILED (the job item
failed, so there is no answer at all) or NOT_PROCESSED (the job never reached the document).
"""

from __future__ import annotations

import dataclasses
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import pandas as pd

from coderai.models.enums import JobItemStatus, ObservationMode, VariableType, Verdict
from coderai.schemas.export import ExportLayout
from coderai.schemas.variable_config import ClassificationRules, ValidationRules
from coderai.services.coercion import VALUE_WITHHELD, coerce_value, display_of

OK = "OK"
NOT_FOUND = "NOT_FOUND"
BELOW_THRESHOLD = "BELOW_THRESHOLD"
DOCUMENT_FAILED = "DOCUMENT_FAILED"
NOT_PROCESSED = "NOT_PROCESSED"
MISSING_STATUSES = (NOT_FOUND, BELOW_THRESHOLD, DOCUMENT_FAILED, NOT_PROCESSED)

_FULL_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class PromptSpec:
    id: uuid.UUID
    version: int
    content_hash: str
    origin: str
    llm_config: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class VariableSpec:
    id: uuid.UUID
    name: str
    display_name: str | None
    description: str | None
    type: VariableType
    instructions: str
    classification_rules: dict[str, Any] | None
    validation_rules: dict[str, Any] | None
    uncertainty_handling: dict[str, Any]
    prompt: PromptSpec | None

    @property
    def label(self) -> str:
        return self.display_name or self.name

    @property
    def categories(self) -> list[dict[str, Any]]:
        rules = self.classification_rules or {}
        return [c for c in rules.get("categories", []) if isinstance(c, dict)]

    @property
    def multi_value(self) -> bool:
        return bool(self.uncertainty_handling.get("ifMultipleValues") == "ALL")


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """One document of the job, with its item's outcome and its own metadata columns."""

    document_id: uuid.UUID
    name: str
    item_status: JobItemStatus
    metadata: dict[str, Any]


class ExtractionRow(NamedTuple):
    id: uuid.UUID
    document_id: uuid.UUID
    variable_id: uuid.UUID
    entity_index: int
    entity_key: str | None
    value: Any
    unit: str | None
    confidence: float | None
    source_text: str | None
    page: int | None
    grounding: str
    flags: list[str] | None
    needs_review: bool
    prompt_version: int | None
    verdict: Verdict | None
    corrected_value: Any


@dataclass(frozen=True, slots=True)
class FrameOptions:
    layout: ExportLayout
    mode: ObservationMode
    include_confidence: bool = True
    include_source_text: bool = False
    min_confidence: float | None = None


# ----------------------------------------------------------------------------- cells


@dataclass(slots=True)
class Cell:
    """The exported answer for one variable of one row, after corrections and the threshold."""

    row: int
    var: int
    value: Any
    status: str
    corrected: bool = False
    extraction: ExtractionRow | None = None


@dataclass
class Cells:
    """All cells of an export and the rows they sit in (documents, or entities in documents)."""

    variables: list[VariableSpec]
    units: list[UnitSpec]
    row_units: list[int]  # row -> index in units
    row_entities: list[tuple[int | None, str | None]]  # row -> (entity index, entity key)
    grid: list[list[Cell]]  # [variable][row]
    corrections_applied: int = 0


def _missing_status(item_status: JobItemStatus) -> str:
    if item_status is JobItemStatus.FAILED:
        return DOCUMENT_FAILED
    if item_status is JobItemStatus.DONE:
        return NOT_FOUND
    return NOT_PROCESSED


def _corrected(row: ExtractionRow, variable: VariableSpec) -> tuple[Any, bool]:
    """The reviewer's value when a current verdict corrects or confirms the model's answer."""
    if row.verdict is None:
        return row.value, False
    if row.corrected_value is not None:
        rules = variable.classification_rules
        checks = variable.validation_rules
        coerced = coerce_value(
            row.corrected_value,
            variable.type,
            classification=ClassificationRules.model_validate(rules) if rules else None,
            validation=ValidationRules.model_validate(checks) if checks else None,
        )
        # A correction that cannot be read as the variable's type cannot go in a typed column.
        if coerced.value is not None:
            return coerced.value, True
    return row.value, row.verdict is Verdict.CORRECT


def _resolved(
    row: ExtractionRow, variable: VariableSpec, min_confidence: float | None
) -> tuple[Any, str, bool]:
    value, corrected = _corrected(row, variable)
    if isinstance(value, list) and not value:
        value = None
    if value is None:
        # The engine withholds low-confidence answers under LEAVE_EMPTY: not an absence.
        withheld = row.flags is not None and VALUE_WITHHELD in row.flags
        return None, BELOW_THRESHOLD if withheld else NOT_FOUND, corrected
    # A reviewer's verdict outranks the model's own confidence.
    if (
        min_confidence is not None
        and not corrected
        and (row.confidence is None or row.confidence < min_confidence)
    ):
        return None, BELOW_THRESHOLD, False
    return value, OK, corrected


def resolve_cells(
    variables: list[VariableSpec],
    units: list[UnitSpec],
    extractions: Sequence[ExtractionRow],
    options: FrameOptions,
) -> Cells:
    """Place every extraction in its row and fill the cells nobody answered with a status."""
    var_index = {v.id: i for i, v in enumerate(variables)}
    unit_index = {u.document_id: i for i, u in enumerate(units)}
    entity_mode = options.mode is ObservationMode.ENTITY
    placed: list[tuple[int, int, int, ExtractionRow]] = []
    entities: dict[int, dict[int, str | None]] = {}
    for row in extractions:
        vi = var_index.get(row.variable_id)
        ui = unit_index.get(row.document_id)
        if vi is None or ui is None:
            continue
        entity = row.entity_index if entity_mode else 0
        keys = entities.setdefault(ui, {})
        if keys.get(entity) is None:
            keys[entity] = row.entity_key
        placed.append((ui, entity, vi, row))

    row_units: list[int] = []
    row_entities: list[tuple[int | None, str | None]] = []
    row_of: dict[tuple[int, int], int] = {}
    for ui in range(len(units)):
        found = entities.get(ui)
        if not found:
            # A document with no answer keeps its row, so failures stay visible.
            row_units.append(ui)
            row_entities.append((None, None) if entity_mode else (0, None))
            row_of[(ui, 0)] = len(row_units) - 1
            continue
        for entity in sorted(found):
            row_of[(ui, entity)] = len(row_units)
            row_units.append(ui)
            row_entities.append((entity, found[entity]))

    n_rows = len(row_units)
    grid: list[list[Cell | None]] = [[None] * n_rows for _ in variables]
    corrections = 0
    for ui, entity, vi, extraction in placed:
        r = row_of[(ui, entity)]
        if grid[vi][r] is not None:
            continue  # document mode with several entity rows: the first answer wins
        value, status, corrected = _resolved(extraction, variables[vi], options.min_confidence)
        corrections += corrected
        grid[vi][r] = Cell(r, vi, value, status, corrected, extraction)
    statuses = [_missing_status(units[ui].item_status) for ui in row_units]
    filled: list[list[Cell]] = [
        [cell or Cell(r, vi, None, statuses[r]) for r, cell in enumerate(column)]
        for vi, column in enumerate(grid)
    ]
    return Cells(variables, units, row_units, row_entities, filled, corrections)


# ----------------------------------------------------------------------------- columns


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of the exported table and what it means (feeds the codebook and Stata)."""

    name: str
    role: str  # id | entity | value | status | corrected | confidence | source | metadata | …
    kind: str  # string | integer | number | date | boolean
    label: str
    variable: str | None = None
    status_column: str | None = None  # the status that explains this column's missing values
    value_index: int | None = None


@dataclass
class ExportFrame:
    frame: pd.DataFrame
    columns: list[ColumnSpec]
    key_columns: int  # leading identifier columns (frozen in Excel)
    cells: Cells
    meta_columns: dict[str, str] = field(default_factory=dict)  # column -> metadata key


class _Builder:
    """Collects columns with unique names, in order."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.specs: list[ColumnSpec] = []

    def unique(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self.data:
            n += 1
            candidate = f"{name}_{n}"
        return candidate

    def add(self, spec: ColumnSpec, values: Any) -> str:
        name = self.unique(spec.name)
        if name != spec.name:
            spec = dataclasses.replace(spec, name=name)
        self.data[name] = values
        self.specs.append(spec)
        return name

    def frame(self, n_rows: int) -> pd.DataFrame:
        return pd.DataFrame(self.data, index=pd.RangeIndex(n_rows))


def _strings(values: list[Any]) -> pd.Series:
    return pd.Series(values, dtype="str")


def _number_column(values: list[Any]) -> tuple[pd.Series, str]:
    numbers = pd.to_numeric(
        pd.Series([None if isinstance(v, bool) else v for v in values], dtype=object),
        errors="coerce",
    ).astype("float64")
    present = numbers.dropna()
    # Counts stay integers (Stata long, Parquet int64); any fraction makes the column real.
    if not present.empty and (present % 1 == 0).all() and present.abs().max() < 2**53:
        return numbers.astype("Int64"), "integer"
    return numbers, "number"


def _typed_column(values: list[Any], kind: VariableType, full_days: bool) -> tuple[pd.Series, str]:
    if kind is VariableType.NUMBER:
        return _number_column(values)
    if kind is VariableType.BOOLEAN:
        flags = [v if isinstance(v, bool) else None for v in values]
        return pd.Series(pd.array(flags, dtype="boolean")), "boolean"
    if kind is VariableType.DATE and full_days:
        dates = pd.to_datetime(pd.Series(values, dtype=object), format="%Y-%m-%d", errors="coerce")
        return dates.astype("datetime64[s]"), "date"
    return _strings([None if v is None else display_of(v) for v in values]), "string"


def _all_full_days(values: list[Any]) -> bool:
    """A DATE variable is a real date column only when every answer gives the day."""
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, str) and _FULL_DAY.match(v) for v in present)


def _meta_columns(units: list[UnitSpec]) -> dict[str, list[Any]]:
    keys: set[str] = set()
    for unit in units:
        keys.update(unit.metadata)
    # JSONB does not keep the source file's column order, so the order is alphabetical.
    return {key: [unit.metadata.get(key) for unit in units] for key in sorted(keys)}


def _meta_series(values: list[Any]) -> tuple[pd.Series, str]:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.Series(pd.array(values, dtype="boolean")), "boolean"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return _number_column(values)
    return _strings([None if v is None else display_of(v) for v in values]), "string"


def _add_meta(builder: _Builder, cells: Cells, rows: list[int]) -> dict[str, str]:
    names: dict[str, str] = {}
    for key, per_unit in _meta_columns(cells.units).items():
        series, kind = _meta_series([per_unit[ui] for ui in rows])
        name = builder.add(ColumnSpec(f"meta_{key}", "metadata", kind, str(key)), series.values)
        names[name] = key
    return names


def _add_keys(builder: _Builder, cells: Cells, rows: list[int], entity_rows: list[int]) -> None:
    units = cells.units
    builder.add(
        ColumnSpec("document_id", "id", "string", "Document id"),
        _strings([str(units[ui].document_id) for ui in rows]),
    )
    builder.add(
        ColumnSpec("document_name", "id", "string", "Document name"),
        _strings([units[ui].name for ui in rows]),
    )
    if entity_rows:
        entities = [cells.row_entities[r] for r in entity_rows]
        builder.add(
            ColumnSpec("entity_index", "entity", "integer", "Entity index within the document"),
            pd.array([e[0] for e in entities], dtype="Int64"),
        )
        builder.add(
            ColumnSpec("entity_key", "entity", "string", "Entity identifier"),
            _strings([e[1] for e in entities]),
        )


def to_wide_frame(cells: Cells, options: FrameOptions) -> ExportFrame:
    """One row per document (or entity); per variable its value(s) and companion columns."""
    n_rows = len(cells.row_units)
    builder = _Builder()
    entity_rows = list(range(n_rows)) if options.mode is ObservationMode.ENTITY else []
    _add_keys(builder, cells, cells.row_units, entity_rows)
    key_columns = len(builder.specs)
    for variable, column in zip(cells.variables, cells.grid, strict=True):
        _add_wide_variable(builder, variable, column, options)
    meta = _add_meta(builder, cells, cells.row_units)
    return ExportFrame(builder.frame(n_rows), builder.specs, key_columns, cells, meta)


def _companion(variable: VariableSpec, suffix: str, kind: str, label: str) -> ColumnSpec:
    return ColumnSpec(
        f"{variable.name}_{suffix}", suffix, kind, f"{variable.label}: {label}", variable.name
    )


def _add_wide_variable(
    builder: _Builder, variable: VariableSpec, column: list[Cell], options: FrameOptions
) -> None:
    values = [cell.value for cell in column]
    status_name = builder.unique(f"{variable.name}_status")
    if variable.multi_value or any(isinstance(v, list) for v in values):
        lists = [v if isinstance(v, list) else ([] if v is None else [v]) for v in values]
        width = max((len(v) for v in lists), default=0) or 1
        full_days = variable.type is VariableType.DATE and _all_full_days(
            [x for v in lists for x in v]
        )
        for i in range(1, width + 1):
            nth = [v[i - 1] if i <= len(v) else None for v in lists]
            series, kind = _typed_column(nth, variable.type, full_days)
            label = f"{variable.label} ({i})"
            spec = ColumnSpec(
                f"{variable.name}_{i}", "value", kind, label, variable.name, status_name, i
            )
            builder.add(spec, series.values)
    else:
        full_days = variable.type is VariableType.DATE and _all_full_days(values)
        series, kind = _typed_column(values, variable.type, full_days)
        spec = ColumnSpec(variable.name, "value", kind, variable.label, variable.name, status_name)
        builder.add(spec, series.values)
    extractions = [cell.extraction for cell in column]
    builder.add(
        _companion(variable, "status", "string", "status"),
        _strings([cell.status for cell in column]),
    )
    builder.add(
        _companion(variable, "corrected", "boolean", "set or confirmed by a reviewer"),
        pd.array([cell.corrected for cell in column], dtype="boolean"),
    )
    if options.include_confidence:
        builder.add(
            _companion(variable, "confidence", "number", "confidence"),
            _floats([e.confidence if e else None for e in extractions]),
        )
    if options.include_source_text:
        builder.add(
            _companion(variable, "source", "string", "quote from the document"),
            _strings([e.source_text if e else None for e in extractions]),
        )


def _floats(values: list[float | None]) -> pd.Series:
    return pd.Series([math.nan if v is None else v for v in values], dtype="float64")


def to_long_frame(cells: Cells, options: FrameOptions) -> ExportFrame:
    """One row per value: an extraction (one row per element of a list answer), or a
    (row, variable) pair with no answer, carrying its missing status."""
    variables = cells.variables
    rows: list[int] = []
    var_of: list[int] = []
    value_index: list[int] = []
    chosen: list[Cell] = []
    items: list[Any] = []
    for r in range(len(cells.row_units)):
        for vi in range(len(variables)):
            cell = cells.grid[vi][r]
            values = cell.value if isinstance(cell.value, list) else [cell.value]
            for i, item in enumerate(values, start=1):
                rows.append(r)
                var_of.append(vi)
                value_index.append(i)
                chosen.append(cell)
                items.append(item)

    builder = _Builder()
    units = [cells.row_units[r] for r in rows]
    _add_keys(builder, cells, units, rows if options.mode is ObservationMode.ENTITY else [])
    key_columns = len(builder.specs)
    found = [cell.extraction for cell in chosen]
    numbers = [
        item if variables[vi].type is VariableType.NUMBER else None
        for vi, item in zip(var_of, items, strict=True)
    ]
    columns: list[tuple[ColumnSpec, Any]] = [
        (
            ColumnSpec("variable", "variable", "string", "Variable name"),
            _strings([variables[vi].name for vi in var_of]),
        ),
        (
            ColumnSpec("variable_type", "variable_type", "string", "Variable type"),
            _strings([variables[vi].type.value for vi in var_of]),
        ),
        (
            ColumnSpec("value_index", "value_index", "integer", "Position in a list answer"),
            pd.array(value_index, dtype="Int64"),
        ),
        (
            ColumnSpec("value", "value", "string", "Value (text form)", None, "status"),
            _strings([None if item is None else display_of(item) for item in items]),
        ),
        (
            ColumnSpec("value_number", "value", "number", "Value if NUMBER", None, "status"),
            _number_column(numbers)[0].astype("float64"),
        ),
        (
            ColumnSpec("unit", "unit", "string", "Unit of the number"),
            _strings([e.unit if e else None for e in found]),
        ),
    ]
    if options.include_confidence:
        spec = ColumnSpec("confidence", "confidence", "number", "Model confidence (0-1)")
        columns.append((spec, _floats([e.confidence if e else None for e in found])))
    if options.include_source_text:
        spec = ColumnSpec("quote", "source", "string", "Quote from the document")
        columns.append((spec, _strings([e.source_text if e else None for e in found])))
    columns += [
        (
            ColumnSpec("page", "page", "integer", "Page of the quote"),
            pd.array([e.page if e else None for e in found], dtype="Int64"),
        ),
        (
            ColumnSpec("grounding", "grounding", "string", "How the quote was found"),
            _strings([e.grounding if e else None for e in found]),
        ),
        (
            ColumnSpec("flags", "flags", "string", "Post-processing flags"),
            _strings(["; ".join(e.flags) if e and e.flags else None for e in found]),
        ),
        (
            ColumnSpec("needs_review", "needs_review", "boolean", "Flagged for review"),
            pd.array([e.needs_review if e else None for e in found], dtype="boolean"),
        ),
        (
            ColumnSpec("prompt_version", "prompt_version", "integer", "Prompt version"),
            pd.array([e.prompt_version if e else None for e in found], dtype="Int64"),
        ),
        (
            ColumnSpec("status", "status", "string", "Status of the value"),
            _strings([cell.status for cell in chosen]),
        ),
        (
            ColumnSpec("corrected", "corrected", "boolean", "Set or confirmed by a reviewer"),
            pd.array([cell.corrected for cell in chosen], dtype="boolean"),
        ),
    ]
    for spec, values in columns:
        builder.add(spec, values)
    meta = _add_meta(builder, cells, units)
    return ExportFrame(builder.frame(len(rows)), builder.specs, key_columns, cells, meta)


def build_frame(cells: Cells, options: FrameOptions) -> ExportFrame:
    """The frame of the requested layout."""
    if options.layout is ExportLayout.LONG:
        return to_long_frame(cells, options)
    return to_wide_frame(cells, options)
