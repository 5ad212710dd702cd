"""One job item end to end: load its inputs, run the extraction engine (holding no database
session), then store every extraction and the item's outcome in one transaction."""

import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from decimal import Decimal

from sqlalchemy import ScalarSelect, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core import metrics
from coderai.core.config import Settings
from coderai.core.database import Database
from coderai.extraction.call_sizes import CallSize, call_sizes
from coderai.extraction.plan import TooManyChunks
from coderai.extraction.types import (
    DocumentExtraction,
    DocumentInput,
    ExtractionOptions,
    VariablePrompt,
)
from coderai.jobs import service as job_service
from coderai.jobs.runner.claims import ClaimedItem
from coderai.llm import ModelChoice
from coderai.llm.pricing import ModelPrice, lookup_price
from coderai.models import (
    Document,
    Extraction,
    JobItem,
    ProcessingJob,
    ProcessingLog,
    Project,
    Prompt,
    Variable,
)
from coderai.models.enums import JobItemStatus, JobStatus, LogLevel
from coderai.prompts.service import context_of, definition_of

ExtractFn = Callable[
    [DocumentInput, list[VariablePrompt], ExtractionOptions], Awaitable[DocumentExtraction]
]


async def load_prompts(session: AsyncSession, snapshot: dict[str, str]) -> list[VariablePrompt]:
    """The variables and prompt versions a job was created with, in schema order."""
    prompt_ids = [uuid.UUID(p) for p in snapshot.values()]
    rows = await session.execute(
        select(Variable, Prompt)
        .join(Prompt, Prompt.variable_id == Variable.id)
        .where(Prompt.id.in_(prompt_ids))
        .order_by(Variable.order)
    )
    return [
        VariablePrompt(
            variable_id=variable.id,
            definition=definition_of(variable),
            prompt_id=prompt.id,
            prompt_version=prompt.version,
            prompt_text=prompt.prompt_text,
            llm_config=prompt.llm_config,
            response_schema=prompt.response_schema,
        )
        for variable, prompt in rows
    ]


def extraction_options(
    project: Project, call_mode: str, settings: Settings, llm: ModelChoice | None = None
) -> ExtractionOptions:
    """How a project's documents are extracted under these settings (jobs and previews)."""
    return ExtractionOptions(
        context=context_of(project),
        call_mode=call_mode,
        chunk_tokens=settings.chunk_tokens,
        entity_chunk_tokens=settings.entity_chunk_tokens,
        chunk_overlap_tokens=settings.chunk_overlap_tokens,
        ungrounded_confidence_cap=settings.ungrounded_confidence_cap,
        max_chunks=settings.max_chunks_per_document,
        document_first=settings.prompt_layout == "DOCUMENT_FIRST",
        llm=llm,
    )


def with_temperature(
    prompts: list[VariablePrompt], choice: ModelChoice | None
) -> list[VariablePrompt]:
    """The prompts at the job's temperature, when its model choice sets one."""
    if choice is None or choice.temperature is None:
        return prompts
    return [
        replace(p, llm_config={**p.llm_config, "temperature": choice.temperature}) for p in prompts
    ]


@dataclass(frozen=True)
class JobInputs:
    """What every item of a job runs with: its snapshot's prompts, the extraction options and
    the price of its model (None: unknown)."""

    prompts: list[VariablePrompt]
    options: ExtractionOptions
    price: ModelPrice | None = None


async def load_job_inputs(
    session: AsyncSession, job_id: uuid.UUID, settings: Settings
) -> JobInputs:
    job = await session.get_one(ProcessingJob, job_id)
    project = await session.get_one(Project, job.project_id)
    choice = ModelChoice.from_json(job.llm) if job.llm else None
    prompts = with_temperature(await load_prompts(session, job.prompt_snapshot), choice)
    call_mode = str(job.options.get("callMode", "combined"))
    price = lookup_price(job.llm_model or settings.llm_model, settings.llm_prices)
    return JobInputs(prompts, extraction_options(project, call_mode, settings, choice), price)


class JobInputsCache:
    """Job inputs loaded once per job and runner rather than once per item (three queries and
    the variables' validation): a job runs with its prompt snapshot, so they do not change
    while it runs. The most recently used jobs are kept."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._jobs: OrderedDict[uuid.UUID, JobInputs] = OrderedDict()
        self._methods_noted: set[tuple[uuid.UUID, str]] = set()

    def first_fallback(self, job_id: uuid.UUID, method: str | None) -> bool:
        """Whether this runner meets the job's calls falling back to `method` for the first
        time (its items run concurrently: only the first notes it in the job's log)."""
        if method in (None, "json_schema") or (job_id, str(method)) in self._methods_noted:
            return False
        self._methods_noted.add((job_id, str(method)))
        return True

    async def get(self, session: AsyncSession, job_id: uuid.UUID, settings: Settings) -> JobInputs:
        inputs = self._jobs.get(job_id)
        if inputs is None:
            inputs = await load_job_inputs(session, job_id, settings)
            self._jobs[job_id] = inputs
            while len(self._jobs) > self.size:
                self._jobs.popitem(last=False)
        self._jobs.move_to_end(job_id)
        return inputs


async def process_item(
    db: Database,
    settings: Settings,
    extract: ExtractFn,
    item: ClaimedItem,
    owner: str,
    inputs: JobInputsCache | None = None,
) -> None:
    started = time.monotonic()
    async with db.sessionmaker() as session:
        document = (
            await session.execute(
                select(Document.id, Document.name, Document.text, Document.page_offsets).where(
                    Document.id == item.document_id
                )
            )
        ).one_or_none()
        cache = inputs or JobInputsCache(size=1)
        job_inputs = await cache.get(session, item.job_id, settings)
        prompts, options = job_inputs.prompts, job_inputs.options
    if item.variable_ids is not None:  # the other variables' answers were reused
        asked = set(item.variable_ids)
        prompts = [prompt for prompt in prompts if prompt.variable_id in asked]

    if item.attempts > settings.runner_max_attempts:
        # Taken again after its process died too often: a document that crashes workers.
        await _record_failure(
            db, settings, item, owner, f"gave up after {item.attempts - 1} attempts"
        )
        return
    if document is None or document.text is None:
        await _record_failure(db, settings, item, owner, "the document has no text", final=True)
        return
    doc = DocumentInput(document.id, document.name, document.text, list(document.page_offsets))
    reserved = Decimal(0)
    try:
        if item.budget_usd is not None:
            worst = worst_case_usd(call_sizes(doc, prompts, options), job_inputs.price)
            if worst is None or not await _reserve(db, item, owner, worst, job_inputs.price):
                return  # the job paused at its budget; the item waits for it
            reserved = worst
        outcome = await extract(doc, prompts, options)
    except TooManyChunks as exc:  # refused before any call: retrying cannot help
        await _record_failure(db, settings, item, owner, str(exc), final=True, reserved=reserved)
        return
    except Exception as exc:  # the engine's own errors are per call; this is everything else
        await _record_failure(
            db, settings, item, owner, f"{type(exc).__name__}: {exc}", reserved=reserved
        )
        return
    # Failed calls: retry the whole document; on the last attempt keep what did come back.
    if outcome.failures and (not outcome.results or item.attempts < settings.runner_max_attempts):
        reasons = "; ".join(f"{f.kind}: {f.message}" for f in outcome.failures[:3])
        await _record_failure(db, settings, item, owner, reasons, usage=outcome, reserved=reserved)
        return
    note = cache.first_fallback(item.job_id, outcome.structured_method)
    duration_ms = int((time.monotonic() - started) * 1000)
    await _store_success(
        db,
        item,
        owner,
        outcome,
        duration_ms,
        [p.variable_id for p in prompts],
        reserved,
        note_method=note,
    )


def worst_case_usd(sizes: list[CallSize], price: ModelPrice | None) -> Decimal | None:
    """The most a document's calls can cost: the generous prompt estimate at the full input
    price (no cache) and every call's completion budget; None without a price."""
    if price is None:
        return None
    usd = sum(
        size.worst_prompt_tokens * price.input + size.max_tokens * price.output for size in sizes
    )
    return Decimal(str(round(usd / 1_000_000, 6)))


async def _reserve(
    db: Database, item: ClaimedItem, owner: str, worst: Decimal, price: ModelPrice | None
) -> bool:
    """Reserve the worst-case cost of the item's calls under the job's budget; when it does
    not fit, pause the job (BUDGET_REACHED) and hand the item back (docs/ARCHITECTURE.md,
    "Cost"). The spend then never passes the cap but by what calls in flight exceed their
    worst case."""
    async with db.transaction() as session:
        fits = await session.scalar(
            update(ProcessingJob)
            .where(
                ProcessingJob.id == item.job_id,
                or_(
                    ProcessingJob.budget_usd.is_(None),
                    ProcessingJob.cost_usd + ProcessingJob.reserved_usd + worst
                    <= ProcessingJob.budget_usd,
                ),
            )
            .values(reserved_usd=ProcessingJob.reserved_usd + worst)
            .returning(ProcessingJob.id)
        )
        if fits is not None:
            return True
        job = await job_service.get_job(session, item.job_id, for_update=True)
        row = await _lock_if_ours(session, item, owner)
        if row is not None:
            row.status = JobItemStatus.PENDING
            row.lease_owner = None
            row.lease_expires_at = None
            row.attempts = max(row.attempts - 1, 0)  # a wait, not a try
        if job.status in (JobStatus.PENDING, JobStatus.PROCESSING):
            job.status = JobStatus.PAUSED
            job.status_reason = (
                f"{job_service.BUDGET_REACHED}: the next document's calls (at most "
                f"${worst:.4f}) would take the spend (${job.cost_usd:.4f} spent, "
                f"${job.reserved_usd:.4f} in flight) past the budget of ${job.budget_usd:.4f}; "
                "raise budgetUsd and resume"
                if price is not None
                else f"{job_service.BUDGET_REACHED}: no price is known for model "
                f"{job.llm_model!r}, so its budget cannot be kept; set LLM_PRICES"
            )
            await job_service.log(
                session,
                job.id,
                LogLevel.WARNING,
                "budget_reached",
                job.status_reason,
                document_id=item.document_id,
                details={
                    "reason": job_service.BUDGET_REACHED,
                    "budgetUsd": str(job.budget_usd),
                    "spentUsd": str(job.cost_usd),
                    "reservedUsd": str(job.reserved_usd),
                    "nextUsd": str(worst),
                },
            )
        return False


async def _lock_if_ours(session: AsyncSession, item: ClaimedItem, owner: str) -> JobItem | None:
    row = await session.scalar(select(JobItem).where(JobItem.id == item.id).with_for_update())
    if row is None or row.status is not JobItemStatus.PROCESSING or row.lease_owner != owner:
        return None  # cancelled, or our lease expired and another runner took it
    return row


def _add_usage(job: ProcessingJob, outcome: DocumentExtraction) -> None:
    job.llm_calls += outcome.llm_calls
    job.prompt_tokens += outcome.prompt_tokens
    job.completion_tokens += outcome.completion_tokens
    job.cached_tokens += outcome.cached_tokens
    job.cost_usd += Decimal(str(round(outcome.cost_usd, 6)))


def _item_flagged(item_id: uuid.UUID) -> ScalarSelect[bool]:
    return select(JobItem.flagged).where(JobItem.id == item_id).scalar_subquery()


class _NotOurs(Exception):
    """The item was cancelled, or our lease expired and another runner took it."""


STRUCTURED_OUTPUT_EVENT = "structured_output"


async def _note_structured_method(session: AsyncSession, job_id: uuid.UUID, method: str) -> None:
    """Say once in the job's log that its model server refused json_schema structured output
    and how its calls ask for JSON instead (the client remembers it per server and model);
    another runner, or this one after a restart, finds the entry and adds none."""
    noted = await session.scalar(
        select(ProcessingLog.id)
        .where(
            ProcessingLog.job_id == job_id,
            ProcessingLog.event == STRUCTURED_OUTPUT_EVENT,
            ProcessingLog.details["method"].astext == method,
        )
        .limit(1)
    )
    if noted is None:
        await job_service.log(
            session,
            job_id,
            LogLevel.INFO,
            STRUCTURED_OUTPUT_EVENT,
            f"The model server refused json_schema structured output: calls ask by {method}.",
            details={"method": method},
        )


async def _store_success(
    db: Database,
    item: ClaimedItem,
    owner: str,
    outcome: DocumentExtraction,
    duration_ms: int,
    asked: list[uuid.UUID],
    reserved: Decimal = Decimal(0),
    *,
    note_method: bool = False,
) -> None:
    """Store the extractions, then update the job row and the item last. Every item of a job
    goes through the job row, so its lock is held only for those two updates and the commit
    (not for the extraction writes, nor for counting open items but at the last item); and it
    is taken before the item's, in the order `cancel_job` takes them, so that a cancel cannot
    deadlock with a store."""
    try:
        async with db.transaction() as session:
            await session.execute(
                delete(Extraction).where(
                    Extraction.job_id == item.job_id,
                    Extraction.document_id == item.document_id,
                    Extraction.variable_id.in_(asked),  # reused answers stay
                )
            )
            if outcome.results:
                await session.execute(
                    insert(Extraction),
                    [
                        {
                            "id": uuid.uuid4(),
                            "job_id": item.job_id,
                            "document_id": item.document_id,
                            **asdict(result),
                        }
                        for result in outcome.results
                    ],
                )
            for failure in outcome.failures:
                await job_service.log(
                    session,
                    item.job_id,
                    LogLevel.WARNING,
                    "call_failed",
                    f"Chunk {failure.chunk_index} ({', '.join(failure.variables)}): "
                    f"{failure.kind}: {failure.message}",
                    document_id=item.document_id,
                )
            if note_method and outcome.structured_method:
                await _note_structured_method(session, item.job_id, outcome.structured_method)
            job = await session.scalar(
                update(ProcessingJob)
                .where(ProcessingJob.id == item.job_id)
                .values(
                    done_items=ProcessingJob.done_items + 1,
                    # An item already flagged (a reused answer needs review) counts once.
                    flagged_items=ProcessingJob.flagged_items
                    + case((_item_flagged(item.id), 0), else_=int(outcome.flagged)),
                    consecutive_failures=0,
                    llm_calls=ProcessingJob.llm_calls + outcome.llm_calls,
                    prompt_tokens=ProcessingJob.prompt_tokens + outcome.prompt_tokens,
                    completion_tokens=ProcessingJob.completion_tokens + outcome.completion_tokens,
                    cached_tokens=ProcessingJob.cached_tokens + outcome.cached_tokens,
                    cost_usd=ProcessingJob.cost_usd + Decimal(str(round(outcome.cost_usd, 6))),
                    reserved_usd=func.greatest(ProcessingJob.reserved_usd - reserved, 0),
                )
                .returning(ProcessingJob)
            )
            ours = await session.scalar(
                update(JobItem)
                .where(
                    JobItem.id == item.id,
                    JobItem.status == JobItemStatus.PROCESSING,
                    JobItem.lease_owner == owner,
                )
                .values(
                    status=JobItemStatus.DONE,
                    flagged=JobItem.flagged | outcome.flagged,
                    error=None,
                    lease_owner=None,
                    lease_expires_at=None,
                    llm_calls=outcome.llm_calls,
                    finished_at=job_service.now(),
                    duration_ms=duration_ms,
                )
                .returning(JobItem.id)
            )
            if job is None or ours is None:
                raise _NotOurs  # roll back the extractions and the job's counts
            if job.done_items + job.failed_items >= job.total_items:
                # The job's last item (the count in `finish_if_done` makes sure). A job whose
                # items vanished with their documents never gets here: the runner's sweep
                # (`queue_manager.finish_drained_jobs`) closes it.
                await job_service.finish_if_done(session, job)
    except _NotOurs:
        return
    metrics.item_finished("done", duration_ms / 1000)


async def _record_failure(
    db: Database,
    settings: Settings,
    item: ClaimedItem,
    owner: str,
    reason: str,
    *,
    final: bool = False,
    usage: DocumentExtraction | None = None,
    reserved: Decimal = Decimal(0),
) -> None:
    """Retry the item later, or fail it for good after the last attempt; pause the job after
    too many failures in a row."""
    async with db.transaction() as session:
        # Job row first, then the item: the same order as cancel_job, so they cannot deadlock.
        job = await job_service.get_job(session, item.job_id, for_update=True)
        job.reserved_usd = max(job.reserved_usd - reserved, Decimal(0))
        row = await _lock_if_ours(session, item, owner)
        if row is None:
            return
        if usage is not None:
            _add_usage(job, usage)
        row.lease_owner = None
        row.lease_expires_at = None
        row.error = reason
        if not final and item.attempts < settings.runner_max_attempts:
            row.status = JobItemStatus.PENDING
            await job_service.log(
                session,
                job.id,
                LogLevel.WARNING,
                "item_retry",
                f"Attempt {item.attempts} failed, will retry: {reason}",
                document_id=item.document_id,
            )
            metrics.item_finished("retry")
            return
        metrics.item_finished("failed")
        row.status = JobItemStatus.FAILED
        row.finished_at = job_service.now()
        job.failed_items += 1
        job.consecutive_failures += 1
        await job_service.log(
            session,
            job.id,
            LogLevel.ERROR,
            "item_failed",
            f"Document failed after {item.attempts} attempt(s): {reason}",
            document_id=item.document_id,
        )
        limit = settings.runner_auto_pause_after_failures
        if job.consecutive_failures >= limit and job.status is JobStatus.PROCESSING:
            job.status = JobStatus.PAUSED
            job.status_reason = (
                f"paused automatically after {job.consecutive_failures} documents failed in a "
                f"row; last error: {reason}"
            )
            await job_service.log(
                session, job.id, LogLevel.ERROR, "job_auto_paused", job.status_reason
            )
        await job_service.finish_if_done(session, job)
