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


@pytest.fixture
async def client(
    app: FastAPI, db: Database, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        yield http
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with db.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    shutil.rmtree(settings.files_dir, ignore_errors=True)
