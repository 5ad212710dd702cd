"""The coder's side of a study: their queue, one unit with its questions and their own codings,
and saving codings. Only the study's coders reach it; anyone else gets 404, as if there were
no such study, and a BLIND study never shows the model's or other coders' values."""

import uuid
from typing import Any

from sqlalchemy import JSON, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.errors import InvalidInput, NotFound
from coderai.models import (
    Document,
    Extraction,
    ReliabilityStudy,
    StudyCoder,
    StudyCoding,
    StudyUnit,
    User,
    Variable,
)
from coderai.models.enums import StudyMode, StudyStatus
from coderai.review.service import typed_correction
from coderai.studies.schemas import (
    CodingRead,
    CodingsPut,
    ModelValue,
    Question,
    QueueRead,
    QueueUnit,
    UnitRead,
)
from coderai.studies.service import done_units, get_study


async def is_coder(session: AsyncSession, study_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(StudyCoder.id).where(StudyCoder.study_id == study_id, StudyCoder.user_id == user_id)
    )
    return found is not None


async def study_of_coder(
    session: AsyncSession, study_id: uuid.UUID, user: User
) -> ReliabilityStudy:
    """The study, when `user` is one of its coders (else 404: the queue is theirs alone)."""
    study = await get_study(session, study_id)
    if not await is_coder(session, study_id, user.id):
        raise NotFound(f"Study '{study_id}' not found.")
    return study


async def _unit(session: AsyncSession, study_id: uuid.UUID, unit_index: int) -> StudyUnit:
    unit = await session.scalar(
        select(StudyUnit).where(StudyUnit.study_id == study_id, StudyUnit.position == unit_index)
    )
    if unit is None:
        raise NotFound(f"Unit {unit_index} not found in this study.")
    return unit


async def study_variables(session: AsyncSession, study: ReliabilityStudy) -> list[Variable]:
    rows = await session.execute(
        select(Variable).where(Variable.id.in_(study.variable_ids)).order_by(Variable.order)
    )
    return list(rows.scalars())


async def queue(session: AsyncSession, study_id: uuid.UUID, user: User) -> QueueRead:
    """The caller's units in study order, each with how many variables they coded."""
    study = await study_of_coder(session, study_id, user)
    variables = set(study.variable_ids)
    coded: dict[uuid.UUID, int] = {}
    rows = await session.execute(
        select(StudyCoding.unit_id, StudyCoding.variable_id).where(
            StudyCoding.study_id == study.id, StudyCoding.coder_id == user.id
        )
    )
    for unit_id, variable_id in rows:
        if variable_id in variables:
            coded[unit_id] = coded.get(unit_id, 0) + 1
    done = (await done_units(session, study, user.id)).get(user.id, set())
    units = await session.execute(
        select(StudyUnit, Document.name)
        .join(Document, Document.id == StudyUnit.document_id)
        .where(StudyUnit.study_id == study.id)
        .order_by(StudyUnit.position)
    )
    items = [
        QueueUnit(
            unit_index=unit.position,
            document_id=unit.document_id,
            document_name=name,
            entity_index=unit.entity_index,
            entity_key=unit.entity_key,
            coded_variables=coded.get(unit.id, 0),
            done=unit.id in done,
        )
        for unit, name in units
    ]
    return QueueRead(
        study_id=study.id, mode=study.mode, done=len(done), total=len(items), units=items
    )


def _question(variable: Variable) -> Question:
    rules = variable.classification_rules or {}
    return Question(
        variable_id=variable.id,
        name=variable.name,
        display_name=variable.display_name,
        type=variable.type,
        instructions=variable.instructions,
        categories=[str(c.get("value")) for c in rules.get("categories", [])],
    )


async def _own_codings(
    session: AsyncSession, study_id: uuid.UUID, unit_id: uuid.UUID, coder_id: uuid.UUID
) -> list[CodingRead]:
    rows = await session.execute(
        select(StudyCoding)
        .where(
            StudyCoding.study_id == study_id,
            StudyCoding.unit_id == unit_id,
            StudyCoding.coder_id == coder_id,
        )
        .order_by(StudyCoding.created_at, StudyCoding.id)
        # Upserted just before, in the same session: read the rows as stored now.
        .execution_options(populate_existing=True)
    )
    return [
        CodingRead(variable_id=c.variable_id, value=c.value, quote=c.quote, updated_at=c.updated_at)
        for c in rows.scalars()
    ]


async def _model_values(
    session: AsyncSession, study: ReliabilityStudy, unit: StudyUnit
) -> list[ModelValue]:
    rows = await session.execute(
        select(Extraction).where(
            Extraction.job_id == study.job_id,
            Extraction.document_id == unit.document_id,
            Extraction.entity_index == unit.entity_index,
            Extraction.variable_id.in_(study.variable_ids),
        )
    )
    return [
        ModelValue(variable_id=e.variable_id, value=e.value, quote=e.source_text)
        for e in rows.scalars()
    ]


async def unit_detail(
    session: AsyncSession, study_id: uuid.UUID, unit_index: int, user: User
) -> UnitRead:
    """What a coder needs to code one unit: the text, the questions, their own codings (and
    the model's values in a VERIFY study, never in a BLIND one)."""
    study = await study_of_coder(session, study_id, user)
    unit = await _unit(session, study.id, unit_index)
    document = await session.get_one(Document, unit.document_id)
    verify = study.mode is StudyMode.VERIFY
    return UnitRead(
        study_id=study.id,
        unit_index=unit.position,
        document_id=document.id,
        document_name=document.name,
        entity_index=unit.entity_index,
        entity_key=unit.entity_key,
        text=document.text or "",
        questions=[_question(v) for v in await study_variables(session, study)],
        codings=await _own_codings(session, study.id, unit.id, user.id),
        model_values=await _model_values(session, study, unit) if verify else [],
    )


def _typed(variable: Variable, raw: object, index: int) -> Any:
    try:
        return typed_correction(variable, raw)
    except InvalidInput as error:
        message = error.errors[0]["message"] if error.errors else error.detail
        raise InvalidInput(
            f"The value for '{variable.name}' is not valid.",
            errors=[{"field": f"codings[{index}].value", "message": message}],
        ) from None


async def save_codings(
    session: AsyncSession, study_id: uuid.UUID, unit_index: int, data: CodingsPut, user: User
) -> UnitRead:
    """Store the caller's values for one unit, each replacing their earlier one."""
    study = await study_of_coder(session, study_id, user)
    if study.status is not StudyStatus.OPEN:
        raise InvalidInput("This study is closed: its codings can no longer change.")
    unit = await _unit(session, study.id, unit_index)
    variables = {v.id: v for v in await study_variables(session, study)}
    rows: dict[uuid.UUID, dict[str, Any]] = {}
    for i, coding in enumerate(data.codings):
        variable = variables.get(coding.variable_id)
        if variable is None:
            raise InvalidInput(
                "Not a variable of this study.",
                errors=[{"field": f"codings[{i}].variableId", "message": "not in this study"}],
            )
        value = _typed(variable, coding.value, i)
        rows[variable.id] = {
            "id": uuid.uuid4(),
            "study_id": study.id,
            "unit_id": unit.id,
            "variable_id": variable.id,
            "coder_id": user.id,
            # A JSON null (the coder found no value), told apart from no coding at all.
            "value": JSON.NULL if value is None else value,
            "quote": coding.quote.strip() or None if coding.quote else None,
        }
    statement = insert(StudyCoding).values(list(rows.values()))
    await session.execute(
        statement.on_conflict_do_update(
            constraint="uq_study_codings_value",
            set_={
                "value": statement.excluded.value,
                "quote": statement.excluded.quote,
                "updated_at": func.now(),
            },
        )
    )
    return await unit_detail(session, study_id, unit_index, user)
