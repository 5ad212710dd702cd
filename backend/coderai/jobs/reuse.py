"""Incremental runs (docs/ARCHITECTURE.md, "Cost"): a FULL job reuses the answer to a
(document, variable) pair that an earlier job of the project gave with a prompt of the same
content hash and the same model, copying its extractions (their origin recorded in
`reused_from_id`), and asks the model only for the pairs left. A document's text never
changes under its id, so the same document is the same content.

In ENTITY mode a call's answers are records shared by its variables, so a document is reused
whole (every variable answered by one earlier job) or not at all.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Uuid, and_, any_, bindparam, exists, func, insert, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from coderai.extraction.types import CALL_FAILED
from coderai.models import Extraction, JobItem, ProcessingJob, Project, Prompt
from coderai.models.enums import JobItemStatus, JobType, ObservationMode
from coderai.prompts.service import context_of

Pair = tuple[uuid.UUID, uuid.UUID]  # (document, variable)


@dataclass
class ReusePlan:
    """Which pairs a job copies and from which job; what each document still asks."""

    variables: list[uuid.UUID]
    prompts: dict[uuid.UUID, uuid.UUID]  # variable -> the job's prompt
    sources: dict[Pair, uuid.UUID] = field(default_factory=dict)  # pair -> job answered it
    flagged: set[uuid.UUID] = field(default_factory=set)  # documents with a reused flag

    @classmethod
    def nothing(cls, snapshot: dict[str, str]) -> "ReusePlan":
        return cls(
            variables=[uuid.UUID(v) for v in snapshot],
            prompts={uuid.UUID(v): uuid.UUID(p) for v, p in snapshot.items()},
        )

    @property
    def pair_count(self) -> int:
        return len(self.sources)

    def reused_variables(self, document_id: uuid.UUID) -> set[uuid.UUID]:
        return {v for v in self.variables if (document_id, v) in self.sources}

    def remaining(self, document_id: uuid.UUID) -> list[uuid.UUID] | None:
        """The variables still to ask for a document; None: all of them (nothing reused)."""
        reused = self.reused_variables(document_id)
        if not reused:
            return None
        return [v for v in self.variables if v not in reused]

    @property
    def reused_documents(self) -> set[uuid.UUID]:
        """Documents whose every answer is reused: they need no call."""
        documents = {document for document, _ in self.sources}
        return {d for d in documents if self.remaining(d) == []}


async def plan_reuse(
    session: AsyncSession,
    project: Project,
    snapshot: dict[str, str],
    llm_model: str,
    document_ids: list[uuid.UUID],
) -> ReusePlan:
    """The pairs of `document_ids` an earlier job of the project answered with the same
    prompt content and model, each from the latest such job whose item finished DONE with no
    failed call for that variable."""
    plan = ReusePlan.nothing(snapshot)
    if not document_ids or not snapshot:
        return plan
    hashes = dict(
        (
            await session.execute(
                select(Prompt.variable_id, Prompt.content_hash).where(
                    Prompt.id.in_(plan.prompts.values())
                )
            )
        ).all()
    )
    earlier = aliased(Prompt)
    failed = aliased(Extraction)
    call_failed = exists().where(
        failed.job_id == Extraction.job_id,
        failed.document_id == Extraction.document_id,
        failed.variable_id == Extraction.variable_id,
        literal(CALL_FAILED) == any_(failed.flags),
    )
    same_prompt = [
        and_(Extraction.variable_id == variable, earlier.content_hash == digest)
        for variable, digest in hashes.items()
    ]
    statement = (
        select(Extraction.document_id, Extraction.variable_id, Extraction.job_id)
        .ext(distinct_on(Extraction.document_id, Extraction.variable_id))
        .join(earlier, earlier.id == Extraction.prompt_id)
        .join(ProcessingJob, ProcessingJob.id == Extraction.job_id)
        .join(
            JobItem,
            (JobItem.job_id == Extraction.job_id) & (JobItem.document_id == Extraction.document_id),
        )
        .where(
            ProcessingJob.project_id == project.id,
            ProcessingJob.llm_model == llm_model,
            ProcessingJob.job_type.in_((JobType.SAMPLE, JobType.FULL)),
            JobItem.status == JobItemStatus.DONE,
            Extraction.document_id == func.any(_ids("documents", document_ids)),
            or_(*same_prompt),
            ~call_failed,
        )
        .order_by(Extraction.document_id, Extraction.variable_id, ProcessingJob.created_at.desc())
    )
    found = {(doc, var): job for doc, var, job in await session.execute(statement)}
    if context_of(project).unit.mode is ObservationMode.ENTITY:
        found = _whole_documents(found, plan.variables)
    plan.sources = found
    if found:
        flagged = await session.execute(
            select(Extraction.document_id, Extraction.variable_id, Extraction.job_id).where(
                Extraction.needs_review,
                Extraction.document_id == func.any(_ids("documents", document_ids)),
            )
        )
        plan.flagged = {doc for doc, var, job in flagged if found.get((doc, var)) == job}
    return plan


def _whole_documents(
    found: dict[Pair, uuid.UUID], variables: list[uuid.UUID]
) -> dict[Pair, uuid.UUID]:
    """ENTITY mode: keep a document's pairs only when one job answered all its variables."""
    kept: dict[Pair, uuid.UUID] = {}
    for document in {d for d, _ in found}:
        jobs = {found.get((document, v)) for v in variables}
        if len(jobs) == 1 and None not in jobs:
            kept.update({(document, v): found[(document, v)] for v in variables})
    return kept


def _ids(name: str, ids: list[uuid.UUID]) -> Any:
    """One array parameter (a list of ids can outgrow the driver's limit of parameters)."""
    return bindparam(name, ids, type_=ARRAY(Uuid()))


_COPIED = [
    "entity_index",
    "entity_key",
    "value",
    "display_value",
    "raw_value",
    "unit",
    "confidence",
    "source_text",
    "char_start",
    "char_end",
    "page",
    "reasoning",
    "grounding",
    "flags",
    "needs_review",
]


async def copy_answers(session: AsyncSession, job: ProcessingJob, plan: ReusePlan) -> None:
    """Copy the planned pairs' extractions into `job`, under the job's own prompts."""
    if not plan.sources:
        return
    sources = list(plan.sources.items())
    documents = [doc for (doc, _), _ in sources]
    variables = [var for (_, var), _ in sources]
    jobs = [source for _, source in sources]
    wanted = (
        select(
            func.unnest(_ids("documents", documents)).label("document_id"),
            func.unnest(_ids("variables", variables)).label("variable_id"),
            func.unnest(_ids("jobs", jobs)).label("job_id"),
        )
    ).subquery()
    prompts = select(
        func.unnest(_ids("prompt_variables", list(plan.prompts))).label("variable_id"),
        func.unnest(_ids("prompt_ids", list(plan.prompts.values()))).label("prompt_id"),
    ).subquery()
    version = select(Prompt.version).where(Prompt.id == prompts.c.prompt_id).scalar_subquery()
    rows = (
        select(
            func.gen_random_uuid(),
            literal(job.id),
            Extraction.document_id,
            Extraction.variable_id,
            prompts.c.prompt_id,
            version,
            *[getattr(Extraction, name) for name in _COPIED],
            Extraction.id,
        )
        .join(
            wanted,
            (wanted.c.document_id == Extraction.document_id)
            & (wanted.c.variable_id == Extraction.variable_id)
            & (wanted.c.job_id == Extraction.job_id),
        )
        .join(prompts, prompts.c.variable_id == Extraction.variable_id)
    )
    await session.execute(
        insert(Extraction).from_select(
            [
                "id",
                "job_id",
                "document_id",
                "variable_id",
                "prompt_id",
                "prompt_version",
                *_COPIED,
                "reused_from_id",
            ],
            rows,
        )
    )
    job.reused_pairs = plan.pair_count


def item_rows(
    job: ProcessingJob, document_ids: Iterable[uuid.UUID], plan: ReusePlan
) -> list[dict[str, Any]]:
    """One item per document: DONE when every answer was reused, else PENDING with the
    variables left to ask. Counts the job's done and flagged items accordingly."""
    rows = []
    done = plan.reused_documents
    now = datetime.now(UTC)
    for seq, document in enumerate(document_ids):
        finished = document in done
        rows.append(
            {
                "id": uuid.uuid4(),
                "job_id": job.id,
                "document_id": document,
                "seq": seq,
                "status": JobItemStatus.DONE if finished else JobItemStatus.PENDING,
                "variable_ids": None if finished else plan.remaining(document),
                "flagged": document in plan.flagged,  # a reused answer needs review
                "finished_at": now if finished else None,
            }
        )
    job.done_items = sum(1 for row in rows if row["status"] is JobItemStatus.DONE)
    job.flagged_items = sum(1 for row in rows if row["flagged"])
    return rows
