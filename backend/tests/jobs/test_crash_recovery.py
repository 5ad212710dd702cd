"""Crash recovery and shared work, for real: the API killed with SIGKILL in the middle of a job
and started again, two `coderai worker` processes on one database, claimers racing in one
event loop, an expired lease taken over, and an item that keeps killing its worker failed
instead of retried for ever.

Who made an LLM call is known from its key: every process gets its own LLM_API_KEY (a job runs
on the model it was created with, whichever process runs it), and the fake records each
request's key, prompt and times (tests/support/llm_calls.py); the
prompt names the document ("Report 17.")."""

import asyncio
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update

from coderai.core.config import Settings
from coderai.core.database import Database
from coderai.extraction.engine import extract_document
from coderai.extraction.types import (
    DocumentExtraction,
    DocumentInput,
    ExtractionOptions,
    VariablePrompt,
)
from coderai.jobs.runner.claims import ClaimedItem, claim_items
from coderai.jobs.runner.items import ExtractFn
from coderai.jobs.runner.runner import JobRunner
from coderai.llm import LLMClient
from coderai.main import create_app
from coderai.models import Document, Extraction, JobItem, ProcessingJob, ProcessingLog, Variable
from coderai.models.enums import JobItemStatus, JobStatus
from tests.conftest import empty_database, runner_settings
from tests.jobs.test_jobs import setup_trials, wait_for
from tests.support.identity import bearer, user_with_token
from tests.support.llm_calls import LLMCall, RecordingFakeLLM
from tests.support.processes import ChildProcess, ChildProcesses, child_env, wait_until_logged

LATENCY_MS = 100
CONCURRENCY = 4
LEASE_SECONDS = 2  # short, so a restarted process takes the dead one's items back quickly
FINISHED = {"COMPLETE", "FAILED", "PAUSED", "CANCELLED"}
DOCUMENT_NUMBER = re.compile(r"Report (\d+)\.")


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
async def _empty_tables_after(db: Database, settings: Settings) -> AsyncIterator[None]:
    # Autouse fixtures are set up first, so this runs after the children are gone.
    yield
    await empty_database(db, settings)


@pytest.fixture
def fake() -> Iterator[RecordingFakeLLM]:
    server = RecordingFakeLLM().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def children(tmp_path: Path) -> Iterator[ChildProcesses]:
    group = ChildProcesses(tmp_path)
    try:
        yield group
    finally:
        group.close()


@pytest.fixture
async def api(
    settings: Settings, fake: RecordingFakeLLM, db: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """The API in this process with an LLM configured and no runner: jobs it creates wait for
    the runners the test starts."""
    application = create_app(runner_settings(settings, fake, runner_enabled=False))
    _, token = await user_with_token(db, "admin@example.org", admin=True)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test/api/v1", headers=bearer(token)
        ) as http:
            yield http


# --- helpers -------------------------------------------------------------------------------


def process_env(
    database_url: str, fake: RecordingFakeLLM, data_dir: Path, model: str
) -> dict[str, str]:
    """Settings of a child process; `model` is its name in the fake's call log (its key)."""
    return child_env(
        DATABASE_URL=database_url,
        LLM_BASE_URL=fake.base_url,
        LLM_API_KEY=model,
        LLM_MODEL=model,
        DATA_DIR=str(data_dir),
        MIGRATE_ON_START="false",
        RUNNER_CONCURRENCY=str(CONCURRENCY),
        RUNNER_LEASE_SECONDS=str(LEASE_SECONDS),
        RUNNER_POLL_SECONDS="0.05",
        LLM_REQUESTS_PER_MINUTE="100000",
        LLM_TOKENS_PER_MINUTE="100000000",
        LLM_TIMEOUT_SECONDS="10",
        LOG_LEVEL="WARNING",
    )


def document_of(call: LLMCall) -> int:
    match = DOCUMENT_NUMBER.search(call.prompt)
    assert match is not None, f"no document in prompt: {call.prompt[:300]!r}"
    return int(match.group(1))


def documents_by_model(calls: Sequence[LLMCall]) -> dict[str | None, list[int]]:
    found: dict[str | None, list[int]] = {}
    for call in calls:
        found.setdefault(call.caller, []).append(document_of(call))
    return found


async def create_full_job(client: httpx.AsyncClient, setup: dict[str, Any]) -> uuid.UUID:
    response = await client.post(
        f"/projects/{setup['project']['id']}/jobs", json={"jobType": "FULL"}
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def done_items(db: Database, job_id: uuid.UUID) -> int:
    async with db.sessionmaker() as session:
        return int(
            await session.scalar(select(ProcessingJob.done_items).where(ProcessingJob.id == job_id))
            or 0
        )


async def item_states(db: Database, job_id: uuid.UUID) -> dict[int, tuple[JobItemStatus, int]]:
    """(status, attempts) of each item, by the document's number (its `id` column)."""
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(Document.external_id, JobItem.status, JobItem.attempts)
            .join(Document, Document.id == JobItem.document_id)
            .where(JobItem.job_id == job_id)
        )
        return {int(str(number)): (status, attempts) for number, status, attempts in rows}


async def numbers_with(db: Database, job_id: uuid.UUID, status: JobItemStatus) -> set[int]:
    return {n for n, (state, _) in (await item_states(db, job_id)).items() if state is status}


async def items_by_number(db: Database, job_id: uuid.UUID) -> dict[int, JobItem]:
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(Document.external_id, JobItem)
            .join(Document, Document.id == JobItem.document_id)
            .where(JobItem.job_id == job_id)
        )
        return {int(str(number)): item for number, item in rows}


async def wait_until_quiet(db: Database, timeout: float = 10.0) -> None:
    """Until no other session of this database is inside a transaction or a statement: the
    killed process's last COMMIT, if it was sent, has landed; its open transactions are gone."""
    busy = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'"
    )
    deadline = time.monotonic() + timeout
    quiet_checks = 0
    while quiet_checks < 2:
        assert time.monotonic() < deadline, "the database stayed busy after the kill"
        async with db.engine.connect() as connection:
            quiet_checks = quiet_checks + 1 if not await connection.scalar(busy) else 0
        await asyncio.sleep(0.05)


async def wait_for_job(db: Database, job_id: uuid.UUID, timeout: float = 30.0) -> ProcessingJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with db.sessionmaker() as session:
            job = await session.get_one(ProcessingJob, job_id)
        if job.status.value in FINISHED:
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} still {job.status.value} after {timeout} s")


async def assert_each_answer_stored_once(
    db: Database, job_id: uuid.UUID, numbers: set[int]
) -> None:
    """Exactly one extraction per (document, variable), each with the right value."""
    job_rows = Extraction.job_id == job_id
    async with db.sessionmaker() as session:
        total = await session.scalar(select(func.count()).select_from(Extraction).where(job_rows))
        duplicates = (
            await session.execute(
                select(Extraction.document_id, Extraction.variable_id, func.count())
                .where(job_rows)
                .group_by(Extraction.document_id, Extraction.variable_id)
                .having(func.count() > 1)
            )
        ).all()
        participants = (
            await session.execute(
                select(Document.external_id, Extraction.value)
                .join(Document, Document.id == Extraction.document_id)
                .join(Variable, Variable.id == Extraction.variable_id)
                .where(job_rows, Variable.name == "participants")
            )
        ).all()
    assert duplicates == []
    assert total == 2 * len(numbers)
    # Every stored answer is its own document's: no stale write crossed items.
    assert sorted((int(n), value) for n, value in participants) == [
        (n, 100 + n) for n in sorted(numbers)
    ]


# --- 1. the API killed with SIGKILL mid-job, then started again ----------------------------

SEED = 2024
KILL_WINDOWS = (("early", 0.05, 0.25), ("middle", 0.40, 0.60), ("late", 0.75, 0.90))


@dataclass(frozen=True)
class Kill:
    """One `kill -9`: which process (by its model name), when, and the items as it left them."""

    name: str
    model: str
    at: float
    items: dict[int, tuple[JobItemStatus, int]]

    def numbers(self, status: JobItemStatus) -> set[int]:
        return {n for n, (state, _) in self.items.items() if state is status}


async def kill_mid_job(
    server: ChildProcess,
    model: str,
    fake: RecordingFakeLLM,
    db: Database,
    job_id: uuid.UUID,
    *,
    done_at_least: int,
    rng: random.Random,
    name: str,
) -> Kill:
    """SIGKILL `server` at a seeded moment: once `done_at_least` items are done, a random part
    of a call later, and only while the fake holds a request of `server` it has not answered."""
    while await done_items(db, job_id) < done_at_least:
        assert server.alive, server.output()
        await asyncio.sleep(0.02)
    await asyncio.sleep(rng.uniform(0, LATENCY_MS / 1000))
    deadline = time.monotonic() + 10
    while not any(call.caller == model and call.answered is None for call in fake.calls()):
        assert time.monotonic() < deadline, "no call in flight to kill the server during"
        await asyncio.sleep(0.001)
    killed_at = time.monotonic()
    server.kill()
    await wait_until_quiet(db)
    return Kill(name, model, killed_at, await item_states(db, job_id))


async def test_api_killed_three_times_mid_job_still_codes_every_document_once(
    fake: RecordingFakeLLM,
    children: ChildProcesses,
    db: Database,
    database_url: str,
    tmp_path: Path,
) -> None:
    """The API (with its runner) is killed with SIGKILL early, midway and late in a FULL job of
    300 documents and started again each time; the last one finishes the job."""
    documents = 300
    rng = random.Random(SEED)
    fake.configure(latency_ms=LATENCY_MS)
    models = [f"fake-model-run-{n}" for n in range(len(KILL_WINDOWS) + 1)]
    started = time.monotonic()
    server = children.start_api("api-0", process_env(database_url, fake, tmp_path, models[0]))
    _, token = await user_with_token(db, "admin@example.org", admin=True)
    async with httpx.AsyncClient(
        base_url=f"{server.url}/api/v1", timeout=30, headers=bearer(token)
    ) as http:
        job_id = await create_full_job(http, await setup_trials(http, fake, documents))

    kills: list[Kill] = []
    for n, (name, earliest, latest) in enumerate(KILL_WINDOWS):
        target = rng.randint(int(earliest * documents), int(latest * documents))
        kill = await kill_mid_job(
            server, models[n], fake, db, job_id, done_at_least=target, rng=rng, name=name
        )
        kills.append(kill)
        assert len(kill.numbers(JobItemStatus.DONE)) >= target
        server = children.start_api(
            f"api-{n + 1}", process_env(database_url, fake, tmp_path, models[n + 1])
        )
    async with httpx.AsyncClient(
        base_url=f"{server.url}/api/v1", timeout=30, headers=bearer(token)
    ) as http:
        job = await wait_for(http, str(job_id), FINISHED, timeout=60)
    elapsed = time.monotonic() - started

    # The job completes; no document is lost; each answer is stored exactly once.
    assert job["status"] == "COMPLETE", job
    assert (job["doneItems"], job["failedItems"]) == (documents, 0)
    after = await item_states(db, job_id)
    assert sorted(after) == list(range(documents))
    assert {status for status, _ in after.values()} == {JobItemStatus.DONE}
    await assert_each_answer_stored_once(db, job_id, set(range(documents)))
    async with db.sessionmaker() as session:
        stored = await session.get_one(ProcessingJob, job_id)
    assert stored.llm_calls == documents  # counters count committed work, once

    # An item held by a killed process was taken again once its lease ran out; no other was.
    held = [kill.numbers(JobItemStatus.PROCESSING) for kill in kills]
    assert {n: attempts for n, (_, attempts) in after.items()} == {
        n: 1 + sum(n in numbers for numbers in held) for n in range(documents)
    }

    # The LLM calls, by process. No process called about a document twice, nor about one
    # stored before it started; the last one called about exactly what was left.
    seen = fake.calls()
    # A request the kill cut off while it was being sent never reached the model: not a call.
    cut_off = [call for call in seen if not call.complete]
    assert len(cut_off) <= len(kills) * CONCURRENCY and all(
        call.arrived < kills[-1].at for call in cut_off
    )
    calls = [call for call in seen if call.complete]
    assert fake.stats.total_requests == len(calls)  # the fake's own count agrees
    by_model = {model: Counter(numbers) for model, numbers in documents_by_model(calls).items()}
    assert set(by_model) <= set(models)
    assert all(max(counts.values()) == 1 for counts in by_model.values())
    stored_before: set[int] = set()
    lost_calls = 0
    report = []
    for kill, holding in zip(kills, held, strict=True):
        made = set(by_model.get(kill.model, ()))
        done = kill.numbers(JobItemStatus.DONE)
        assert stored_before <= done
        assert 0 < len(holding) <= CONCURRENCY
        assert len(done) + len(holding) < documents  # killed mid-job
        assert not made & stored_before
        # In flight at the kill, counted honestly: the calls made before the kill whose results
        # never reached the database. They include every call the fake had not answered when
        # the kill was sent (a response that never arrived cannot have been stored), and calls
        # answered but not yet committed; all are for items the dead process held.
        lost = made - done
        unanswered = {
            document_of(call)
            for call in calls
            if call.caller == kill.model and (call.answered is None or call.answered > kill.at)
        }
        assert unanswered and unanswered <= lost <= holding
        lost_calls += len(lost)
        stored_before = done
        report.append(
            f"{kill.name}: {len(done)} done, {len(holding)} held, {len(unanswered)} calls "
            f"unanswered + {len(lost) - len(unanswered)} answered-not-stored"
        )
    assert set(by_model[models[-1]]) == set(range(documents)) - stored_before
    assert len(calls) == documents + lost_calls
    assert len(calls) <= documents + len(kills) * CONCURRENCY
    print(
        f"\nkills ({'; '.join(report)}); {len(calls)} calls seen for {documents} items "
        f"(and {len(cut_off)} requests cut off while being sent); "
        f"{elapsed:.1f} s with {len(models)} starts"
    )


# --- 2. two worker processes on one database -----------------------------------------------


async def test_two_worker_processes_share_a_job_and_code_each_document_once(
    fake: RecordingFakeLLM,
    children: ChildProcesses,
    api: httpx.AsyncClient,
    db: Database,
    database_url: str,
    tmp_path: Path,
) -> None:
    documents = 100
    fake.configure(latency_ms=LATENCY_MS)
    models = ("fake-model-worker-1", "fake-model-worker-2")
    workers = [
        children.start_worker(
            f"worker-{n}",
            process_env(database_url, fake, tmp_path, model),
            concurrency=CONCURRENCY,
        )
        for n, model in enumerate(models, start=1)
    ]
    for worker in workers:
        wait_until_logged(worker, "worker running")

    job_id = await create_full_job(api, await setup_trials(api, fake, documents))
    job = await wait_for(api, str(job_id), FINISHED, timeout=60)
    assert job["status"] == "COMPLETE", job
    assert (job["doneItems"], job["failedItems"]) == (documents, 0)

    states = await item_states(db, job_id)
    assert {status for status, _ in states.values()} == {JobItemStatus.DONE}
    assert {attempts for _, attempts in states.values()} == {1}  # nothing taken twice
    await assert_each_answer_stored_once(db, job_id, set(range(documents)))

    # Exactly one call per document, and both workers made some of them.
    by_model = documents_by_model(fake.calls())
    assert fake.stats.total_requests == documents
    assert set(by_model) == set(models)
    assert sorted(by_model[models[0]] + by_model[models[1]]) == list(range(documents))
    assert all(by_model[model] for model in models)
    print(f"\ntwo workers: {[len(by_model[m]) for m in models]} documents each")


# --- 3. claimers racing in one event loop --------------------------------------------------


async def claim(db: Database, owner: str, limit: int) -> list[ClaimedItem]:
    async with db.transaction() as session:
        return await claim_items(session, owner=owner, limit=limit, lease_seconds=60)


async def test_claimers_racing_in_one_loop_never_take_the_same_item(
    api: httpx.AsyncClient, fake: RecordingFakeLLM, db: Database
) -> None:
    job_id = await create_full_job(api, await setup_trials(api, fake, 150))
    owners = [f"racer-{n}" for n in range(4)]
    rng = random.Random(7)

    async def race() -> tuple[dict[uuid.UUID, str], int]:
        """Every owner claims at once, round after round, until nothing is left."""
        taken: dict[uuid.UUID, str] = {}
        for rounds in range(1, 1000):
            results = await asyncio.gather(
                *(claim(db, owner, rng.randint(1, 5)) for owner in owners)
            )
            won = [
                (owner, item.id)
                for owner, items in zip(owners, results, strict=True)
                for item in items
            ]
            if not won:
                return taken, rounds
            for owner, item_id in won:
                assert item_id not in taken, f"{item_id} claimed by {taken[item_id]} and {owner}"
                taken[item_id] = owner
        raise AssertionError("claiming never ran dry")

    async def leases() -> dict[uuid.UUID, tuple[str | None, int]]:
        async with db.sessionmaker() as session:
            rows = await session.execute(
                select(JobItem.id, JobItem.lease_owner, JobItem.attempts).where(
                    JobItem.job_id == job_id
                )
            )
            return {item_id: (owner, attempts) for item_id, owner, attempts in rows}

    taken, rounds = await race()
    assert rounds > 10
    assert set(taken.values()) == set(owners)  # a real race: everyone won some
    assert await leases() == {item_id: (owner, 1) for item_id, owner in taken.items()}

    # Every lease runs out at once (all four died): they race again for the expired items.
    async with db.transaction() as session:
        await session.execute(
            update(JobItem)
            .where(JobItem.job_id == job_id)
            .values(lease_expires_at=func.now() - text("interval '1 second'"))
        )
    retaken, _ = await race()
    assert set(retaken) == set(taken)
    assert await leases() == {item_id: (owner, 2) for item_id, owner in retaken.items()}

    async with db.sessionmaker() as session:
        started = await session.scalar(
            select(func.count())
            .select_from(ProcessingLog)
            .where(ProcessingLog.job_id == job_id, ProcessingLog.event == "job_started")
        )
    assert started == 1  # the job was started once, by one of the racers


async def test_two_runners_in_one_loop_share_a_job_and_extract_each_document_once(
    api: httpx.AsyncClient, fake: RecordingFakeLLM, db: Database, settings: Settings
) -> None:
    documents = 60
    job_id = await create_full_job(api, await setup_trials(api, fake, documents))
    fake.configure(latency_ms=20)
    tuned = runner_settings(settings, fake, runner_concurrency=3, runner_poll_seconds=0.02)
    llm = LLMClient.from_settings(tuned)
    extracted: list[tuple[str, uuid.UUID]] = []

    def extract_as(owner: str) -> ExtractFn:
        async def extract(
            document: DocumentInput, prompts: list[VariablePrompt], options: ExtractionOptions
        ) -> DocumentExtraction:
            extracted.append((owner, document.id))
            return await extract_document(llm, document, prompts, options)

        return extract

    runners = [JobRunner(db, tuned, extract_as(owner), owner=owner) for owner in ("a", "b")]
    try:
        for runner in runners:
            await runner.start()
        job = await wait_for_job(db, job_id)
    finally:
        for runner in runners:
            await runner.stop(grace_seconds=2)
        await llm.aclose()

    assert job.status is JobStatus.COMPLETE
    assert job.done_items == documents
    per_document = Counter(document_id for _, document_id in extracted)
    assert len(per_document) == documents and set(per_document.values()) == {1}
    assert {owner for owner, _ in extracted} == {"a", "b"}
    assert len(fake.calls()) == documents
    await assert_each_answer_stored_once(db, job_id, set(range(documents)))


# --- 4. expired leases taken over; an item that keeps crashing its worker ------------------


async def expire_leases(db: Database, item_ids: Sequence[uuid.UUID]) -> None:
    """What a dead process leaves behind once its lease has run out."""
    async with db.transaction() as session:
        await session.execute(
            update(JobItem)
            .where(JobItem.id.in_(item_ids))
            .values(lease_expires_at=func.now() - text("interval '1 second'"))
        )


async def test_expired_lease_is_taken_over_and_a_repeat_crasher_fails_with_a_reason(
    api: httpx.AsyncClient, fake: RecordingFakeLLM, db: Database, settings: Settings
) -> None:
    tuned = runner_settings(settings, fake, runner_max_attempts=3, runner_poll_seconds=0.02)
    job_id = await create_full_job(api, await setup_trials(api, fake, 4))
    items = await items_by_number(db, job_id)
    doomed, orphan, held = (items[n].id for n in range(3))

    # Processes that died while working, each claim the real one and each death a lease
    # running out: the first took documents 0 and 1, the next two took document 0 again.
    assert {item.id for item in await claim(db, "dead-1", 2)} == {doomed, orphan}
    await expire_leases(db, [doomed, orphan])
    for owner in ("dead-2", "dead-3"):
        assert [item.id for item in await claim(db, owner, 1)] == [doomed]
        await expire_leases(db, [doomed])
    # Document 2 is held by a process that is alive (its lease is current) for 2 more seconds.
    async with db.transaction() as session:
        await session.execute(
            update(JobItem)
            .where(JobItem.id == held)
            .values(
                status=JobItemStatus.PROCESSING,
                lease_owner="alive-elsewhere",
                lease_expires_at=func.now() + text("interval '2 seconds'"),
                attempts=1,
            )
        )

    llm = LLMClient.from_settings(tuned)
    runner = JobRunner(db, tuned, partial(extract_document, llm), owner="live")
    try:
        await runner.start()
        while not {1, 3} <= await numbers_with(db, job_id, JobItemStatus.DONE):
            await asyncio.sleep(0.02)
        now = await items_by_number(db, job_id)
        # The orphan is taken over; the live lease is not.
        assert (now[1].status, now[1].attempts) == (JobItemStatus.DONE, 2)
        assert (now[2].status, now[2].lease_owner) == (JobItemStatus.PROCESSING, "alive-elsewhere")
        job = await wait_for_job(db, job_id)
    finally:
        await runner.stop(grace_seconds=2)
        await llm.aclose()

    assert (job.status, job.done_items, job.failed_items) == (JobStatus.COMPLETE, 3, 1)
    final = await items_by_number(db, job_id)
    assert {n: (i.status, i.attempts) for n, i in final.items()} == {
        0: (JobItemStatus.FAILED, 4),
        1: (JobItemStatus.DONE, 2),
        2: (JobItemStatus.DONE, 2),  # taken once its holder's lease ran out
        3: (JobItemStatus.DONE, 1),
    }
    assert final[0].error == "gave up after 3 attempts"
    assert all(item.lease_owner is None for item in final.values())
    # The crasher was not sent to the LLM again; the others were, once each.
    assert sorted(document_of(call) for call in fake.calls()) == [1, 2, 3]
    await assert_each_answer_stored_once(db, job_id, {1, 2, 3})
    async with db.sessionmaker() as session:
        failed_logs = (
            await session.scalars(
                select(ProcessingLog.message).where(
                    ProcessingLog.job_id == job_id, ProcessingLog.event == "item_failed"
                )
            )
        ).all()
    assert failed_logs == ["Document failed after 4 attempt(s): gave up after 3 attempts"]


async def test_a_runner_whose_own_lease_lapsed_does_not_start_the_item_again(
    api: httpx.AsyncClient, fake: RecordingFakeLLM, db: Database, settings: Settings
) -> None:
    """A late heartbeat (a stalled loop, the database away for longer than the lease) lets the
    lease of an item still running here lapse; the runner's own claimer then takes it back and
    must not start it a second time next to the first."""
    tuned = runner_settings(settings, fake, runner_concurrency=2, runner_poll_seconds=0.02)
    job_id = await create_full_job(api, await setup_trials(api, fake, 1))
    (item,) = (await items_by_number(db, job_id)).values()
    llm = LLMClient.from_settings(tuned)
    release = asyncio.Event()
    started: list[uuid.UUID] = []

    async def held_extract(
        document: DocumentInput, prompts: list[VariablePrompt], options: ExtractionOptions
    ) -> DocumentExtraction:
        started.append(document.id)
        await release.wait()
        return await extract_document(llm, document, prompts, options)

    runner = JobRunner(db, tuned, held_extract, owner="late-heartbeat")
    try:
        await runner.start()
        while not started:
            await asyncio.sleep(0.01)
        await expire_leases(db, [item.id])
        while (await items_by_number(db, job_id))[0].attempts < 2:  # the claimer took it back
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # time enough for a free worker to start it again
        assert started == [item.document_id]
        assert runner.in_flight == 1
        release.set()
        job = await wait_for_job(db, job_id)
        assert runner.in_flight == 0
    finally:
        release.set()
        await runner.stop(grace_seconds=2)
        await llm.aclose()

    assert (job.status, job.done_items) == (JobStatus.COMPLETE, 1)
    assert len(fake.calls()) == 1
    await assert_each_answer_stored_once(db, job_id, {0})
