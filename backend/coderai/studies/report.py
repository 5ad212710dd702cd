"""Inter-coder reliability of a job's studies: per variable, Krippendorff's alpha among the
human coders, and of the model (the job's own values for the study's units) against each coder
and against the adjudicated gold values. The statistics are `review.reliability`'s; this module
gathers the values and runs them in a thread, as the bootstrap is CPU-bound."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.jobs import service as job_service
from coderai.models import (
    Extraction,
    ReliabilityStudy,
    StudyCoding,
    StudyGold,
    StudyUnit,
    User,
    Variable,
)
from coderai.review.reliability import (
    RawValue,
    Reliability,
    Scale,
    UnreadableValue,
    alpha,
    scale_for,
)
from coderai.studies.coding import study_variables
from coderai.studies.schemas import (
    AlphaRead,
    JobReliabilityRead,
    ModelAgainstCoder,
    StudyCoderRead,
    StudyReliabilityRead,
    VariableReliabilityRead,
)
from coderai.studies.service import coders_of

# Free text has as many distinct values as units, and the bootstrap's cost grows with their
# square: a few hundred resamples keep a report within a second or two.
DEFAULT_DRAWS = 200

Row = list[RawValue]


@dataclass(frozen=True)
class VariableData:
    """One variable of one study: a row of values per coder, the model's row and the gold
    row, all over the study's units in order (None where there is no value)."""

    variable: Variable
    coders: list[Row]
    model: Row
    gold: Row


def raw(value: Any) -> RawValue:
    """A stored JSON value as the statistics read it: a list of several values is one value
    (its members sorted and joined), and an empty list or JSON null is missing."""
    if isinstance(value, list):
        members = sorted(str(v) for v in value if v is not None)
        if len(members) == 1 and len(value) == 1 and not isinstance(value[0], dict):
            return raw(value[0])
        return "; ".join(members) or None
    if isinstance(value, dict):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def variable_scale(variable: Variable) -> Scale:
    """The variable's scale: ordinal for categories declared ordered (ranked in their listed
    order), else the usual level of its type."""
    rules = variable.classification_rules or {}
    categories = [str(c.get("value")) for c in rules.get("categories", []) if isinstance(c, dict)]
    ordered = bool(rules.get("ordered")) and bool(categories)
    return scale_for(variable.type, categories=categories, ordered=ordered)


def undefined_alpha(reason: str, coders: int, units: int) -> AlphaRead:
    """An alpha that cannot be computed, with the reason on the wire."""
    return AlphaRead(
        level=None,
        alpha=None,
        undefined_reason=reason,
        reading=f"undefined: {reason}",
        coders=coders,
        units=units,
        pairable_units=0,
        pairable_values=0,
        percent_agreement=None,
        interval_low=None,
        interval_high=None,
        p_below_reliable=None,
        p_below_tentative=None,
        draws=0,
        cohens_kappa=None,
        fleiss_kappa=None,
    )


def alpha_read(result: Reliability) -> AlphaRead:
    """A computed reliability on the wire, with its bootstrap interval when drawn."""
    interval = result.bootstrap
    return AlphaRead(
        level=result.level.value,
        alpha=result.alpha,
        undefined_reason=result.undefined_reason,
        reading=result.reading,
        coders=result.coders,
        units=result.units,
        pairable_units=result.pairable_units,
        pairable_values=result.pairable_values,
        percent_agreement=result.percent_agreement,
        interval_low=interval.low if interval else None,
        interval_high=interval.high if interval else None,
        p_below_reliable=interval.p_below_reliable if interval else None,
        p_below_tentative=interval.p_below_tentative if interval else None,
        draws=interval.draws if interval else 0,
        cohens_kappa=result.cohens_kappa,
        fleiss_kappa=result.fleiss_kappa,
    )


def _alpha_read(rows: Sequence[Row], variable: Variable, draws: int, seed: int) -> AlphaRead:
    try:
        result = alpha(rows, variable_scale(variable), draws=draws, seed=seed)
    except UnreadableValue as error:
        return AlphaRead(
            **undefined_alpha(
                "a value is not readable on this scale", len(rows), len(rows[0]) if rows else 0
            ).model_dump(exclude={"undefined_reason"}),
            undefined_reason=f"a value is not readable on this scale: {error}",
        )
    return alpha_read(result)


def variable_reliability(
    data: VariableData, coders: Sequence[User], draws: int, seed: int
) -> VariableReliabilityRead:
    """Pure: the figures of one variable (runs in a worker thread)."""
    variable = data.variable
    gold_units = sum(value is not None for value in data.gold)
    return VariableReliabilityRead(
        variable_id=variable.id,
        name=variable.name,
        type=variable.type,
        humans=_alpha_read(data.coders, variable, draws, seed),
        model_against_coders=[
            ModelAgainstCoder(
                coder_id=user.id,
                coder_email=user.email,
                result=_alpha_read([data.model, row], variable, draws, seed),
            )
            for user, row in zip(coders, data.coders, strict=True)
        ],
        gold_units=gold_units,
        model_against_gold=_alpha_read([data.model, data.gold], variable, draws, seed)
        if gold_units
        else None,
    )


async def _study_data(
    session: AsyncSession, study: ReliabilityStudy, coders: Sequence[User]
) -> list[VariableData]:
    units = list(
        (
            await session.execute(
                select(StudyUnit).where(StudyUnit.study_id == study.id).order_by(StudyUnit.position)
            )
        ).scalars()
    )
    column = {unit.id: i for i, unit in enumerate(units)}
    by_place = {(unit.document_id, unit.entity_index): i for i, unit in enumerate(units)}
    row_of = {user.id: i for i, user in enumerate(coders)}
    variables = await study_variables(session, study)
    data = {
        v.id: VariableData(
            v,
            [[None] * len(units) for _ in coders],
            [None] * len(units),
            [None] * len(units),
        )
        for v in variables
    }
    codings = await session.execute(
        select(
            StudyCoding.unit_id, StudyCoding.variable_id, StudyCoding.coder_id, StudyCoding.value
        ).where(StudyCoding.study_id == study.id)
    )
    for unit_id, variable_id, coder_id, value in codings:
        if variable_id in data and coder_id in row_of:
            data[variable_id].coders[row_of[coder_id]][column[unit_id]] = raw(value)
    golds = await session.execute(
        select(StudyGold.unit_id, StudyGold.variable_id, StudyGold.value).where(
            StudyGold.study_id == study.id
        )
    )
    for unit_id, variable_id, value in golds:
        if variable_id in data:
            data[variable_id].gold[column[unit_id]] = raw(value)
    extractions = await session.execute(
        select(
            Extraction.document_id,
            Extraction.entity_index,
            Extraction.variable_id,
            Extraction.value,
        ).where(
            Extraction.job_id == study.job_id,
            Extraction.document_id.in_({unit.document_id for unit in units}),
            Extraction.variable_id.in_(list(data)),
        )
    )
    for document_id, entity_index, variable_id, value in extractions:
        place = by_place.get((document_id, entity_index))
        if place is not None:
            data[variable_id].model[place] = raw(value)
    return list(data.values())


async def job_reliability(
    session: AsyncSession, job_id: uuid.UUID, draws: int = DEFAULT_DRAWS
) -> JobReliabilityRead:
    """Every study of the job, each variable's alpha among the humans and of the model."""
    await job_service.get_job(session, job_id)
    studies = (
        await session.execute(
            select(ReliabilityStudy)
            .where(ReliabilityStudy.job_id == job_id)
            .order_by(ReliabilityStudy.created_at, ReliabilityStudy.id)
        )
    ).scalars()
    reports = []
    for study in list(studies):
        coders = list(await coders_of(session, study.id))
        data = await _study_data(session, study, coders)
        # The study's seed also seeds its bootstrap: the same data give the same interval.
        compute = partial(_all_variables, data, coders, draws, study.seed)
        variables = await anyio.to_thread.run_sync(compute)
        reports.append(
            StudyReliabilityRead(
                study_id=study.id,
                mode=study.mode,
                status=study.status,
                unit_count=len(data[0].model) if data else 0,
                coders=[StudyCoderRead(user_id=u.id, email=u.email) for u in coders],
                variables=variables,
            )
        )
    return JobReliabilityRead(job_id=job_id, studies=reports)


def _all_variables(
    data: list[VariableData], coders: list[User], draws: int, seed: int
) -> list[VariableReliabilityRead]:
    return [variable_reliability(item, coders, draws, seed) for item in data]
