"""Turn the export grid into the DataFrame of a layout: WIDE (one row per document or entity,
variables as columns with companions) or LONG (one row per value). Real types throughout:
numbers numeric, full-day dates as dates, booleans boolean."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coderai.exports.grid import OUT_OF_LIST, FrameOptions, Grid, VariableSpec
from coderai.exports.schemas import ExportLayout
from coderai.extraction.coercion.values import display_of
from coderai.models.enums import ObservationMode, VariableType

_FULL_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
    grid: Grid
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
        return pd.DataFrame(self.data, index=pd.RangeIndex(n_rows), copy=False)


# ----------------------------------------------------------------------------- typed columns


def _strings(values: Any) -> pd.Series:
    return pd.Series(values, dtype="str")


def _floats(values: Any) -> pd.Series:
    return pd.Series(pd.array(values, dtype="Float64")).astype("float64")


def _number_column(values: Any) -> tuple[pd.Series, str]:
    # JSON true is not the number 1.
    objects = pd.Series([None if isinstance(v, bool) else v for v in values], dtype=object)
    numbers = pd.to_numeric(objects, errors="coerce").astype("float64")
    present = numbers.dropna()
    # Counts stay integers (Stata long, Parquet int64); any fraction makes the column real.
    if not present.empty and (present % 1 == 0).all() and present.abs().max() < 2**53:
        return numbers.astype("Int64"), "integer"
    return numbers, "number"


def _typed_column(values: Any, kind: VariableType, full_days: bool) -> tuple[pd.Series, str]:
    if kind is VariableType.NUMBER:
        return _number_column(values)
    if kind is VariableType.BOOLEAN:
        flags = [v if isinstance(v, bool) else None for v in values]
        return pd.Series(pd.array(flags, dtype="boolean")), "boolean"
    if kind is VariableType.DATE and full_days:
        dates = pd.to_datetime(pd.Series(values, dtype=object), format="%Y-%m-%d", errors="coerce")
        return dates.astype("datetime64[s]"), "date"
    texts = [v if v is None or isinstance(v, str) else display_of(v) for v in values]
    return _strings(texts), "string"


def _all_full_days(values: Any) -> bool:
    """A DATE variable is a real date column only when every answer gives the day."""
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, str) and _FULL_DAY.match(v) for v in present)


# ----------------------------------------------------------------------------- shared parts


def _meta_series(values: list[Any]) -> tuple[pd.Series, str]:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.Series(pd.array(values, dtype="boolean")), "boolean"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return _number_column(values)
    return _strings([None if v is None else display_of(v) for v in values]), "string"


def _add_meta(builder: _Builder, grid: Grid, units: np.ndarray) -> dict[str, str]:
    keys: set[str] = set()
    for unit in grid.units:
        keys.update(unit.metadata)
    names: dict[str, str] = {}
    # JSONB does not keep the source file's column order, so the order is alphabetical.
    for key in sorted(keys):
        per_unit = np.array([u.metadata.get(key) for u in grid.units], dtype=object)
        series, kind = _meta_series(list(per_unit[units]))
        name = builder.add(ColumnSpec(f"meta_{key}", "metadata", kind, key), series.values)
        names[name] = key
    return names


def _add_keys(builder: _Builder, grid: Grid, rows: np.ndarray, entity_mode: bool) -> None:
    units = grid.row_unit[rows]
    ids = np.array([str(u.document_id) for u in grid.units], dtype=object)
    names = np.array([u.name for u in grid.units], dtype=object)
    builder.add(ColumnSpec("document_id", "id", "string", "Document id"), _strings(ids[units]))
    builder.add(
        ColumnSpec("document_name", "id", "string", "Document name"), _strings(names[units])
    )
    if entity_mode:
        entity = np.array(grid.row_entity, dtype=object)[rows]
        keys = np.array(grid.row_entity_key, dtype=object)[rows]
        builder.add(
            ColumnSpec("entity_index", "entity", "integer", "Entity index within the document"),
            pd.array(entity, dtype="Int64"),
        )
        builder.add(ColumnSpec("entity_key", "entity", "string", "Entity identifier"), keys)


# ----------------------------------------------------------------------------- wide


def to_wide_frame(grid: Grid, options: FrameOptions) -> ExportFrame:
    """One row per document (or entity); per variable its value(s) and companion columns."""
    builder = _Builder()
    rows = np.arange(grid.n_rows)
    _add_keys(builder, grid, rows, options.mode is ObservationMode.ENTITY)
    key_columns = len(builder.specs)
    for var, variable in enumerate(grid.variables):
        _add_wide_variable(builder, grid, var, variable, options)
    meta = _add_meta(builder, grid, grid.row_unit)
    return ExportFrame(builder.frame(grid.n_rows), builder.specs, key_columns, grid, meta)


def _companion(variable: VariableSpec, suffix: str, kind: str, label: str) -> ColumnSpec:
    return ColumnSpec(
        f"{variable.name}_{suffix}", suffix, kind, f"{variable.label}: {label}", variable.name
    )


def _add_wide_variable(
    builder: _Builder,
    grid: Grid,
    var: int,
    variable: VariableSpec,
    options: FrameOptions,
) -> None:
    values = grid.value[:, var]
    status_name = builder.unique(f"{variable.name}_status")
    is_date = variable.type is VariableType.DATE
    if variable.multi_value or var in grid.list_variables:
        lists = [v if isinstance(v, list) else ([] if v is None else [v]) for v in values]
        width = max((len(v) for v in lists), default=0) or 1
        full_days = is_date and _all_full_days([x for v in lists for x in v])
        for i in range(1, width + 1):
            nth = [v[i - 1] if i <= len(v) else None for v in lists]
            series, kind = _typed_column(nth, variable.type, full_days)
            label = f"{variable.label} ({i})"
            spec = ColumnSpec(
                f"{variable.name}_{i}", "value", kind, label, variable.name, status_name, i
            )
            builder.add(spec, series.values)
    else:
        series, kind = _typed_column(values, variable.type, is_date and _all_full_days(values))
        spec = ColumnSpec(variable.name, "value", kind, variable.label, variable.name, status_name)
        builder.add(spec, series.values)
    builder.add(_companion(variable, "status", "string", "status"), _strings(grid.status[:, var]))
    builder.add(
        _companion(variable, "corrected", "boolean", "changed by a reviewer"),
        pd.array(grid.corrected[:, var], dtype="boolean"),
    )
    if variable.type is VariableType.CATEGORY:
        builder.add(
            _companion(variable, "raw", "string", "the model's answer outside the category list"),
            _strings(_out_of_list_answers(grid.status[:, var], grid.take("raw_value", var))),
        )
    if options.include_confidence:
        builder.add(
            _companion(variable, "confidence", "number", "confidence"),
            grid.confidence_of(var),
        )
    if options.include_source_text:
        builder.add(
            _companion(variable, "source", "string", "quote from the document"),
            _strings(grid.take("source_text", var)),
        )


def _out_of_list_answers(status: Any, raw: Any) -> Any:
    """The model's raw answers where the cell's status is OUT_OF_LIST, else None."""
    return np.where(status == OUT_OF_LIST, raw, None)


# ----------------------------------------------------------------------------- long


def to_long_frame(grid: Grid, options: FrameOptions) -> ExportFrame:
    """One row per value: an answer (one row per element of a list answer), or a (row,
    variable) cell nobody answered, carrying its missing status."""
    n_vars = len(grid.variables)
    # Row-major cells, each repeated once per element of its (list) value.
    values = grid.value.ravel()
    counts = np.array([len(v) if isinstance(v, list) else 1 for v in values], dtype=np.int64)
    cell = np.repeat(np.arange(len(values)), counts)
    items = [item for v in values for item in (v if isinstance(v, list) else [v])]
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    value_index = np.arange(len(cell)) - starts + 1
    rows, var_of = cell // max(n_vars, 1), cell % max(n_vars, 1)

    builder = _Builder()
    _add_keys(builder, grid, rows, options.mode is ObservationMode.ENTITY)
    key_columns = len(builder.specs)
    names = np.array([v.name for v in grid.variables], dtype=object)
    types = np.array([v.type.value for v in grid.variables], dtype=object)
    numbers = [
        item if kind == VariableType.NUMBER else None
        for kind, item in zip(types[var_of], items, strict=True)
    ]

    def answer(column: str) -> Any:
        return grid.take(column)[cell]

    columns: list[tuple[ColumnSpec, Any]] = [
        (ColumnSpec("variable", "variable", "string", "Variable name"), _strings(names[var_of])),
        (
            ColumnSpec("variable_type", "variable_type", "string", "Variable type"),
            _strings(types[var_of]),
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
        (ColumnSpec("unit", "unit", "string", "Unit of the number"), _strings(answer("unit"))),
    ]
    if options.include_confidence:
        spec = ColumnSpec("confidence", "confidence", "number", "Model confidence (0-1)")
        columns.append((spec, _floats(answer("confidence"))))
    if options.include_source_text:
        spec = ColumnSpec("quote", "source", "string", "Quote from the document")
        columns.append((spec, _strings(answer("source_text"))))
    flags = [f or None for f in answer("flags")]
    columns += [
        (
            ColumnSpec("page", "page", "integer", "Page of the quote"),
            pd.array(answer("page"), dtype="Int64"),
        ),
        (
            ColumnSpec("grounding", "grounding", "string", "How the quote was found"),
            _strings(answer("grounding")),
        ),
        (ColumnSpec("flags", "flags", "string", "Post-processing flags"), _strings(flags)),
        (
            ColumnSpec("needs_review", "needs_review", "boolean", "Flagged for review"),
            pd.array(answer("needs_review"), dtype="boolean"),
        ),
        (
            ColumnSpec("prompt_version", "prompt_version", "integer", "Prompt version"),
            pd.array(answer("prompt_version"), dtype="Int64"),
        ),
        (
            ColumnSpec("status", "status", "string", "Status of the value"),
            _strings(grid.status.ravel()[cell]),
        ),
        (
            ColumnSpec("corrected", "corrected", "boolean", "Changed by a reviewer"),
            pd.array(grid.corrected.ravel()[cell], dtype="boolean"),
        ),
        (
            ColumnSpec(
                "raw_answer", "raw", "string", "The model's answer outside the category list"
            ),
            _strings(_out_of_list_answers(grid.status.ravel()[cell], answer("raw_value"))),
        ),
    ]
    for spec, column in columns:
        builder.add(spec, column)
    meta = _add_meta(builder, grid, grid.row_unit[rows])
    return ExportFrame(builder.frame(len(cell)), builder.specs, key_columns, grid, meta)


def build_frame(grid: Grid, options: FrameOptions) -> ExportFrame:
    """The frame of the requested layout."""
    if options.layout is ExportLayout.LONG:
        return to_long_frame(grid, options)
    return to_wide_frame(grid, options)
