"""Backup and restore as docs/operations.md tells it: `pg_dump` of the database taken while a
job runs, plus a copy of the files directory, restored into a fresh database lets the job
finish there with nothing lost (documents, their files, results stored before the backup)."""

import asyncio
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from coderai.core.config import Settings
from coderai.core.database import Database, create_engine
from coderai.main import create_app
from tests.conftest import runner_settings
from tests.jobs.test_jobs import DESIGN, PARTICIPANTS, trial_text, wait_for
from tests.support.database import drop_database, recreate_database
from tests.support.factories import category_payload, create_project, create_variable
from tests.support.fake_llm import FakeLLM
from tests.support.identity import bearer, user_with_token

DOCUMENTS = 8


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool_version(tool: str) -> int:
    output = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)
    return int(output.stdout.split()[-1].split(".")[0])


async def _server_version(url: str) -> int:
    import asyncpg

    connection = await asyncpg.connect(_libpq(url))
    try:
        return int(await connection.fetchval("SHOW server_version_num")) // 10000
    finally:
        await connection.close()


async def _project_with_documents(client: httpx.AsyncClient) -> dict[str, Any]:
    project = await create_project(client)
    await create_variable(client, project["id"])
    await create_variable(
        client,
        project["id"],
        **category_payload(
            classificationRules={
                "categories": [
                    {"value": "RCT", "synonyms": ["randomised controlled trial"]},
                    {"value": "Cohort", "synonyms": ["cohort study"]},
                ]
            }
        ),
    )
    for i in range(DOCUMENTS):
        uploaded = await client.post(
            f"/projects/{project['id']}/documents",
            files={"file": (f"report-{i}.txt", trial_text(i).encode(), "text/plain")},
        )
        assert uploaded.status_code == 201, uploaded.text
    return project


@pytest.mark.slow
async def test_a_backup_taken_mid_job_restores_and_the_job_finishes(
    database_url: str, settings: Settings, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    assert pg_dump and pg_restore, "the PostgreSQL client tools are needed"
    base = make_url(database_url).database
    names = (f"{base}_backup_source", f"{base}_backup_target")
    source_url, target_url = [await recreate_database(database_url, name) for name in names]
    try:
        await _backup_and_restore(source_url, target_url, settings, fake_llm, tmp_path)
    finally:
        for name in names:
            await drop_database(database_url, name)


async def _backup_and_restore(
    source_url: str, target_url: str, settings: Settings, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    assert pg_dump and pg_restore
    # pg_dump refuses a server newer than itself: the versions must match (or the tools lead).
    assert _tool_version(pg_dump) >= await _server_version(source_url)
    fake_llm.add_fact("participants", PARTICIPANTS, confidence=0.95)
    fake_llm.add_fact("design", DESIGN, confidence=0.9)

    def app_settings(url: str, data: Path) -> Settings:
        # One item at a time, slowly: the backup lands in the middle of the job.
        return runner_settings(
            settings,
            fake_llm,
            database_url=url,
            data_dir=data,
            migrate_on_start=True,
            runner_concurrency=1,
            llm_api_key=SecretStr("test-key"),
        )

    source_data, target_data = tmp_path / "source", tmp_path / "target"
    source = create_app(app_settings(source_url, source_data))
    async with source.router.lifespan_context(source):
        source_db = Database(create_engine(source_url, settings))
        _, token = await user_with_token(source_db, "lead@example.org", admin=True)
        await source_db.dispose()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=source),
            base_url="http://test/api/v1",
            headers=bearer(token),
        ) as client:
            project = await _project_with_documents(client)
            documents = (await client.get(f"/projects/{project['id']}/documents")).json()
            fake_llm.configure(latency_ms=300)
            created = await client.post(f"/projects/{project['id']}/jobs", json={"jobType": "FULL"})
            assert created.status_code == 201, created.text
            job_id = created.json()["id"]
            deadline = time.monotonic() + 60
            while (await client.get(f"/jobs/{job_id}/progress")).json()["done"] < 2:
                assert time.monotonic() < deadline, "the job does not progress"
                await asyncio.sleep(0.05)
            # Results stored before the backup starts must all be in it, as they were.
            before = (await client.get(f"/jobs/{job_id}/results?limit=1000")).json()
            assert before
            # The backup, while the runner keeps working: the database, then the files.
            dump = tmp_path / "coderai.dump"
            process = await asyncio.create_subprocess_exec(
                pg_dump, "--format=custom", f"--file={dump}", _libpq(source_url)
            )
            assert await process.wait() == 0
            shutil.copytree(source_data / "files", target_data / "files")
            assert (await client.get(f"/jobs/{job_id}")).json()["status"] == "PROCESSING"
    fake_llm.configure(latency_ms=0)

    # Restore into a fresh database, and check the copy was taken mid-job.
    restore = await asyncio.create_subprocess_exec(
        pg_restore, "--no-owner", "--exit-on-error", f"--dbname={_libpq(target_url)}", str(dump)
    )
    assert await restore.wait() == 0
    target = create_app(app_settings(target_url, target_data))
    async with (
        target.router.lifespan_context(target),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=target),
            base_url="http://test/api/v1",
            headers=bearer(token),
        ) as client,
    ):
        at_restore = (await client.get(f"/jobs/{job_id}/progress")).json()
        assert 2 <= at_restore["done"] < DOCUMENTS, at_restore
        job = await wait_for(client, job_id, {"COMPLETE", "FAILED", "PAUSED"}, timeout=120)
        assert job["status"] == "COMPLETE", job
        progress = (await client.get(f"/jobs/{job_id}/progress")).json()
        assert (progress["done"], progress["failed"]) == (DOCUMENTS, 0)
        results = (await client.get(f"/jobs/{job_id}/results?limit=1000")).json()
        assert {r["documentId"] for r in results} == {d["id"] for d in documents["items"]}
        assert len(results) == 2 * DOCUMENTS
        # What was stored before the backup is there as it was.
        after = {r["id"]: r for r in results}
        assert all(after.get(r["id"]) == r for r in before), "results changed or vanished"
        # Every original file came back with the files directory.
        for i, document in enumerate(sorted(documents["items"], key=lambda d: d["name"])):
            original = await client.get(f"/documents/{document['id']}/file")
            assert original.status_code == 200, original.text
            assert original.content == trial_text(int(document["name"][7:-4])).encode(), i
        exported = await client.post(
            f"/projects/{project['id']}/export", json={"format": "CSV_WIDE", "jobId": job_id}
        )
        assert exported.status_code in (200, 201), exported.text
