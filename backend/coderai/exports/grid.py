"""Place a job's answers on the export grid: one row per document (or entity), one column per
variable, each cell with its final value and exactly one status. Columnar (numpy/pandas), so
50,000 answers take milliseconds; free of I/O.

Statuses, shared by wide and long: OK; NOT_FOUND (the model answered "absent", or stored no
answer for a processed document); BELOW_THRESHOLD (confidence under the export's
minConfidence, or withheld by the variable's own threshold); CALL_FAILED (the LLM call that
would have answered it failed on the document's last attempt: unknown, not absent);
OUT_OF_LIST (the model answered a CATEGORY variable with a value outside its list: the raw
answer is kept beside it);
DOCUMENT_FAILED (the job item failed, so there is no answer at all); NOT_PROCESSED (the job
never reached the document).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coderai.exports.schemas import ExportLayout
from coderai.extraction.coercion.values import coerce_value
from coderai.models.enums import JobItemStatus, ObservationMode, VariableType, Verdict
from coderai.review.analysis import same_value
from coderai.variables.config import ClassificationRules, ValidationRules

OK = "OK"
NOT_FOUND = "NOT_FOUND"
BELOW_THRESHOLD = "BELOW_THRESHOLD"
DOCUMENT_FAILED = "DOCUMENT_FAILED"
NOT_PROCESSED = "NOT_PROCESSED"
CALL_FAILED = "CALL_FAILED"
OUT_OF_LIST = "OUT_OF_LIST"
MISSING_STATUSES = (
    NOT_FOUND,
    BELOW_THRESHOLD,
    DOCUMENT_FAILED,
    NOT_PROCESSED,
    CALL_FAILED,
    OUT_OF_LIST,
)

# The columns of the answers table (one row per stored extraction).
ANSWER_COLUMNS = (
    "document_id",  # text
    "variable_id",  # text
    "entity_index",
    "entity_key",
    "value",  # typed JSON value
    "has_value",  # value is neither null nor an empty list
    "unit",
    "confidence",
    "source_text",
    "page",
    "grounding",
    "flags",  # joined with "; "
    "withheld",  # flagged VALUE_WITHHELD by the engine
    "call_failed",  # flagged CALL_FAILED by the engine
    "out_of_list",  # flagged UNKNOWN_CATEGORY: the model answered outside the category list
    "raw_value",  # the model's own answer, read only where it was out of the list
    "needs_review",
    "prompt_version",
    "verdict",  # the verdict that applies to the answer, if any (review.carried)
    "corrected_value",
    "has_correction",  # a corrected value was given (it may be null: "should be empty")
)


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


@dataclass(frozen=True, slots=True)
class FrameOptions:
    layout: ExportLayout
    mode: ObservationMode
    include_confidence: bool = True
    include_source_text: bool = False
    min_confidence: float | None = None


IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass
class Grid:
    """Rows x variables. `answer[r, v]` indexes `answers` (-1: nobody answered that cell)."""

    variables: list[VariableSpec]
    units: list[UnitSpec]
    answers: pd.DataFrame  # ANSWER_COLUMNS of the placed answers, plus `var` and `row`
    row_unit: IntArray  # row -> index in units
    row_entity: list[int | None]  # row -> entity index (None: a document without entities)
    row_entity_key: list[str | None]
    value: ObjectArray  # final values (corrections applied, threshold blanked)
    status: ObjectArray
    corrected: BoolArray
    answer: IntArray
    confidence: FloatArray  # per answer
    list_variables: set[int]  # variables with at least one list answer

    @property
    def n_rows(self) -> int:
        return len(self.row_unit)

    @property
    def corrections_applied(self) -> int:
        return int(self.corrected.sum())

    def take(self, column: str, var: int | None = None, fill: Any = None) -> ObjectArray:
        """A column of `answers` laid out on the grid (one variable, or all cells row-major)."""
        index = self.answer[:, var] if var is not None else self.answer.ravel()
        source = self.answers[column].to_numpy(dtype=object)
        out = np.full(len(index), fill, dtype=object)
        present = index >= 0
        out[present] = source[index[present]]
        return out

    def confidence_of(self, var: int) -> FloatArray:
        """The model's confidence in each cell of one variable (NaN where unanswered)."""
        index = self.answer[:, var]
        if not len(self.confidence):
            return np.full(len(index), np.nan)
        return np.where(index >= 0, self.confidence[np.maximum(index, 0)], np.nan)


def empty_answers() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in ANSWER_COLUMNS})


def _missing_status(item_status: JobItemStatus) -> str:
    if item_status is JobItemStatus.FAILED:
        return DOCUMENT_FAILED
    if item_status is JobItemStatus.DONE:
        return NOT_FOUND
    return NOT_PROCESSED


def _correction(
    variable: VariableSpec, verdict: str, has_correction: bool, raw: Any, value: Any
) -> tuple[Any, bool, bool]:
    """The cell's value under the verdict that applies to it, whether a reviewer confirmed or
    set it, and whether the reviewer changed it (a `*_corrected` cell)."""
    if has_correction:
        if raw is None:  # "the true value is empty"
            return None, True, value is not None and value != []
        rules, checks = variable.classification_rules, variable.validation_rules
        coerced = coerce_value(
            raw,
            variable.type,
            classification=ClassificationRules.model_validate(rules) if rules else None,
            validation=ValidationRules.model_validate(checks) if checks else None,
        )
        # A correction that cannot be read as the variable's type cannot go in a typed column.
        if coerced.value is not None:
            return coerced.value, True, not same_value(coerced.value, value)
    return value, verdict == Verdict.CORRECT, False


def _rows(
    answers: pd.DataFrame, n_units: int, entity_mode: bool
) -> tuple[IntArray, list[int | None], list[str | None], IntArray]:
    """The grid's rows and the row of every answer. A document without any answer keeps
    one row, so failures stay visible."""
    units = answers["doc"].to_numpy(dtype=np.int64)
    if not entity_mode:
        return np.arange(n_units, dtype=np.int64), [0] * n_units, [None] * n_units, units
    keyed = answers[["doc", "entity_index", "entity_key"]]
    # An entity's key is the one its answers give (the first in order, should they differ).
    pairs = keyed.sort_values(
        ["doc", "entity_index", "entity_key"], na_position="last"
    ).drop_duplicates(["doc", "entity_index"])
    pair_units = pairs["doc"].to_numpy(dtype=np.int64)
    pair_entities = pairs["entity_index"].to_numpy(dtype=np.int64)
    pair_keys = pairs["entity_key"].to_numpy(dtype=object)
    row_unit: list[int] = []
    row_entity: list[int | None] = []
    row_key: list[str | None] = []
    i = 0
    for unit in range(n_units):
        if i >= len(pair_units) or pair_units[i] != unit:
            row_unit.append(unit)
            row_entity.append(None)
            row_key.append(None)
        while i < len(pair_units) and pair_units[i] == unit:
            row_unit.append(unit)
            row_entity.append(int(pair_entities[i]))
            key = pair_keys[i]
            row_key.append(None if key is None or pd.isna(key) else str(key))
            i += 1
    lookup = pd.MultiIndex.from_arrays([row_unit, [-1 if e is None else e for e in row_entity]])
    rows = lookup.get_indexer(pd.MultiIndex.from_arrays([units, answers["entity_index"]]))
    return np.asarray(row_unit, dtype=np.int64), row_entity, row_key, rows.astype(np.int64)


def resolve_grid(
    variables: list[VariableSpec],
    units: list[UnitSpec],
    extractions: pd.DataFrame,
    options: FrameOptions,
) -> Grid:
    """Place every answer in its cell, apply reviewers' corrections and the threshold, and
    give each unanswered cell the status its document's item explains."""
    var_ix = pd.Index([str(v.id) for v in variables]).get_indexer(
        pd.Index(extractions["variable_id"])
    )
    unit_ix = pd.Index([str(u.document_id) for u in units]).get_indexer(
        pd.Index(extractions["document_id"])
    )
    keep = (var_ix >= 0) & (unit_ix >= 0)
    answers = extractions.loc[keep].assign(var=var_ix[keep], doc=unit_ix[keep])
    answers["entity_index"] = answers["entity_index"].astype(np.int64)
    # In document mode a stray second entity row must not overwrite the first answer.
    answers = answers.sort_values(["doc", "var", "entity_index"], kind="stable")
    if options.mode is not ObservationMode.ENTITY:
        answers = answers.drop_duplicates(["doc", "var"])
    answers = answers.reset_index(drop=True)
    entity_mode = options.mode is ObservationMode.ENTITY
    row_unit, row_entity, row_key, rows = _rows(answers, len(units), entity_mode)
    answers["row"] = rows

    values = answers["value"].to_numpy(dtype=object).copy()
    has_value = answers["has_value"].to_numpy(dtype=bool).copy()
    corrected = np.zeros(len(answers), dtype=bool)
    reviewed = np.zeros(len(answers), dtype=bool)
    verdicts = answers["verdict"].to_numpy(dtype=object)
    raw_corrections = answers["corrected_value"].to_numpy(dtype=object)
    has_correction = answers["has_correction"].to_numpy(dtype=object)
    var_of = answers["var"].to_numpy(dtype=np.int64)
    for i in np.flatnonzero(pd.notna(verdicts)):  # only reviewed answers: a handful
        values[i], reviewed[i], corrected[i] = _correction(
            variables[var_of[i]],
            str(verdicts[i]),
            bool(has_correction[i]),
            raw_corrections[i],
            values[i],
        )
        has_value[i] = values[i] is not None and values[i] != []
    withheld = answers["withheld"].to_numpy(dtype=bool)
    call_failed = answers["call_failed"].to_numpy(dtype=bool)
    out_of_list = answers["out_of_list"].to_numpy(dtype=bool)
    status = np.select(
        [has_value, withheld, call_failed, out_of_list],
        [OK, BELOW_THRESHOLD, CALL_FAILED, OUT_OF_LIST],
        NOT_FOUND,
    ).astype(object)
    confidence = pd.to_numeric(answers["confidence"]).to_numpy(dtype=float, na_value=np.nan)
    if options.min_confidence is not None:
        # A reviewer's verdict outranks the model's confidence; an unknown one is not enough.
        low = has_value & ~reviewed & ~(confidence >= options.min_confidence)
        status[low] = BELOW_THRESHOLD
        has_value = has_value & ~low
    values[~has_value] = None
    is_list = np.fromiter((isinstance(v, list) for v in values), dtype=bool, count=len(values))

    n_rows, n_vars = len(row_unit), len(variables)
    missing = np.array([_missing_status(units[u].item_status) for u in row_unit], dtype=object)
    grid_status = np.repeat(missing.reshape(-1, 1), n_vars, axis=1)
    grid_value = np.full((n_rows, n_vars), None, dtype=object)
    grid_corrected = np.zeros((n_rows, n_vars), dtype=bool)
    grid_answer = np.full((n_rows, n_vars), -1, dtype=np.int64)
    grid_status[rows, var_of] = status
    grid_value[rows, var_of] = values
    grid_corrected[rows, var_of] = corrected
    grid_answer[rows, var_of] = np.arange(len(answers), dtype=np.int64)
    return Grid(
        variables,
        units,
        answers,
        row_unit,
        row_entity,
        row_key,
        grid_value,
        grid_status,
        grid_corrected,
        grid_answer,
        confidence,
        {int(v) for v in np.unique(var_of[is_list])},
    )
