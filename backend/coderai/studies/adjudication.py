"""Adjudication: where a study's coders differ, their values and quotes side by side, and the
gold values an editor sets (one by one, or by accepting the majority)."""

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.errors import Forbidden, InvalidInput, NotFound
from coderai.models import Document, StudyCoding, StudyGold, StudyUnit, User
from coderai.models.enums import StudyMode, StudyStatus
from coderai.review.analysis import coding_key as agreement_key
from coderai.review.service import typed_correction
from coderai.studies.coding import study_variables
from coderai.studies.schemas import (
    CoderValue,
    DisagreementRead,
    GoldPut,
    GoldRead,
    GoldValueRead,
)
from coderai.studies.service import coders_of, get_study


@dataclass(frozen=True)
class _Coded:
    unit_id: uuid.UUID
    variable_id: uuid.UUID
    coder_id: uuid.UUID
    value: Any
    quote: str | None


async def _codings(
    session: AsyncSession, study_id: uuid.UUID
) -> dict[tuple[uuid.UUID, uuid.UUID], list[_Coded]]:
    rows = await session.execute(
        select(
            StudyCoding.unit_id,
            StudyCoding.variable_id,
            StudyCoding.coder_id,
            StudyCoding.value,
            StudyCoding.quote,
        ).where(StudyCoding.study_id == study_id)
    )
    cells: dict[tuple[uuid.UUID, uuid.UUID], list[_Coded]] = {}
    for unit_id, variable_id, coder_id, value, quote in rows:
        cells.setdefault((unit_id, variable_id), []).append(
            _Coded(unit_id, variable_id, coder_id, value, quote)
        )
    return cells


async def _gold(
    session: AsyncSession, study_id: uuid.UUID
) -> dict[tuple[uuid.UUID, uuid.UUID], StudyGold]:
    rows = await session.execute(
        select(StudyGold)
        .where(StudyGold.study_id == study_id)
        .execution_options(populate_existing=True)
    )
    return {(g.unit_id, g.variable_id): g for g in rows.scalars()}


async def disagreements(
    session: AsyncSession, study_id: uuid.UUID, viewer: User
) -> list[DisagreementRead]:
    """Units x variables two or more coders coded differently, in unit and schema order. An
    editor who codes the study blind may not see them while it is open (403)."""
    study = await get_study(session, study_id)
    coders = list(await coders_of(session, study.id))
    blind = study.mode is StudyMode.BLIND and study.status is StudyStatus.OPEN
    if blind and not study.unblinded and viewer.id in {c.id for c in coders}:
        raise Forbidden("You code this study blind: its disagreements show others' values.")
    order = {user.id: i for i, user in enumerate(coders)}
    email = {user.id: user.email for user in coders}
    variables = await study_variables(session, study)
    cells = await _codings(session, study.id)
    gold = await _gold(session, study.id)
    units = await session.execute(
        select(StudyUnit, Document.name)
        .join(Document, Document.id == StudyUnit.document_id)
        .where(StudyUnit.study_id == study.id)
        .order_by(StudyUnit.position)
    )
    found = []
    for unit, document_name in units:
        for variable in variables:
            coded = [c for c in cells.get((unit.id, variable.id), []) if c.coder_id in order]
            if len({repr(agreement_key(c.value)) for c in coded}) < 2:
                continue
            decided = gold.get((unit.id, variable.id))
            found.append(
                DisagreementRead(
                    unit_index=unit.position,
                    document_id=unit.document_id,
                    document_name=document_name,
                    entity_index=unit.entity_index,
                    variable_id=variable.id,
                    variable_name=variable.name,
                    codings=[
                        CoderValue(
                            coder_id=c.coder_id,
                            coder_email=email[c.coder_id],
                            value=c.value,
                            quote=c.quote,
                        )
                        for c in sorted(coded, key=lambda c: order[c.coder_id])
                    ],
                    has_gold=decided is not None,
                    gold=decided.value if decided else None,
                )
            )
    return found


def _majority(coded: list[_Coded]) -> tuple[bool, Any]:
    counts = Counter(repr(agreement_key(c.value)) for c in coded)
    if not counts:
        return False, None
    key, votes = counts.most_common(1)[0]
    if votes < 2 or votes * 2 <= len(coded):
        return False, None
    return True, next(c.value for c in coded if repr(agreement_key(c.value)) == key)


async def set_gold(
    session: AsyncSession, study_id: uuid.UUID, data: GoldPut, user: User
) -> GoldRead:
    """Store gold values: the items given (typed like their variable; they replace earlier
    ones), or the majority value wherever no gold value is set yet."""
    if bool(data.items) == data.accept_majority:
        raise InvalidInput(
            "Give either items or acceptMajority: true.",
            errors=[{"field": "items", "message": "give items, or acceptMajority: true"}],
        )
    study = await get_study(session, study_id)
    variables = {v.id: v for v in await study_variables(session, study)}
    units = {
        u.position: u
        for u in (
            await session.execute(select(StudyUnit).where(StudyUnit.study_id == study.id))
        ).scalars()
    }
    values: dict[tuple[uuid.UUID, uuid.UUID], Any] = {}
    for i, item in enumerate(data.items):
        unit = units.get(item.unit_index)
        if unit is None:
            raise NotFound(f"Unit {item.unit_index} not found in this study.")
        variable = variables.get(item.variable_id)
        if variable is None:
            raise InvalidInput(
                "Not a variable of this study.",
                errors=[{"field": f"items[{i}].variableId", "message": "not in this study"}],
            )
        try:
            values[(unit.id, variable.id)] = typed_correction(variable, item.value)
        except InvalidInput as error:
            message = error.errors[0]["message"] if error.errors else error.detail
            raise InvalidInput(
                f"The gold value for '{variable.name}' is not valid.",
                errors=[{"field": f"items[{i}].value", "message": message}],
            ) from None
    if data.accept_majority:
        existing = await _gold(session, study.id)
        coders = {user.id for user in await coders_of(session, study.id)}
        for (unit_id, variable_id), coded in (await _codings(session, study.id)).items():
            if variable_id not in variables or (unit_id, variable_id) in existing:
                continue
            agreed, value = _majority([c for c in coded if c.coder_id in coders])
            if agreed:
                values[(unit_id, variable_id)] = value
    if values:
        statement = insert(StudyGold).values(
            [
                {
                    "id": uuid.uuid4(),
                    "study_id": study.id,
                    "unit_id": unit_id,
                    "variable_id": variable_id,
                    "value": JSON.NULL if value is None else value,
                    "set_by_id": user.id,
                }
                for (unit_id, variable_id), value in values.items()
            ]
        )
        await session.execute(
            statement.on_conflict_do_update(
                constraint="uq_study_gold_value",
                set_={
                    "value": statement.excluded.value,
                    "set_by_id": statement.excluded.set_by_id,
                    "updated_at": func.now(),
                },
            )
        )
    position = {u.id: u.position for u in units.values()}
    gold = sorted(
        (await _gold(session, study.id)).values(),
        key=lambda g: (position[g.unit_id], str(g.variable_id)),
    )
    return GoldRead(
        study_id=study.id,
        changed=len(values),
        gold=[
            GoldValueRead(
                unit_index=position[g.unit_id],
                variable_id=g.variable_id,
                value=g.value,
                set_by_id=g.set_by_id,
            )
            for g in gold
        ],
    )
