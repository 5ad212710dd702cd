"""Suite fixtures: one migrated PostgreSQL database, an app on it, an HTTP client, and
truncation after every test so each test starts from empty tables."""

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from coderai.core import migrations
from coderai.core.config import Settings
from coderai.core.database import Database, create_engine
from coderai.main import create_app
from coderai.models import Base
from tests.support.database import reset_schema, server_url
from tests.support.fake_llm import FakeLLM
from tests.support.identity import bearer, user_with_token

pytest_plugins = ["tests.support.fake_llm.fixtures"]


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = server_url()
    asyncio.run(reset_schema(url))
    migrations.upgrade(url)
    yield url


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        migrate_on_start=False,
        runner_enabled=False,
        log_level="WARNING",
        max_upload_bytes=2 * 1024 * 1024,
        secret_key="a-test-key-nobody-deploys-0123456789",
        # httpx's ASGI clients in this suite call http://test.
        allowed_hosts=["test", "127.0.0.1", "localhost"],
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def db(database_url: str, settings: Settings) -> AsyncIterator[Database]:
    database = Database(create_engine(database_url, settings))
    yield database
    await database.dispose()


async def empty_database(db: Database, settings: Settings) -> None:
    """Each test starts from empty tables and an empty file store."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with db.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    shutil.rmtree(settings.files_dir, ignore_errors=True)


@pytest.fixture
async def client(
    app: FastAPI, db: Database, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin's API client (tests of who may do what make their own accounts)."""
    _, token = await user_with_token(db, "admin@example.org", admin=True, name="Ada Admin")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test/api/v1", headers=bearer(token)
    ) as http:
        yield http
    await empty_database(db, settings)


def runner_settings(settings: Settings, fake: FakeLLM, **overrides: object) -> Settings:
    """Settings for an app whose job runner talks to the fake LLM, tuned for fast tests."""
    values: dict[str, object] = {
        "llm_base_url": fake.base_url,
        "llm_api_key": "test-key",
        "llm_model": "fake-model",
        "runner_enabled": True,
        "runner_concurrency": 4,
        "runner_lease_seconds": 5,
        "runner_poll_seconds": 0.05,
        "llm_max_retries": 3,
        "llm_timeout_seconds": 5.0,
        "llm_requests_per_minute": 100_000,
        "llm_tokens_per_minute": 100_000_000,
    }
    values.update(overrides)
    return settings.model_copy(update=values)


@pytest.fixture
async def runner_client(
    settings: Settings, fake_llm: FakeLLM, db: Database, request: pytest.FixtureRequest
) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app with a running job runner and the fake LLM; settings can be tuned
    with `@pytest.mark.runner(option=value)`."""
    marker = request.node.get_closest_marker("runner")
    application = create_app(
        runner_settings(settings, fake_llm, **(marker.kwargs if marker else {}))
    )
    _, token = await user_with_token(db, "admin@example.org", admin=True, name="Ada Admin")
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test/api/v1", headers=bearer(token)
        ) as http:
            yield http
    await empty_database(db, settings)
