"""Jobs end to end over HTTP: the runner, the extraction engine and the real LangChain client
talking to the fake LLM server."""

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from coderai.core.database import Database
from coderai.models import Extraction, JobItem, Prompt
from coderai.models.enums import JobItemStatus
from tests.support.factories import category_payload, create_project, create_variable
from tests.support.fake_llm import FakeLLM

PARTICIPANTS = r"enrolled (?P<value>[\d,]+) participants"
DESIGN = r"(?:was|is) an? (?P<value>randomised controlled trial|cohort study)"


def trial_text(i: int) -> str:
    design = "a randomised controlled trial" if i % 2 == 0 else "a cohort study"
    return (
        f"Report {i}. Background and methods are described below.\n\n"
        f"The study was {design} run in {2000 + i % 20}. "
        f"It enrolled {100 + i} participants across three sites.\n\n"
        "Results were reported in the usual way."
    )


async def setup_trials(client: httpx.AsyncClient, fake: FakeLLM, documents: int) -> dict[str, Any]:
    project = await create_project(client)
    participants = await create_variable(client, project["id"])
    design = await create_variable(
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
    rows = "\n".join(f'{i},"{trial_text(i)}"' for i in range(documents))
    upload = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("reports.csv", f"id,text\n{rows}\n".encode(), "text/csv")},
        data={"textColumn": "text", "idColumn": "id"},
    )
    assert upload.status_code == 201, upload.text
    fake.add_fact("participants", PARTICIPANTS, confidence=0.95)
    fake.add_fact("design", DESIGN, confidence=0.9)
    return {"project": project, "participants": participants, "design": design}


async def wait_for(
    client: httpx.AsyncClient, job_id: str, statuses: set[str], timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = (await client.get(f"/jobs/{job_id}")).json()
        if job["status"] in statuses:
            return job  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s: {job}")


async def item_counts(db: Database, job_id: str) -> dict[str, int]:
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(JobItem.status, func.count())
            .where(JobItem.job_id == job_id)
            .group_by(JobItem.status)
        )
        return {status.value: n for status, n in rows}


async def test_sample_job_end_to_end(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, db: Database
) -> None:
    setup = await setup_trials(runner_client, fake_llm, documents=6)
    project_id = setup["project"]["id"]
    response = await runner_client.post(
        f"/projects/{project_id}/jobs",
        json={"jobType": "SAMPLE", "documentCount": 4, "sampleSeed": 7},
    )
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] in {"PENDING", "PROCESSING"}
    assert len(job["documentIds"]) == 4
    assert job["promptVersions"] == {"participants": 1, "design": 1}
    assert (await runner_client.get(f"/projects/{project_id}")).json()["status"] == "SAMPLE_TESTING"

    done = await wait_for(runner_client, job["id"], {"COMPLETE", "FAILED"})
    assert done["status"] == "COMPLETE"
    assert done["progress"] == 100
    assert any(log["message"].startswith("Job COMPLETE") for log in done["recentLogs"])

    results = await runner_client.get(f"/jobs/{job['id']}/results")
    assert results.headers["x-total-count"] == "8"
    documents = {d: (await runner_client.get(f"/documents/{d}")).json() for d in job["documentIds"]}
    for extraction in results.json():
        document = documents[extraction["documentId"]]
        number = int(document["externalId"])
        quote = extraction["sourceText"]
        # The quote is located exactly in the stored text.
        assert document["content"][extraction["charStart"] : extraction["charEnd"]] == quote
        assert extraction["grounding"] == "EXACT"
        if extraction["variableName"] == "participants":
            assert extraction["typedValue"] == 100 + number
            assert extraction["value"] == str(100 + number)
            assert quote == f"enrolled {100 + number} participants"
            assert extraction["confidence"] == 0.95
        else:
            assert extraction["typedValue"] == ("RCT" if number % 2 == 0 else "Cohort")
    assert (await runner_client.get(f"/projects/{project_id}")).json()["status"] == "READY"

    # The same seed draws the same documents again.
    again = await runner_client.post(
        f"/projects/{project_id}/jobs",
        json={"jobType": "SAMPLE", "documentCount": 4, "sampleSeed": 7},
    )
    assert again.json()["documentIds"] == job["documentIds"]


async def test_a_job_brings_generated_prompts_up_to_date_and_leaves_edited_ones(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, db: Database
) -> None:
    """A prompt an older CoderAI generated is regenerated when a job starts (the next version,
    which the job then runs); a prompt the researcher wrote stays as written."""
    setup = await setup_trials(runner_client, fake_llm, documents=2)
    participants, design = setup["participants"], setup["design"]
    async with db.transaction() as session:
        await session.execute(
            update(Prompt)
            .where(Prompt.variable_id == participants["id"], Prompt.is_active)
            .values(prompt_text="Variable `participants`, type NUMBER.", content_hash="older")
        )
    edited = "Count the participants enrolled at baseline; answer with the number."
    draft = await runner_client.post(
        f"/variables/{design['id']}/prompts", json={"promptText": edited}
    )
    assert draft.status_code == 201, draft.text
    activated = await runner_client.post(f"/prompts/{draft.json()['draft']['id']}/activate")
    assert activated.status_code == 200, activated.text

    response = await runner_client.post(
        f"/projects/{setup['project']['id']}/jobs", json={"jobType": "SAMPLE"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["promptVersions"] == {"participants": 2, "design": 2}
    current = (await runner_client.get(f"/variables/{participants['id']}")).json()
    assert current["currentPrompt"]["origin"] == "GENERATED"
    # The same text as the generator wrote when the variable was created.
    assert current["currentPrompt"]["promptText"] == participants["currentPrompt"]["promptText"]
    kept = (await runner_client.get(f"/variables/{design['id']}")).json()["currentPrompt"]
    assert (kept["promptText"], kept["origin"]) == (edited, "MANUAL")
    await wait_for(runner_client, response.json()["id"], {"COMPLETE"})


@pytest.mark.runner(runner_max_attempts=1, runner_concurrency=1)
async def test_a_call_failing_on_the_last_attempt_is_exported_as_call_failed(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    """The document is kept with what did come back; the variable whose call failed is
    flagged for review and exported as CALL_FAILED, not as "not found"."""
    setup = await setup_trials(runner_client, fake_llm, documents=1)
    project_id = setup["project"]["id"]
    fake_llm.inject("400")  # the first of the document's two calls fails for good
    response = await runner_client.post(
        f"/projects/{project_id}/jobs", json={"jobType": "SAMPLE", "callMode": "per_variable"}
    )
    assert response.status_code == 201, response.text
    job = await wait_for(runner_client, response.json()["id"], {"COMPLETE", "FAILED"})
    assert job["status"] == "COMPLETE"
    flagged = (await runner_client.get(f"/jobs/{job['id']}/flagged")).json()
    items = flagged["items"] if isinstance(flagged, dict) else flagged
    assert [f["flags"] for f in items] == [["CALL_FAILED"]]
    failed = items[0]["variableName"]
    (answered,) = {"participants", "design"} - {failed}
    export = await runner_client.post(
        f"/projects/{project_id}/export", json={"format": "JSON", "jobId": job["id"]}
    )
    assert export.status_code == 200, export.text
    download = await runner_client.get(export.json()["downloadUrl"])
    (row,) = json.loads(download.content)["data"]
    assert (row[failed], row[f"{failed}_status"]) == (None, "CALL_FAILED")
    assert row[f"{answered}_status"] == "OK"


async def test_full_job_of_200_documents_with_progress(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, db: Database
) -> None:
    setup = await setup_trials(runner_client, fake_llm, documents=200)
    job = (
        await runner_client.post(
            f"/projects/{setup['project']['id']}/jobs", json={"jobType": "FULL"}
        )
    ).json()
    assert job["totalItems"] == 200
    running = await runner_client.get(f"/jobs/{job['id']}/progress")
    assert running.status_code == 200
    done = await wait_for(runner_client, job["id"], {"COMPLETE", "FAILED"}, timeout=120)
    assert done["status"] == "COMPLETE"
    progress = (await runner_client.get(f"/jobs/{job['id']}/progress")).json()
    assert (progress["done"], progress["failed"], progress["total"]) == (200, 0, 200)
    assert progress["percentage"] == 100
    assert progress["successRate"] == 1.0
    assert progress["llmCalls"] == 200  # one call per document covers both variables
    assert progress["promptTokens"] > 0 and progress["completionTokens"] > 0
    assert progress["etaSeconds"] == 0
    async with db.sessionmaker() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Extraction).where(Extraction.job_id == job["id"])
            )
            == 400
        )
    assert (await runner_client.get(f"/projects/{setup['project']['id']}")).json()[
        "status"
    ] == "COMPLETE"
    stats = (await runner_client.get(f"/jobs/{job['id']}/statistics")).json()
    # Schema order: the category variable was inserted at position 1.
    assert [(v["variableName"], v["filledRate"]) for v in stats["variables"]] == [
        ("design", 1.0),
        ("participants", 1.0),
    ]
    listed = await runner_client.get(f"/projects/{setup['project']['id']}/jobs")
    assert [j["id"] for j in listed.json()] == [job["id"]]


@pytest.mark.runner(runner_concurrency=2)
async def test_pause_stops_new_items_and_resume_finishes(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, db: Database
) -> None:
    setup = await setup_trials(runner_client, fake_llm, documents=20)
    fake_llm.configure(latency_ms=150)
    job = (
        await runner_client.post(
            f"/projects/{setup['project']['id']}/jobs", json={"jobType": "FULL"}
        )
    ).json()
    while (await item_counts(db, job["id"])).get("DONE", 0) < 2:
        await asyncio.sleep(0.02)
    assert (await runner_client.post(f"/jobs/{job['id']}/pause")).json()["status"] == "PAUSED"
    await asyncio.sleep(0.5)  # in-flight items finish
    settled = await item_counts(db, job["id"])
    assert settled.get("PROCESSING", 0) == 0
    requests_before = fake_llm.stats.total_requests
    await asyncio.sleep(0.6)
    assert fake_llm.stats.total_requests == requests_before  # no new item started
    assert await item_counts(db, job["id"]) == settled
    assert (await runner_client.get(f"/jobs/{job['id']}")).json()["status"] == "PAUSED"
    paused = (await runner_client.get(f"/jobs/{job['id']}/progress")).json()
    assert paused["etaSeconds"] is None and paused["pending"] > 0  # nothing is running

    assert (await runner_client.post(f"/jobs/{job['id']}/resume")).json()["status"] == "PROCESSING"
    done = await wait_for(runner_client, job["id"], {"COMPLETE"})
    assert done["doneItems"] == 20
    assert (await runner_client.post(f"/jobs/{job['id']}/resume")).status_code == 409


@pytest.mark.runner(runner_concurrency=3)
async def test_cancel_mid_run(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, db: Database
) -> None:
    setup = await setup_trials(runner_client, fake_llm, documents=30)
    fake_llm.configure(latency_ms=200)
    job = (
        await runner_client.post(
            f"/projects/{setup['project']['id']}/jobs", json={"jobType": "FULL"}
        )
    ).json()
    while (await item_counts(db, job["id"])).get("DONE", 0) < 3:
        await asyncio.sleep(0.02)
    assert (await runner_client.delete(f"/jobs/{job['id']}")).status_code == 204
    counts = await item_counts(db, job["id"])
    assert "PROCESSING" not in counts and "PENDING" not in counts
    assert counts["CANCELLED"] > 0
    await asyncio.sleep(0.5)  # calls that were in flight come back and are discarded
    after = await item_counts(db, job["id"])
    assert after == counts
    job_now = (await runner_client.get(f"/jobs/{job['id']}")).json()
    assert job_now["status"] == "CANCELLED"
    figures = (await runner_client.get(f"/jobs/{job['id']}/progress")).json()
    assert figures["cancelled"] == counts["CANCELLED"]
    parts = ("done", "failed", "inFlight", "pending", "cancelled")
    assert sum(figures[part] for part in parts) == figures["total"] == 30
    assert (await runner_client.delete(f"/jobs/{job['id']}")).status_code == 409
    async with db.sessionmaker() as session:
        kept = await session.scalar(
            select(func.count()).select_from(Extraction).where(Extraction.job_id == job["id"])
        )
    assert kept == 2 * counts["DONE"]  # finished work is kept, cancelled work is not


@pytest.mark.runner(
    runner_concurrency=4, llm_timeout_seconds=0.5, llm_max_retries=4, runner_max_attempts=3
)
async def test_fault_storm_completes_with_every_item_accounted_for(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, db: Database
) -> None:
    setup = await setup_trials(runner_client, fake_llm, documents=40)
    fake_llm.set_fault_rates({"500": 0.2, "429": 0.1, "timeout": 0.05}, seed=3)
    job = (
        await runner_client.post(
            f"/projects/{setup['project']['id']}/jobs", json={"jobType": "FULL"}
        )
    ).json()
    done = await wait_for(runner_client, job["id"], {"COMPLETE", "FAILED"}, timeout=120)
    assert done["status"] == "COMPLETE"
    async with db.sessionmaker() as session:
        items = (await session.scalars(select(JobItem).where(JobItem.job_id == job["id"]))).all()
    assert {item.status for item in items} <= {JobItemStatus.DONE, JobItemStatus.FAILED}
    assert all(item.error for item in items if item.status is JobItemStatus.FAILED)
    assert sum(item.status is JobItemStatus.DONE for item in items) >= 36
    stats = fake_llm.stats
    assert stats.total_requests > stats.accepted_requests  # faults really happened


@pytest.mark.runner(
    runner_concurrency=1,
    llm_max_retries=0,
    runner_max_attempts=1,
    runner_auto_pause_after_failures=3,
)
async def test_job_pauses_itself_after_consecutive_failures(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    setup = await setup_trials(runner_client, fake_llm, documents=10)
    fake_llm.set_fault_rates({"500": 1.0}, seed=1)
    job = (
        await runner_client.post(
            f"/projects/{setup['project']['id']}/jobs", json={"jobType": "FULL"}
        )
    ).json()
    paused = await wait_for(runner_client, job["id"], {"PAUSED", "FAILED", "COMPLETE"})
    assert paused["status"] == "PAUSED"
    assert "3 documents failed in a row" in paused["statusReason"]
    assert paused["failedItems"] == 3
    logs = (await runner_client.get(f"/jobs/{job['id']}/logs", params={"level": "ERROR"})).json()
    assert [log["event"] for log in logs].count("item_failed") == 3
    assert logs[-1]["event"] == "job_auto_paused"

    fake_llm.clear_faults()
    await runner_client.post(f"/jobs/{job['id']}/resume")
    done = await wait_for(runner_client, job["id"], {"COMPLETE"})
    assert (done["doneItems"], done["failedItems"]) == (7, 3)


async def test_jobs_refused_when_they_cannot_run(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    project = await create_project(runner_client)
    no_schema = await runner_client.post(
        f"/projects/{project['id']}/jobs", json={"jobType": "SAMPLE"}
    )
    assert no_schema.status_code == 409 and "no variables" in no_schema.json()["detail"]
    await create_variable(runner_client, project["id"])
    no_documents = await runner_client.post(
        f"/projects/{project['id']}/jobs", json={"jobType": "FULL"}
    )
    assert no_documents.status_code == 409 and "READY documents" in no_documents.json()["detail"]

    await runner_client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("a.txt", b"It enrolled 5 participants.", "text/plain")},
    )
    fake_llm.configure(latency_ms=300)
    first = await runner_client.post(f"/projects/{project['id']}/jobs", json={"jobType": "FULL"})
    assert first.status_code == 201
    second = await runner_client.post(f"/projects/{project['id']}/jobs", json={"jobType": "FULL"})
    assert second.status_code == 409 and "already running" in second.json()["detail"]
    # A sample tried meanwhile does not hide that the project is processing.
    sample = await runner_client.post(
        f"/projects/{project['id']}/jobs", json={"jobType": "SAMPLE", "documentCount": 1}
    )
    assert sample.status_code == 201, sample.text
    assert (await runner_client.get(f"/projects/{project['id']}")).json()["status"] == "PROCESSING"
    bad = await runner_client.post(
        f"/projects/{project['id']}/jobs",
        json={"jobType": "SAMPLE", "documentIds": ["6f1c1a52-0000-4000-8000-000000000000"]},
    )
    assert bad.status_code == 422
    chosen = [first.json()["documentIds"][0]]
    # Named documents leave nothing to draw: a count or a seed beside them is refused.
    for extra, field in (
        ({"documentCount": 2}, "documentCount"),
        ({"sampleSeed": 7}, "sampleSeed"),
    ):
        conflicting = await runner_client.post(
            f"/projects/{project['id']}/jobs",
            json={"jobType": "SAMPLE", "documentIds": chosen, **extra},
        )
        assert conflicting.status_code == 422 and field in conflicting.text, conflicting.text


async def test_no_llm_configured_is_a_clear_409(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    await create_variable(client, project["id"])
    response = await client.post(f"/projects/{project['id']}/jobs", json={"jobType": "SAMPLE"})
    assert response.status_code == 409
    assert "No LLM provider configured" in response.json()["detail"]
