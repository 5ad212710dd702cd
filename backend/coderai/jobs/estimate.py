"""The forecast of a job before it runs (docs/ARCHITECTURE.md, "Cost"): the documents it would
take, the calls the real chunk plan makes for the pairs it would not reuse, their prompt tokens
counted from the very messages the engine would send, completion tokens from the latest
sample's measured mean (else the max_tokens bound), the share of prompt tokens a provider's
prefix cache will serve, the cost at the model's price and the duration the rate limits allow.
"""

import asyncio
import math
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.config import Settings
from coderai.core.errors import Conflict
from coderai.extraction.call_sizes import CallSize, call_sizes
from coderai.extraction.types import DocumentInput, ExtractionOptions, VariablePrompt
from coderai.jobs import reuse as job_reuse
from coderai.jobs import service as job_service
from coderai.jobs.runner.items import extraction_options, load_prompts
from coderai.jobs.schemas import CostRange, JobEstimate, PriceRead
from coderai.llm.pricing import TOKEN_COUNT_ERROR, ModelPrice, lookup_price
from coderai.models import Document, ProcessingJob, Project
from coderai.models.enums import JobStatus, JobType

# Documents loaded and measured at a time (their text is held only for the batch).
_BATCH = 500


@dataclass
class CallTotals:
    calls: int = 0
    variables: int = 0  # summed over calls: completion grows with the variables asked
    prompt_tokens: int = 0
    cached_tokens: int = 0
    worst_prompt_tokens: int = 0
    max_completion_tokens: int = 0
    seen_prefixes: set[str] = field(default_factory=set)

    def add(self, sizes: list[CallSize]) -> None:
        for size in sizes:
            self.calls += 1
            self.variables += size.variables
            self.prompt_tokens += size.prompt_tokens
            self.worst_prompt_tokens += size.worst_prompt_tokens
            self.max_completion_tokens += size.max_tokens
            # The provider serves a prefix from cache once it has seen it (from the 2nd call).
            if size.static_key in self.seen_prefixes:
                self.cached_tokens += size.cacheable_tokens
            self.seen_prefixes.add(size.static_key)


@dataclass(frozen=True)
class CompletionBasis:
    tokens: int
    source: str  # SAMPLE | MAX_TOKENS
    sample_job_id: uuid.UUID | None
    per_call_and_variable: float | None


@dataclass(frozen=True)
class Cost:
    low: float
    expected: float
    high: float
    batch_expected: float | None


@dataclass(frozen=True)
class Estimate:
    model: str
    documents: int
    documents_reused: int
    reused_pairs: int
    totals: CallTotals
    completion: CompletionBasis
    price: ModelPrice | None
    cost: Cost | None
    duration_seconds: float
    requests_per_minute: int
    tokens_per_minute: int


async def estimate_job(
    session: AsyncSession,
    settings: Settings,
    project: Project,
    *,
    job_type: JobType,
    document_ids: list[uuid.UUID] | None,
    document_count: int | None,
    sample_seed: int | None,
    call_mode: str,
    model: str,
    reuse: bool,
) -> Estimate:
    """Forecast the job this request would create; refuses what job creation refuses (409)."""
    snapshot = await job_service.active_prompt_snapshot(session, project.id)
    if not snapshot:
        raise Conflict(job_service.NO_VARIABLES)
    chosen, _ = await job_service.choose_documents(
        session,
        project.id,
        job_type=job_type,
        document_ids=document_ids,
        document_count=document_count,
        sample_seed=sample_seed,
    )
    prompts = await load_prompts(session, snapshot)
    options = extraction_options(project, call_mode, settings)
    plan = job_reuse.ReusePlan.nothing(snapshot)
    if job_type is JobType.FULL and reuse:
        plan = await job_reuse.plan_reuse(session, project, snapshot, model, chosen)
    totals = CallTotals()
    for start in range(0, len(chosen), _BATCH):
        batch = chosen[start : start + _BATCH]
        rows = await session.execute(
            select(Document.id, Document.name, Document.text, Document.page_offsets).where(
                Document.id.in_(batch)
            )
        )
        documents = [
            (DocumentInput(r.id, r.name, r.text or "", list(r.page_offsets)), plan.remaining(r.id))
            for r in rows
        ]
        # Building every call's messages is CPU work: off the event loop.
        measured = await asyncio.to_thread(_measure, documents, prompts, options)
        for sizes in measured:
            totals.add(sizes)
    completion = await _completion(session, project.id, totals)
    price = lookup_price(model, settings.llm_prices)
    rpm, tpm = settings.llm_requests_per_minute, settings.llm_tokens_per_minute
    minutes = max(
        totals.calls / rpm if rpm else 0.0,
        (totals.prompt_tokens + completion.tokens) / tpm if tpm else 0.0,
    )
    return Estimate(
        model=model,
        documents=len(chosen),
        documents_reused=len(plan.reused_documents),
        reused_pairs=plan.pair_count,
        totals=totals,
        completion=completion,
        price=price,
        cost=_cost(totals, completion, price),
        duration_seconds=round(minutes * 60, 1),
        requests_per_minute=rpm,
        tokens_per_minute=tpm,
    )


def _measure(
    documents: list[tuple[DocumentInput, list[uuid.UUID] | None]],
    prompts: list[VariablePrompt],
    options: ExtractionOptions,
) -> list[list[CallSize]]:
    measured = []
    for document, remaining in documents:
        asked = prompts if remaining is None else [p for p in prompts if p.variable_id in remaining]
        measured.append(call_sizes(document, asked, options))
    return measured


async def _completion(
    session: AsyncSession, project_id: uuid.UUID, totals: CallTotals
) -> CompletionBasis:
    """Completion tokens: the latest finished sample's mean per call and variable, times the
    variables each planned call asks (at most its max_tokens); else the max_tokens bound."""
    sample = await session.scalar(
        select(ProcessingJob)
        .where(
            ProcessingJob.project_id == project_id,
            ProcessingJob.job_type == JobType.SAMPLE,
            ProcessingJob.status == JobStatus.COMPLETE,
            ProcessingJob.llm_calls > 0,
        )
        .order_by(ProcessingJob.completed_at.desc())
        .limit(1)
    )
    if sample is None:
        return CompletionBasis(totals.max_completion_tokens, "MAX_TOKENS", None, None)
    per = sample.completion_tokens / sample.llm_calls / max(1, len(sample.prompt_snapshot))
    tokens = min(math.ceil(per * totals.variables), totals.max_completion_tokens)
    return CompletionBasis(tokens, "SAMPLE", sample.id, round(per, 2))


def _usd(fresh: float, cached: float, completion: float, price: ModelPrice) -> float:
    total = fresh * price.input + cached * price.cached_input + completion * price.output
    return round(total / 1_000_000, 6)


def _cost(totals: CallTotals, completion: CompletionBasis, price: ModelPrice | None) -> Cost | None:
    """Expected: the counts as forecast. Low: tokens a counting error below (and no completion
    when no sample measured it). High: the worst case a budget reserves (generous prompt
    count, no cache, every max_tokens used)."""
    if price is None:
        return None
    cached = totals.cached_tokens
    fresh = totals.prompt_tokens - cached
    low_factor = 1 - TOKEN_COUNT_ERROR
    batch = None
    if price.batch_input is not None and price.batch_output is not None:
        batch = round(
            (totals.prompt_tokens * price.batch_input + completion.tokens * price.batch_output)
            / 1_000_000,
            6,
        )
    # Without a sample the completion is only bounded above: the low end counts none of it.
    low_completion = completion.tokens * low_factor if completion.source == "SAMPLE" else 0
    return Cost(
        low=_usd(fresh * low_factor, cached * low_factor, low_completion, price),
        expected=_usd(fresh, cached, completion.tokens, price),
        high=_usd(totals.worst_prompt_tokens, 0, totals.max_completion_tokens, price),
        batch_expected=batch,
    )


def require_price(model: str, settings: Settings) -> ModelPrice:
    """The model's price, or a 409: a budget cannot be kept in dollars nobody can count."""
    price = lookup_price(model, settings.llm_prices)
    if price is None:
        raise Conflict(
            f"No price is known for model '{model}', so a budget cannot be kept: add its "
            "prices to LLM_PRICES."
        )
    return price


def budget_of(
    requested: float | None, project: Project, model: str, settings: Settings
) -> Decimal | None:
    """A new job's cap: the request's, else the project's; refused for an unpriced model."""
    budget = Decimal(str(requested)) if requested is not None else project.budget_usd
    if budget is not None:
        require_price(model, settings)
    return budget


def to_wire(estimate: Estimate) -> JobEstimate:
    totals, price, cost = estimate.totals, estimate.price, estimate.cost
    return JobEstimate(
        model=estimate.model,
        documents=estimate.documents,
        documents_reused=estimate.documents_reused,
        reused_pairs=estimate.reused_pairs,
        planned_calls=totals.calls,
        prompt_tokens=totals.prompt_tokens,
        prompt_tokens_per_call=round(totals.prompt_tokens / totals.calls, 1)
        if totals.calls
        else None,
        cached_prompt_tokens=totals.cached_tokens,
        cached_share=round(totals.cached_tokens / totals.prompt_tokens, 4)
        if totals.prompt_tokens
        else None,
        completion_tokens=estimate.completion.tokens,
        completion_basis=estimate.completion.source,
        completion_sample_job_id=estimate.completion.sample_job_id,
        completion_tokens_per_call_and_variable=estimate.completion.per_call_and_variable,
        token_counting="APPROXIMATE",
        token_count_error=TOKEN_COUNT_ERROR,
        price_known=price is not None,
        price=PriceRead(**vars(price)) if price is not None else None,
        cost_usd=CostRange(**vars(cost)) if cost is not None else None,
        note=None
        if price is not None
        else f"No price is known for model '{estimate.model}': the cost is unknown (not zero). "
        "Add its prices to LLM_PRICES.",
        duration_seconds=estimate.duration_seconds,
        requests_per_minute=estimate.requests_per_minute,
        tokens_per_minute=estimate.tokens_per_minute,
    )
