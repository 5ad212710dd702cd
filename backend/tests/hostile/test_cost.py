"""Cost bounds: a document that would take more chunks (LLM calls) than
MAX_CHUNKS_PER_DOCUMENT is refused before anything is called, in a preview (422) and in a
job (the item FAILED with the reason)."""

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.support.factories import create_project, create_variable
from tests.support.fake_llm import FakeLLM
from tests.support.files import docx_bytes

LIMIT = 3


async def wait_for(client: httpx.AsyncClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = (await client.get(f"/jobs/{job_id}")).json()
        if job["status"] in {"COMPLETE", "FAILED", "CANCELLED"}:
            return job  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


@pytest.mark.runner(chunk_tokens=200, chunk_overlap_tokens=20, max_chunks_per_document=LIMIT)
async def test_a_huge_docx_is_refused_for_preview_and_job_before_any_call(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    project = await create_project(runner_client)
    await create_variable(runner_client, project["id"])
    paragraph = "The trial enrolled participants across several sites in the region. " * 10
    data = docx_bytes([paragraph] * 60, [["site", "n"]], [])
    upload = await runner_client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("long.docx", data, "application/octet-stream")},
    )
    assert upload.status_code == 201, upload.text
    document = upload.json()
    assert document["status"] == "READY"

    preview = await runner_client.post(
        f"/projects/{project['id']}/extract-preview", json={"documentId": document["id"]}
    )
    assert preview.status_code == 422, preview.text
    assert f"at most {LIMIT} are allowed" in preview.json()["detail"]
    assert fake_llm.stats.total_requests == 0

    job = await runner_client.post(f"/projects/{project['id']}/jobs", json={"jobType": "FULL"})
    assert job.status_code == 201, job.text
    finished = await wait_for(runner_client, job.json()["id"])
    assert finished["failedItems"] == 1, finished
    logs = (await runner_client.get(f"/jobs/{job.json()['id']}/logs")).json()
    assert any("MAX_CHUNKS_PER_DOCUMENT" in entry["message"] for entry in logs), logs
    assert fake_llm.stats.total_requests == 0
