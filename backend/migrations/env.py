"""Alembic environment: async engine on asyncpg, metadata from the ORM models."""

import asyncio
import os

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from coderai.core.database import to_asyncpg_url
from coderai.core.migrations import MIGRATION_LOCK_KEY
from coderai.models import Base

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("No database URL: set DATABASE_URL or use `coderai migrate`.")
    return to_asyncpg_url(url)


def run_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        # Processes starting together on one database wait here for each other; the one that
        # gets the lock first migrates, the others then find nothing left to do. A session
        # lock, committed at once so Alembic still opens (and commits) its own transaction.
        lock = {"key": MIGRATION_LOCK_KEY}
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), lock)
        await connection.commit()
        try:
            await connection.run_sync(_run)
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), lock)
            await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
