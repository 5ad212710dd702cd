"""Start-up on a shared database: processes starting at once on an empty database migrate it
once between them (an advisory lock), and a database migrated by newer code is refused."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from coderai.core import migrations
from coderai.core.config import Settings
from coderai.main import create_app
from tests.support.database import recreate_database
from tests.support.processes import ChildProcesses, child_env, wait_until_healthy

FIRST_REVISION = "0001"


@pytest.fixture
def children(tmp_path: Path) -> Iterator[ChildProcesses]:
    group = ChildProcesses(tmp_path)
    try:
        yield group
    finally:
        group.close()


def _fresh_database(database_url: str, suffix: str) -> str:
    name = make_url(database_url).database + suffix
    return asyncio.run(recreate_database(database_url, name))


async def _stamp(url: str, revision: str) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("UPDATE alembic_version SET version_num = $1", revision)
    finally:
        await connection.close()


def test_three_processes_starting_at_once_migrate_an_empty_database_once(
    database_url: str, children: ChildProcesses, tmp_path: Path
) -> None:
    url = _fresh_database(database_url, "_concurrent")
    env = child_env(
        DATABASE_URL=url,
        DATA_DIR=str(tmp_path / "data"),
        MIGRATE_ON_START="true",
        RUNNER_ENABLED="false",
        LOG_LEVEL="INFO",
    )
    started = [children.launch_api(f"api-{index}", env) for index in range(3)]
    for child in started:
        wait_until_healthy(child, timeout=120)
    logs = [child.output(tail=1_000_000) for child in started]
    # Alembic logs "Running upgrade  -> 0001…" for each migration it applies.
    first_steps = sum(log.count(f"-> {FIRST_REVISION}") for log in logs)
    assert first_steps == 1, "\n---\n".join(logs)
    assert all("Traceback" not in log and "ERROR" not in log for log in logs), logs


def test_a_database_migrated_by_newer_code_is_refused(
    database_url: str, settings: Settings
) -> None:
    url = _fresh_database(database_url, "_newer")
    migrations.upgrade(url)
    asyncio.run(_stamp(url, "9999_from_the_future"))

    with pytest.raises(migrations.UnknownRevision, match="9999_from_the_future"):
        migrations.upgrade(url)
    with pytest.raises(migrations.UnknownRevision, match="migrated by newer code"):
        migrations.check_revision(url)


async def test_the_app_refuses_to_start_on_a_newer_database(
    database_url: str, settings: Settings
) -> None:
    url = await recreate_database(database_url, make_url(database_url).database + "_newer_app")
    await asyncio.to_thread(migrations.upgrade, url)
    await _stamp(url, "9999_from_the_future")
    for migrate in (True, False):
        app = create_app(
            settings.model_copy(update={"database_url": url, "migrate_on_start": migrate})
        )
        with pytest.raises(migrations.UnknownRevision):
            async with app.router.lifespan_context(app):
                pass
