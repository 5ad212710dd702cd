"""A sample job through the API against a real OpenAI-compatible server nobody here wrote:
llama-cpp-python's `llama_cpp.server` with Gemma 3 270M, started by `make test-real-llm`
(backend/tests/real_llm/run.sh), which sets CODERAI_REAL_LLM_BASE_URL.

That server answers a json_schema response format with HTTP 500; the client must fall back to
function calling at once, and the job must complete. So small a model invents quotes: every
value whose quote is not in the document must come back flagged UNGROUNDED.
"""

import os
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from coderai.core.config import Settings
from coderai.core.database import Database
from coderai.main import create_app
from tests.conftest import empty_database
from tests.jobs.test_jobs import wait_for
from tests.support.factories import create_project, create_variable
from tests.support.identity import bearer, user_with_token

BASE_URL = os.environ.get("CODERAI_REAL_LLM_BASE_URL")
MODEL = "gemma-3-270m"

pytestmark = pytest.mark.skipif(
    not BASE_URL, reason="needs a real model server: run `make test-real-llm`"
)

REPORTS = [
    "Trial report A. Methods: this was a randomised controlled trial of a new vaccine. "
    "It enrolled 240 participants at two hospitals in Lyon. Results were encouraging.",
    "Trial report B. Methods: a cohort study that followed 1,500 adults for ten years in "
    "rural Kenya. Smoking was associated with a higher risk of stroke.",
    "Trial report C. Methods: a case-control study comparing 80 patients with 160 matched "
    "controls. The exposure of interest was night-shift work.",
]


@pytest.fixture
async def real_client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its runner on the real server: one call at a time (the server runs one),
    a generous timeout (a small CPU model writes a few tokens per second under load)."""
    tuned = settings.model_copy(
        update={
            "llm_base_url": BASE_URL,
            "llm_model": MODEL,
            "runner_enabled": True,
            "runner_concurrency": 1,
            "runner_poll_seconds": 0.2,
            "llm_timeout_seconds": 600.0,
            "llm_max_retries": 1,
            "llm_max_concurrency": 1,
        }
    )
    application = create_app(tuned)
    _, token = await user_with_token(db, "admin@example.org", admin=True, name="Ada Admin")
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test/api/v1", headers=bearer(token), timeout=60
        ) as http:
            yield http
    await empty_database(db, settings)


def normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


async def test_a_sample_job_completes_on_a_real_llama_cpp_server(
    real_client: httpx.AsyncClient,
) -> None:
    project = await create_project(real_client)
    await create_variable(real_client, project["id"])  # participants (NUMBER)
    # Free text, so that whatever the model writes is kept as a value (a category or number
    # it cannot read would be dropped by coercion before grounding is judged).
    await create_variable(
        real_client,
        project["id"],
        name="city",
        type="TEXT",
        instructions="The city where the trial took place, as written in the report.",
        order=2,
    )
    for index, text in enumerate(REPORTS):
        upload = await real_client.post(
            f"/projects/{project['id']}/documents",
            files={"file": (f"report-{index}.txt", text.encode(), "text/plain")},
        )
        assert upload.status_code == 201, upload.text
    started = time.monotonic()

    created = await real_client.post(
        f"/projects/{project['id']}/jobs", json={"jobType": "SAMPLE", "documentCount": 3}
    )
    assert created.status_code == 201, created.text
    job = await wait_for(real_client, created.json()["id"], {"COMPLETE", "FAILED"}, 1500)

    print(f"\nreal-LLM job: {job['status']} in {time.monotonic() - started:.0f} s")
    assert job["status"] == "COMPLETE", job
    assert (job["doneItems"], job["failedItems"]) == (3, 0), job
    logs = (await real_client.get(f"/jobs/{job['id']}/logs")).json()
    fallback = [log for log in logs if log["event"] == "structured_output"]
    assert len(fallback) == 1, logs
    assert fallback[0]["metadata"]["method"] in ("function_calling", "json_mode")
    print(f"structured output: {fallback[0]['metadata']['method']}")

    results: list[dict[str, Any]] = (await real_client.get(f"/jobs/{job['id']}/results")).json()
    assert results, "the job stored no extraction"
    texts = {
        document_id: (await real_client.get(f"/documents/{document_id}")).json()["content"]
        for document_id in {r["documentId"] for r in results}
    }
    invented = 0
    valued = [result for result in results if result["typedValue"] is not None]
    assert valued, "no value came back: the grounding check below would check nothing"
    for result in valued:
        quote = result["sourceText"]
        print(
            f"  {result['variableName']}={result['value']!r} quote={quote!r} "
            f"grounding={result['grounding']} flags={result['flags']}"
        )
        if quote and normalised(quote) in normalised(texts[result["documentId"]]):
            assert result["grounding"] != "NONE", result
            continue
        if result["grounding"] == "FUZZY":
            continue  # close enough to a passage of the document, and says where
        invented += 1
        assert result["grounding"] == "NONE", result
        assert "UNGROUNDED" in result["flags"] and result["needsReview"], result
        assert result["confidence"] is None or result["confidence"] <= 0.3, result
    print(f"values with a quote not in the document (all flagged UNGROUNDED): {invented}")
