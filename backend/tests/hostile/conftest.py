"""Hostile input: an app with its bounds scaled down (so each attack shows the bound in a
second or two), an admin client on it, and `Watch`, which while an attack runs asks
`GET /health` every 0.1 s and samples the resident memory of this process and of the parser
children."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI

from coderai.core.config import Settings
from coderai.core.database import Database
from coderai.core.isolation import IsolatedPool
from coderai.main import create_app
from tests.conftest import empty_database
from tests.support.identity import bearer, user_with_token

MB = 1024 * 1024
# The bounds the attacks are judged against.
PARENT_RSS_GROWTH_BOUND = 300 * MB  # this process (the API) while one attack runs
CHILD_MEMORY_MB = 256  # each parser child, over what its imports take
HEALTH_ANSWER_BOUND_S = 1.0


def hostile_settings(settings: Settings, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "parse_workers": 2,
        "parse_memory_mb": CHILD_MEMORY_MB,
        "parse_timeout_seconds": 3.0,
        "max_upload_bytes": 8 * MB,
        "max_upload_request_bytes": 16 * MB,
        "max_request_bytes": 1 * MB,
        "max_expanded_bytes": 32 * MB,
        "max_document_chars": 2_000_000,
        "max_table_columns": 1000,
        "max_nesting_depth": 64,
        # No key configured, as on a fresh development machine: the app makes its own.
        "secret_key": None,
    }
    values.update(overrides)
    return settings.model_copy(update=values)


@pytest.fixture(scope="package")
async def hostile_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(hostile_settings(settings))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def hostile(
    hostile_app: FastAPI, db: Database, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    _, token = await user_with_token(db, "admin@example.org", admin=True, name="Ada Admin")
    transport = httpx.ASGITransport(app=hostile_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test/api/v1", headers=bearer(token), timeout=120
    ) as http:
        yield http
    await empty_database(db, settings)


def rss_bytes(pid: int | str = "self") -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return 0


@dataclass
class Watch:
    """Figures of one attack: the slowest `/health`, and peak memory (this process's growth
    over its level when the watch began, and the largest child)."""

    pool: IsolatedPool
    baseline: int = 0
    parent_peak: int = 0
    child_peak: int = 0
    health_slowest: float = 0.0
    health_answers: int = 0
    health_failures: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def parent_growth(self) -> int:
        return max(0, self.parent_peak - self.baseline)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.parent_peak = max(self.parent_peak, rss_bytes())
            for pid in self.pool.child_pids:
                self.child_peak = max(self.child_peak, rss_bytes(pid))
            time.sleep(0.02)

    async def _probe(self, http: httpx.AsyncClient) -> None:
        while True:
            started = time.monotonic()
            response = await http.get("/health")
            self.health_slowest = max(self.health_slowest, time.monotonic() - started)
            self.health_answers += 1
            if response.status_code != 200 or response.json()["database"] != "ok":
                self.health_failures.append(response.status_code)
            await asyncio.sleep(0.1)

    def assert_held(self, parent_bound: int = PARENT_RSS_GROWTH_BOUND) -> None:
        assert self.health_answers >= 1
        assert not self.health_failures, self.health_failures
        assert self.health_slowest < HEALTH_ANSWER_BOUND_S, self.health_slowest
        assert self.parent_growth < parent_bound, self.parent_growth / MB
        # A child never holds much more than its ceiling (imports + CHILD_MEMORY_MB).
        assert self.child_peak < 400 * MB + CHILD_MEMORY_MB * MB, self.child_peak / MB

    def figures(self) -> str:
        return (
            f"health slowest {self.health_slowest * 1000:.0f} ms over {self.health_answers} "
            f"probes; API RSS +{self.parent_growth / MB:.0f} MB; largest child "
            f"{self.child_peak / MB:.0f} MB"
        )


@contextlib.asynccontextmanager
async def watching(app: FastAPI, http: httpx.AsyncClient) -> AsyncIterator[Watch]:
    watch = Watch(app.state.parse_pool, baseline=rss_bytes())
    watch.parent_peak = watch.baseline
    sampler = threading.Thread(target=watch._sample, daemon=True)
    sampler.start()
    probe = asyncio.create_task(watch._probe(http))
    # The probe answers once before the attack starts, so a short attack still has a reading
    # (an in-process request may not yield to the probe before it is refused).
    while watch.health_answers == 0 and not probe.done():
        await asyncio.sleep(0.005)
    try:
        yield watch
    finally:
        probe.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await probe
        watch._stop.set()
        sampler.join()
        print(f"\n[{os.environ.get('PYTEST_CURRENT_TEST', '?').split(' ')[0]}] {watch.figures()}")
