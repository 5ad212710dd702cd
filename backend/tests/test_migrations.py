"""Migrations are reversible: upgrade → downgrade to base → upgrade on a fresh database."""

import asyncio

import asyncpg
from sqlalchemy.engine import make_url

from coderai.core import migrations
from tests.support.database import recreate_database


async def _tables(url: str) -> set[str]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT tablename FROM pg_tables "
            "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        types = await connection.fetch("SELECT typname FROM pg_type WHERE typtype = 'e'")
    finally:
        await connection.close()
    return {r["tablename"] for r in rows} | {f"enum:{r['typname']}" for r in types}


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    url = asyncio.run(
        recreate_database(database_url, make_url(database_url).database + "_migrations")
    )
    migrations.upgrade(url)
    after_first = asyncio.run(_tables(url))
    assert {"projects", "variables", "prompts", "enum:variable_type"} <= after_first

    migrations.downgrade(url, "base")
    assert asyncio.run(_tables(url)) == set()

    migrations.upgrade(url)
    assert asyncio.run(_tables(url)) == after_first
