"""`/metrics`: Prometheus text with HTTP, LLM, runner and queue figures that agree with what
the fake LLM itself counted; readable only with the metrics token or from an allowed network."""

import ipaddress
from collections import defaultdict

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from coderai.core.config import Settings
from coderai.core.database import Database
from coderai.jobs.runner import claims
from coderai.main import create_app
from tests.jobs.test_jobs import setup_trials, wait_for
from tests.support.fake_llm import FakeLLM

TOKEN = "scrape-me-please"
METRICS_URL = "http://test/metrics"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    samples: Samples = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] += sample.value
    return samples


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(value for (n, keys), value in samples.items() if n == name and wanted <= keys)


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get(METRICS_URL, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


@pytest.mark.runner(metrics_token=SecretStr(TOKEN), runner_concurrency=2)
async def test_after_a_sample_job_the_counters_equal_the_fake_llms_own(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    setup = await setup_trials(runner_client, fake_llm, documents=6)
    before = await scrape(runner_client)
    fake_llm.reset_stats()
    # One 429 on the way: a retry, counted as a rate-limited request and not as a call.
    fake_llm.inject("429", times=1, retry_after=0.05)
    created = await runner_client.post(
        f"/projects/{setup['project']['id']}/jobs",
        json={"jobType": "SAMPLE", "documentCount": 6},
    )
    assert created.status_code == 201, created.text
    job = await wait_for(runner_client, created.json()["id"], {"COMPLETE"})
    progress = (await runner_client.get(f"/jobs/{job['id']}/progress")).json()
    after = await scrape(runner_client)
    stats = fake_llm.stats

    def delta(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    model = {"model": "fake-model"}
    assert stats.total_requests >= 7
    assert delta("coderai_llm_requests_total", **model) == stats.total_requests
    assert delta("coderai_llm_requests_total", outcome="rate_limited", **model) == 1
    assert delta("coderai_llm_requests_total", outcome="ok", **model) == stats.accepted_requests
    assert delta("coderai_llm_calls_total", outcome="ok", **model) == stats.accepted_requests
    assert delta("coderai_llm_retries_total", **model) == 1
    assert delta("coderai_llm_request_duration_seconds_count", **model) == stats.total_requests
    for kind, counted in (
        ("prompt", stats.prompt_tokens),
        ("cached", stats.cached_tokens),
        ("completion", stats.completion_tokens),
    ):
        assert delta("coderai_llm_tokens_total", kind=kind, **model) == counted, kind
    assert stats.prompt_tokens > 0 and stats.completion_tokens > 0
    # The job's own accounting agrees too.
    assert delta("coderai_llm_calls_total", **model) == progress["llmCalls"]
    assert delta("coderai_job_items_processed_total", outcome="done") == 6
    assert delta("coderai_job_item_duration_seconds_count") == 6
    # HTTP latency histograms by route template (never by raw path) and status.
    jobs_route = {"method": "POST", "route": "/api/v1/projects/{projectId}/jobs", "status": "201"}
    assert delta("coderai_http_request_duration_seconds_count", **jobs_route) == 1
    assert delta("coderai_http_request_duration_seconds_bucket", le="+Inf", **jobs_route) == 1
    polled = {"method": "GET", "route": "/api/v1/jobs/{jobId}", "status": "200"}
    assert delta("coderai_http_requests_total", **polled) >= 1
    assert not any(job["id"] in dict(keys).get("route", "") for _, keys in after)
    # Runner gauges: its concurrency, nothing left in flight, nothing waiting in the queue.
    assert total(after, "coderai_runner_concurrency") == 2
    assert total(after, "coderai_runner_items_in_flight") == 0
    assert total(after, "coderai_job_queue_depth") == 0


async def test_queue_gauges_and_lease_takeovers(
    client: httpx.AsyncClient, db: Database, settings: Settings, fake_llm: FakeLLM
) -> None:
    """With no runner, a created job's items wait: the queue depth is read from the database.
    Items claimed again after their lease lapsed count as take-overs."""
    setup = await setup_trials(client, fake_llm, documents=3)
    metrics_app = create_app(
        settings.model_copy(
            update={
                "metrics_token": SecretStr(TOKEN),
                "llm_base_url": fake_llm.base_url,
                "llm_api_key": SecretStr("test-key"),
            }
        )
    )
    async with metrics_app.router.lifespan_context(metrics_app):
        transport = httpx.ASGITransport(app=metrics_app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test/api/v1", headers=client.headers
        ) as http:
            created = await http.post(
                f"/projects/{setup['project']['id']}/jobs", json={"jobType": "FULL"}
            )
            assert created.status_code == 201, created.text
            samples = await scrape(http)
            assert total(samples, "coderai_job_queue_depth") == 3
            assert total(samples, "coderai_job_items", job_status="PENDING", status="PENDING") == 3
            # A runner claims them and dies (its leases lapse at once); another takes them over.
            async with db.transaction() as session:
                first = await claims.claim_items(session, owner="dead", limit=10, lease_seconds=0)
            after_first = await scrape(http)
            async with db.transaction() as session:
                second = await claims.claim_items(
                    session, owner="alive", limit=10, lease_seconds=60
                )
            after_second = await scrape(http)
    assert len(first) == len(second) == 3
    takeovers = "coderai_job_lease_takeovers_total"
    assert total(after_first, takeovers) == total(samples, takeovers)
    assert total(after_second, takeovers) - total(after_first, takeovers) == 3
    assert (
        total(after_second, "coderai_job_items", job_status="PROCESSING", status="PROCESSING") == 3
    )
    assert total(after_second, "coderai_job_queue_depth") == 0


async def test_metrics_need_the_token_or_an_allowed_network(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    # `app` has no metrics token and no network: nobody, not even an admin's API token.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as anyone:
        for headers in ({}, dict(client.headers), {"Authorization": f"Bearer {TOKEN}"}):
            refused = await anyone.get("/metrics", headers=headers)
            assert refused.status_code == 401, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
    with_token = create_app(settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}))
    with_token.state.db = app.state.db
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=with_token), base_url="http://test"
    ) as anyone:
        assert (await anyone.get("/metrics")).status_code == 401
        wrong = await anyone.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await anyone.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert "coderai_http_requests_total" in right.text
    # The test client connects from 127.0.0.1.
    for networks, status in ((["10.0.0.0/8"], 401), (["127.0.0.0/8", "::1/128"], 200)):
        by_network = create_app(
            settings.model_copy(
                update={"metrics_allow_networks": [ipaddress.ip_network(n) for n in networks]}
            )
        )
        by_network.state.db = app.state.db
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=by_network), base_url="http://test"
        ) as anyone:
            assert (await anyone.get("/metrics")).status_code == status, networks
