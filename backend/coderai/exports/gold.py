"""Adjudicated gold values on the export grid: where a reliability study set the value of a
unit's variable, the dataset carries it (marked corrected where it changed the model's
answer) and the quality figures judge the
model's answer against it, in place of a single reviewer's verdict. Pure, no I/O."""

from __future__ import annotations

import uuid
from typing import Any

from coderai.exports.grid import NOT_FOUND, OK, Grid
from coderai.models.enums import Verdict
from coderai.studies.gold import GoldKey, matches_gold


def apply_gold(grid: Grid, gold: dict[GoldKey, Any]) -> int:
    """Set every cell that has a gold value to it; returns how many cells were set. A gold
    value for an entity the job did not find has no row to go in and is left out."""
    if not gold:
        return 0
    var_of = {variable.id: i for i, variable in enumerate(grid.variables)}
    row_of: dict[tuple[uuid.UUID, int], int] = {}
    for index, (unit, entity) in enumerate(zip(grid.row_unit, grid.row_entity, strict=True)):
        row_of.setdefault((grid.units[int(unit)].document_id, entity or 0), index)
    verdicts = grid.answers["verdict"].to_numpy(dtype=object).copy()
    model_values = grid.answers["value"].to_numpy(dtype=object)
    applied = 0
    for (variable_id, document_id, entity), value in gold.items():
        var, row = var_of.get(variable_id), row_of.get((document_id, entity))
        if var is None or row is None:
            continue
        present = value is not None and value != []
        grid.value[row, var] = value if present else None
        grid.status[row, var] = OK if present else NOT_FOUND
        if isinstance(value, list):
            grid.list_variables.add(var)
        answer = int(grid.answer[row, var])
        agreed = answer >= 0 and matches_gold(model_values[answer], value)
        # *_corrected means "changed by a reviewer": a gold value equal to the model's is not.
        grid.corrected[row, var] = not agreed and (present or answer >= 0)
        if answer >= 0:
            verdicts[answer] = (Verdict.CORRECT if agreed else Verdict.INCORRECT).value
        applied += 1
    grid.answers["verdict"] = verdicts
    return applied
