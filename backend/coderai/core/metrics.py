"""Prometheus instruments for the whole process, and the one-line hooks the code calls where it
measures (docs/ARCHITECTURE.md, "Metrics"). Pure: prometheus_client only, no web or database
code, so the LLM client and the engine may call it. `core.monitoring` serves `/metrics`.

Counters live in the process (one registry); every API process and worker exposes its own.
"""

from __future__ import annotations

import functools
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, ParamSpec, Protocol, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

P = ParamSpec("P")
T = TypeVar("T")

REGISTRY = CollectorRegistry(auto_describe=True)

# Seconds: requests and LLM calls span a millisecond to minutes.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

HTTP_REQUESTS = Counter(
    "coderai_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "coderai_http_request_duration_seconds",
    "HTTP request duration, by method, route template and status.",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
LLM_CALLS = Counter(
    "coderai_llm_calls",
    "Structured LLM calls (retries included in one call), by model and outcome.",
    ["model", "outcome"],
    registry=REGISTRY,
)
LLM_CALL_LATENCY = Histogram(
    "coderai_llm_call_duration_seconds",
    "LLM call duration including retries and rate-limit waits, by model.",
    ["model"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
LLM_REQUESTS = Counter(
    "coderai_llm_requests",
    "HTTP requests sent to the model (one per attempt), by model and outcome "
    "(rate_limited = the provider answered 429).",
    ["model", "outcome"],
    registry=REGISTRY,
)
LLM_REQUEST_LATENCY = Histogram(
    "coderai_llm_request_duration_seconds",
    "Duration of one HTTP request to the model, by model.",
    ["model"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
LLM_RETRIES = Counter(
    "coderai_llm_retries",
    "Attempts beyond the first within LLM calls, by model.",
    ["model"],
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "coderai_llm_tokens",
    "Tokens the provider reported, by model and kind (prompt, cached ⊆ prompt, completion).",
    ["model", "kind"],
    registry=REGISTRY,
)
LLM_COST = Counter(
    "coderai_llm_cost_usd",
    "What the calls cost at the configured prices (USD), by model.",
    ["model"],
    registry=REGISTRY,
)
JOB_ITEMS = Counter(
    "coderai_job_items_processed",
    "Job items this process finished, by outcome (done, retry, failed).",
    ["outcome"],
    registry=REGISTRY,
)
JOB_ITEM_LATENCY = Histogram(
    "coderai_job_item_duration_seconds",
    "Time to code one document (a DONE item), load to store.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
LEASE_TAKEOVERS = Counter(
    "coderai_job_lease_takeovers",
    "Items claimed from another runner whose lease had lapsed (a dead or stalled process).",
    registry=REGISTRY,
)
EXPORT_LATENCY = Histogram(
    "coderai_export_duration_seconds",
    "Time to build an export file, by format.",
    ["format"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)

# --- HTTP ----------------------------------------------------------------------------------


def observe_http(method: str, route: str, status: int, seconds: float) -> None:
    """One answered request (called by `core.access` with the route template)."""
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route, str(status)).observe(seconds)


# --- LLM -----------------------------------------------------------------------------------


class _Usage(Protocol):
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int


class _HasModel(Protocol):
    model: str


def _outcome_of(exc: BaseException, classify: Callable[[BaseException], str | None]) -> str:
    kind = getattr(exc, "kind", None)  # the LLM errors carry their kind
    return str(kind) if isinstance(kind, str) else classify(exc) or "error"


def _count_usage(model: str, usage: _Usage | None, cost: float) -> None:
    if usage is not None:
        LLM_TOKENS.labels(model, "prompt").inc(usage.prompt_tokens)
        LLM_TOKENS.labels(model, "cached").inc(usage.cached_tokens)
        LLM_TOKENS.labels(model, "completion").inc(usage.completion_tokens)
    LLM_COST.labels(model).inc(max(cost, 0.0))


def llm_call(
    method: Callable[P, Awaitable[T]],
) -> Callable[P, Awaitable[T]]:
    """Decorates `LLMClient.complete_structured`: the call's outcome, duration, retries and
    the usage and cost of its answer (failed attempts before it were answered with no usage)."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        client: _HasModel = args[0]  # type: ignore[assignment]
        model = client.model
        started = time.perf_counter()
        try:
            result = await method(*args, **kwargs)
        except Exception as exc:
            LLM_CALLS.labels(model, _outcome_of(exc, lambda _: None)).inc()
            _count_usage(model, getattr(exc, "usage", None), getattr(exc, "cost_usd", 0.0))
            LLM_RETRIES.labels(model).inc(max(getattr(exc, "attempts", 1) - 1, 0))
            raise
        finally:
            LLM_CALL_LATENCY.labels(model).observe(time.perf_counter() - started)
        LLM_CALLS.labels(model, "ok").inc()
        _count_usage(model, getattr(result, "usage", None), getattr(result, "cost_usd", 0.0))
        LLM_RETRIES.labels(model).inc(max(getattr(result, "attempts", 1) - 1, 0))
        return result

    return wrapper


def llm_request(
    classify: Callable[[BaseException], str | None],
) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Decorates the client's one-HTTP-attempt method: its outcome (`classify` names a
    provider error's kind) and duration."""

    def decorate(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(method)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            client: _HasModel = args[0]  # type: ignore[assignment]
            started = time.perf_counter()
            outcome = "ok"
            try:
                return await method(*args, **kwargs)
            except Exception as exc:
                outcome = _outcome_of(exc, classify)
                raise
            except BaseException:  # cancelled (a cancelled job, shutdown): no answer came
                outcome = "cancelled"
                raise
            finally:
                LLM_REQUESTS.labels(client.model, outcome).inc()
                LLM_REQUEST_LATENCY.labels(client.model).observe(time.perf_counter() - started)

        return wrapper

    return decorate


# --- jobs ----------------------------------------------------------------------------------


def item_finished(outcome: str, seconds: float | None = None) -> None:
    """A job item stored DONE (with its duration), sent back for a retry, or FAILED."""
    JOB_ITEMS.labels(outcome).inc()
    if seconds is not None:
        JOB_ITEM_LATENCY.observe(seconds)


def leases_taken_over(count: int) -> None:
    if count:
        LEASE_TAKEOVERS.inc(count)


class _Runner(Protocol):
    # core imports no domain: the job runner is known by these attributes only.
    concurrency: int

    @property
    def in_flight(self) -> int: ...

    @property
    def queued(self) -> int: ...


class _RunnerCollector(Collector):
    """Concurrency, items in flight and claimed-but-not-started items of the process's live
    runners, read at scrape time."""

    def __init__(self) -> None:
        self.runners: weakref.WeakSet[Any] = weakref.WeakSet()

    def collect(self) -> Iterable[GaugeMetricFamily]:
        runners: list[_Runner] = list(self.runners)
        yield GaugeMetricFamily(
            "coderai_runner_concurrency",
            "Items this process's job runners may work on at once.",
            value=sum(runner.concurrency for runner in runners),
        )
        yield GaugeMetricFamily(
            "coderai_runner_items_in_flight",
            "Items this process's job runners are working on.",
            value=sum(runner.in_flight for runner in runners),
        )
        yield GaugeMetricFamily(
            "coderai_runner_items_queued",
            "Items claimed by this process and waiting for a free worker.",
            value=sum(runner.queued for runner in runners),
        )


_runners = _RunnerCollector()
REGISTRY.register(_runners)


def watch_runner(runner: _Runner) -> None:
    """Report a started runner's gauges (it is forgotten when it is garbage)."""
    _runners.runners.add(runner)


def forget_runner(runner: _Runner) -> None:
    _runners.runners.discard(runner)


# --- exports -------------------------------------------------------------------------------


class _Timer:
    def __init__(self, histogram: Histogram) -> None:
        self.histogram = histogram

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc_info: object) -> None:
        self.histogram.observe(time.perf_counter() - self.started)


def export_timer(file_format: str) -> _Timer:
    """`with metrics.export_timer(fmt):` around the writing of an export."""
    return _Timer(EXPORT_LATENCY.labels(file_format))


def queue_gauges(rows: Iterable[tuple[str, str, int]]) -> Iterator[GaugeMetricFamily]:
    """The database's view, read by `/metrics` on each scrape: open jobs' items by job status
    and item status, and the queue depth (items waiting to be claimed in runnable jobs)."""
    items = GaugeMetricFamily(
        "coderai_job_items",
        "Items of open jobs (PENDING, PROCESSING, PAUSED), by job status and item status; "
        "the same in every process (it is read from the database).",
        labels=["job_status", "status"],
    )
    depth = 0
    for job_status, status, count in rows:
        items.add_metric([job_status, status], count)
        if status == "PENDING" and job_status in ("PENDING", "PROCESSING"):
            depth += count
    yield items
    yield GaugeMetricFamily(
        "coderai_job_queue_depth",
        "Items waiting to be claimed in runnable jobs (read from the database).",
        value=depth,
    )
