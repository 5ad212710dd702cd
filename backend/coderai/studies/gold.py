"""Gold values as facts about units: the value an editor adjudicated for a (document, entity,
variable) in any study of the project. Where one exists it is the truth that accuracy, the
calibration table, the scoring of prompt drafts and exports use, in place of a single
reviewer's verdict. Imports models and pure review code only, so that `review`, `prompts` and
`exports` may use it (docs/ARCHITECTURE.md, `studies/`)."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.models import Extraction, StudyGold, StudyUnit
from coderai.models.enums import Verdict
from coderai.review.analysis import ReviewedItem, coding_key

# (variable, document, entity index)
GoldKey = tuple[uuid.UUID, uuid.UUID, int]


async def gold_values(
    session: AsyncSession,
    variable_ids: Iterable[uuid.UUID],
    document_ids: Iterable[uuid.UUID] | None = None,
) -> dict[GoldKey, Any]:
    """The gold value of every unit and variable that has one (JSON null: "no value"); when
    two studies adjudicated the same unit, the one set last wins."""
    statement = (
        select(
            StudyGold.variable_id, StudyUnit.document_id, StudyUnit.entity_index, StudyGold.value
        )
        .join(StudyUnit, StudyUnit.id == StudyGold.unit_id)
        .where(StudyGold.variable_id.in_(list(variable_ids)))
        .order_by(StudyGold.updated_at, StudyGold.id)
    )
    if document_ids is not None:
        statement = statement.where(StudyUnit.document_id.in_(list(document_ids)))
    return {
        (variable_id, document_id, entity): value
        for variable_id, document_id, entity, value in await session.execute(statement)
    }


def has_gold() -> ColumnElement[bool]:
    """True for an extraction whose unit and variable have a gold value."""
    return exists(
        select(StudyGold.id)
        .join(StudyUnit, StudyUnit.id == StudyGold.unit_id)
        .where(
            and_(
                StudyGold.variable_id == Extraction.variable_id,
                StudyUnit.document_id == Extraction.document_id,
                StudyUnit.entity_index == Extraction.entity_index,
            )
        )
    )


def matches_gold(model_value: Any, gold: Any) -> bool:
    """The model's value agrees with the gold one as two coders' values agree (text without
    case or spacing, numbers as numbers, lists as sets)."""
    return coding_key(model_value) == coding_key(gold)


def judged_by_gold(item: ReviewedItem, gold: Any) -> ReviewedItem:
    """A reviewed item whose truth is the gold value: CORRECT exactly when the model's value
    matches it. A reviewer's note stays."""
    correct = matches_gold(item.model_value, gold)
    return replace(
        item,
        verdict=Verdict.CORRECT if correct else Verdict.INCORRECT,
        truth=gold,
        truth_known=True,
        gold=True,
    )


def with_gold(
    items: Sequence[ReviewedItem], gold: dict[GoldKey, Any], variable_id: uuid.UUID
) -> list[ReviewedItem]:
    """`items` with each one that has a gold value judged against it."""
    judged = []
    for item in items:
        key = (variable_id, item.document_id, item.entity_index)
        judged.append(judged_by_gold(item, gold[key]) if key in gold else item)
    return judged
