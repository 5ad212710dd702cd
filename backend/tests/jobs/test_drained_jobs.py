"""A job closes even when the items it was waiting for vanish with their documents: the last
stored item closes a job only when its counts add up, so the runner sweeps for jobs that
have nothing left to run."""

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.support.factories import create_project, create_variable
from tests.support.fake_llm import FakeLLM


async def progress(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/jobs/{job_id}/progress")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.runner(runner_concurrency=1)
async def test_job_whose_remaining_documents_were_deleted_is_closed(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    project = await create_project(runner_client)
    await create_variable(runner_client, project["id"])
    rows = "\n".join(f'{i},"Report {i}. It enrolled {100 + i} participants."' for i in range(4))
    upload = await runner_client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("reports.csv", f"id,text\n{rows}\n".encode(), "text/csv")},
        data={"textColumn": "text", "idColumn": "id"},
    )
    assert upload.status_code == 201, upload.text
    fake_llm.add_fact("participants", r"enrolled (?P<value>\d+) participants")
    fake_llm.configure(latency_ms=200)
    job = (
        await runner_client.post(f"/projects/{project['id']}/jobs", json={"jobType": "FULL"})
    ).json()

    while (await progress(runner_client, job["id"]))["done"] < 1:
        await asyncio.sleep(0.02)
    assert (await runner_client.post(f"/jobs/{job['id']}/pause")).status_code == 200
    while (await progress(runner_client, job["id"]))["inFlight"]:
        await asyncio.sleep(0.02)
    results = (await runner_client.get(f"/jobs/{job['id']}/results")).json()
    coded = {result["documentId"] for result in results}
    left = [document for document in job["documentIds"] if document not in coded]
    assert coded and left
    for document_id in left:
        assert (await runner_client.delete(f"/documents/{document_id}")).status_code == 204

    assert (await runner_client.post(f"/jobs/{job['id']}/resume")).status_code == 200
    deadline = time.monotonic() + 20
    while (state := await progress(runner_client, job["id"]))["status"] != "COMPLETE":
        assert time.monotonic() < deadline, f"the job stayed open: {state}"
        await asyncio.sleep(0.1)
    assert (state["done"], state["failed"]) == (len(coded), 0)
