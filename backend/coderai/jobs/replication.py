"""Replication: a finished job's documents re-run on a second model with the same prompt
versions, and the agreement between the two runs per variable (docs/ARCHITECTURE.md, "jobs/").

The two runs are two coders of the same units: Krippendorff's alpha with its bootstrap
interval, percent agreement and Cohen's kappa come from `review.reliability`, as for human
coders. A unit is a (document, entity) both runs coded; a value one run did not give is
missing, as in any reliability data. The values that differ are listed unit by unit.
"""

import math
import uuid
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.errors import Conflict, NotFound
from coderai.jobs import service as job_service
from coderai.jobs.schemas import ReplicationDifference, ReplicationRead, ReplicationVariableRead
from coderai.llm import LLMClients, ModelChoice, ModelChoiceError
from coderai.llm.schemas import ModelSettingsRead
from coderai.models import Document, Extraction, JobItem, ProcessingJob, User, Variable
from coderai.models.enums import JobItemStatus, JobType
from coderai.projects import service as project_service
from coderai.review.reliability import Reliability, UnreadableValue, alpha, scale_for
from coderai.studies.blinding import blinded
from coderai.studies.report import alpha_read, raw, undefined_alpha
from coderai.studies.schemas import AlphaRead

# The two runs' values are few per unit; a few hundred resamples give a stable interval.
DRAWS = 500
SEED = 0
MAX_DIFFERENCES = 500  # listed per variable; `differingUnits` counts them all

Unit = tuple[uuid.UUID, str]  # (document, entity key or index)


async def replicate_job(
    session: AsyncSession,
    clients: LLMClients,
    source: ProcessingJob,
    overrides: dict[str, Any],
    user: User,
) -> ProcessingJob:
    """A new job on the documents `source` coded, with its prompt versions, on the model
    `overrides` sets over the source's. 409 unless `source` has finished."""
    if source.status not in job_service.FINISHED:
        raise Conflict(
            f"Job '{source.id}' is {source.status.value}: only a finished job can be replicated."
        )
    if source.job_type is JobType.EVALUATION:
        raise Conflict("An evaluation job scores a prompt draft; replicate a SAMPLE or FULL job.")
    documents = list(
        await session.scalars(
            select(JobItem.document_id)
            .where(JobItem.job_id == source.id, JobItem.status == JobItemStatus.DONE)
            .order_by(JobItem.seq)
        )
    )
    if not documents:
        raise Conflict(f"Job '{source.id}' coded no document: there is nothing to replicate.")
    project = await project_service.get_project(session, source.project_id)
    base = (
        ModelChoice.from_json(source.llm)
        if source.llm
        else clients.resolve(project.llm).with_overrides({"model": source.llm_model})
    )
    choice = base.with_overrides(overrides)
    try:
        clients.check(choice)
    except ModelChoiceError as exc:
        raise project_service.model_choice_error(exc) from exc
    return await job_service.create_job(
        session,
        project,
        job_type=source.job_type,
        document_ids=documents,
        document_count=None,
        sample_seed=None,
        options=dict(source.options),
        llm_model=choice.model,
        llm=choice.to_json(),
        created_by=user,
        prompt_snapshot=dict(source.prompt_snapshot),
        replicates=source,
    )


@dataclass(frozen=True)
class _VariableRuns:
    variable: Variable
    units: list[Unit]
    first: list[Any]
    second: list[Any]


async def replication_report(
    session: AsyncSession, replica: ProcessingJob, viewer_id: uuid.UUID
) -> ReplicationRead:
    """Agreement per variable between the replica and the job it replicates, over the units
    both have coded so far; documents that a blind study hides from the viewer are left out
    (`studies.blinding`)."""
    if replica.replicates_job_id is None:
        raise NotFound(f"Job '{replica.id}' is not a replication of another job.")
    source = await session.get(ProcessingJob, replica.replicates_job_id)
    if source is None:
        raise NotFound(f"The job that '{replica.id}' replicates no longer exists.")
    done = (
        select(JobItem.document_id)
        .where(JobItem.job_id == source.id, JobItem.status == JobItemStatus.DONE)
        .intersect(
            select(JobItem.document_id).where(
                JobItem.job_id == replica.id, JobItem.status == JobItemStatus.DONE
            )
        )
    )
    documents = set(await session.scalars(done))
    hidden = await session.scalars(
        select(Extraction.document_id)
        .where(Extraction.job_id.in_([source.id, replica.id]), blinded(viewer_id))
        .distinct()
    )
    documents -= set(hidden)
    variable_ids = [uuid.UUID(v) for v in replica.prompt_snapshot]
    variables = list(
        await session.scalars(
            select(Variable).where(Variable.id.in_(variable_ids)).order_by(Variable.order)
        )
    )
    named = await session.execute(
        select(Document.id, Document.name).where(Document.id.in_(documents))
    )
    names: dict[uuid.UUID, str] = {document_id: name for document_id, name in named}
    values: dict[tuple[uuid.UUID, uuid.UUID], dict[Unit, Any]] = {}
    rows = await session.execute(
        select(
            Extraction.job_id,
            Extraction.variable_id,
            Extraction.document_id,
            Extraction.entity_index,
            Extraction.entity_key,
            Extraction.value,
        ).where(
            Extraction.job_id.in_([source.id, replica.id]),
            Extraction.document_id.in_(documents),
        )
    )
    for job_id, variable_id, document_id, entity_index, entity_key, value in rows:
        unit = (document_id, entity_key or str(entity_index))
        values.setdefault((variable_id, job_id), {})[unit] = value
    runs = []
    for variable in variables:
        first = values.get((variable.id, source.id), {})
        second = values.get((variable.id, replica.id), {})
        units = sorted(set(first) | set(second), key=lambda u: (str(u[0]), u[1]))
        runs.append(
            _VariableRuns(
                variable,
                units,
                [first.get(u) for u in units],
                [second.get(u) for u in units],
            )
        )
    reads = await anyio.to_thread.run_sync(lambda: [_variable_read(r, names) for r in runs])
    return ReplicationRead(
        job_id=replica.id,
        source_job_id=source.id,
        status=replica.status,
        source_llm=_model_read(source),
        llm=_model_read(replica),
        documents=len(documents),
        variables=reads,
    )


def _model_read(job: ProcessingJob) -> ModelSettingsRead:
    return ModelSettingsRead.model_validate(job.llm or {"model": job.llm_model})


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    return bool(a == b)


def _variable_read(runs: _VariableRuns, names: dict[uuid.UUID, str]) -> ReplicationVariableRead:
    """Pure and CPU-bound (the bootstrap): runs in a worker thread."""
    variable = runs.variable
    first = [raw(v) for v in runs.first]
    second = [raw(v) for v in runs.second]
    differences = [
        ReplicationDifference(
            document_id=unit[0],
            document_name=names.get(unit[0], ""),
            entity=unit[1],
            source_value=a,
            value=b,
        )
        for unit, a, b in zip(runs.units, first, second, strict=True)
        if not _same(a, b)
    ]
    try:
        result: Reliability | str = alpha(
            [first, second], scale_for(variable.type), draws=DRAWS, seed=SEED
        )
    except UnreadableValue as error:
        result = f"a value is not readable on this scale: {error}"
    return ReplicationVariableRead(
        variable_id=variable.id,
        name=variable.name,
        type=variable.type,
        units=len(runs.units),
        differing_units=len(differences),
        agreement=_alpha_read(result, len(runs.units)),
        differences=differences[:MAX_DIFFERENCES],
    )


def _alpha_read(result: Reliability | str, units: int) -> AlphaRead:
    if isinstance(result, str):
        return undefined_alpha(result, coders=2, units=units)
    return alpha_read(result)
