"""`/metrics` in the Prometheus text format: the process's instruments (`core.metrics`) and,
read at each scrape, the job queue as the database sees it. Who may read it is decided by
`auth.dependencies.authorise` (policy `Access.METRICS`: the metrics token or a configured
network), like every other route."""

from collections.abc import Iterable

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text

from coderai.core import metrics
from coderai.core.dependencies import DatabaseDep

router = APIRouter(tags=["monitoring"])

_OPEN_ITEMS = text(
    "SELECT j.status::text, i.status::text, count(*) FROM job_items AS i"
    " JOIN processing_jobs AS j ON j.id = i.job_id"
    " WHERE j.status IN ('PENDING', 'PROCESSING', 'PAUSED') GROUP BY 1, 2"
)


class _Rows(Collector):
    def __init__(self, rows: list[tuple[str, str, int]]) -> None:
        self.rows = rows

    def collect(self) -> Iterable[GaugeMetricFamily]:
        return metrics.queue_gauges(self.rows)


@router.get(
    "/metrics",
    operation_id="metrics-get",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
async def read_metrics(database: DatabaseDep) -> Response:
    """Counters and histograms of this process (HTTP, LLM, job runner, exports) and the job
    queue read from the database. Needs `Authorization: Bearer <METRICS_TOKEN>` or a client
    address in `METRICS_ALLOW_NETWORKS`."""
    async with database.engine.connect() as connection:
        rows = [(a, b, int(c)) for a, b, c in await connection.execute(_OPEN_ITEMS)]
    queue = CollectorRegistry(auto_describe=False)
    queue.register(_Rows(rows))
    body = generate_latest(metrics.REGISTRY) + generate_latest(queue)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
