"""Test databases on a real PostgreSQL: TEST_DATABASE_URL when set, else an embedded server."""

import os
import tempfile
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from coderai.core.database import start_embedded_postgres, to_asyncpg_url


def server_url() -> str:
    """asyncpg URL of the database the suite owns (created fresh by CI, or embedded)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return to_asyncpg_url(url)
    pgdata = Path(tempfile.gettempdir()) / "coderai-test-pg"
    _server, embedded = start_embedded_postgres(pgdata)
    return embedded


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sibling_url(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def reset_schema(url: str) -> None:
    connection = await asyncpg.connect(_dsn(url))
    try:
        await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


async def recreate_database(url: str, database: str) -> str:
    """Drop and create a sibling database on the same server; returns its URL."""
    connection = await asyncpg.connect(_dsn(url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()
    return sibling_url(url, database)


async def drop_database(url: str, database: str) -> None:
    """Drop a sibling database made by `recreate_database` (its connections are ended)."""
    connection = await asyncpg.connect(_dsn(url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()
