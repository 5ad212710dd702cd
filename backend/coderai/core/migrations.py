"""Apply Alembic migrations programmatically (app start-up, `coderai migrate`, tests).

Several processes may start at once on one database: `upgrade` runs under a PostgreSQL
advisory lock (taken in `migrations/env.py`), and a database migrated by newer code is refused.
"""

import asyncio
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Any fixed 64-bit key: every CoderAI process migrating this database takes the same one.
MIGRATION_LOCK_KEY = 0x436F646572414921  # "CoderAI!"


class UnknownRevision(RuntimeError):
    """The database carries an Alembic revision this code does not know (newer code ran)."""


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolates '%'; URLs may carry percent-escapes.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def _current_revisions(database_url: str) -> list[str]:
    dsn = make_url(database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        if await connection.fetchval("SELECT to_regclass('alembic_version')") is None:
            return []
        rows = await connection.fetch("SELECT version_num FROM alembic_version")
    finally:
        await connection.close()
    return [row["version_num"] for row in rows]


def check_revision(database_url: str) -> None:
    """Raise `UnknownRevision` if the database was migrated past what this code knows.

    Blocking (runs its own event loop): call from a thread."""
    current = asyncio.run(_current_revisions(database_url))
    script = ScriptDirectory.from_config(alembic_config(database_url))
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = sorted(set(current) - known)
    if unknown:
        raise UnknownRevision(
            f"the database is at migration {', '.join(unknown)}, which this version of "
            f"CoderAI does not know (its newest is {script.get_current_head()}): the database "
            "was migrated by newer code; run that version, or restore a matching backup"
        )


def upgrade(database_url: str, revision: str = "head") -> None:
    """Blocking (Alembic's async env runs its own event loop): call from a thread."""
    check_revision(database_url)
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
