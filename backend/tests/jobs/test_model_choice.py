"""A model per project and per job: the project's model over the environment's, a job's over
the project's, keys named (never stored), choices checked with the field at fault; and a
server that refuses json_schema with a 500 costs no item a retry."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from coderai.core.database import Database
from coderai.models import JobItem, Project
from tests.jobs.test_jobs import setup_trials, wait_for
from tests.support.fake_llm import FakeLLM

ENVIRONMENT_MODEL = "fake-model"  # runner_settings' LLM_MODEL


def models_seen(fake: FakeLLM) -> set[str | None]:
    return {record.model for record in fake.stats.records}


async def run_job(client: httpx.AsyncClient, project_id: str, **body: Any) -> dict[str, Any]:
    created = await client.post(f"/projects/{project_id}/jobs", json={"jobType": "SAMPLE", **body})
    assert created.status_code == 201, created.text
    return await wait_for(client, created.json()["id"], {"COMPLETE", "FAILED"})


async def test_a_project_runs_its_jobs_on_its_own_model(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    trials = await setup_trials(runner_client, fake_llm, 3)
    project_id = trials["project"]["id"]
    updated = await runner_client.put(
        f"/projects/{project_id}", json={"llm": {"model": "project-model"}}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["llm"] == {
        "provider": None,
        "model": "project-model",
        "baseUrl": None,
        "temperature": None,
        "apiKeyEnv": None,
    }

    job = await run_job(runner_client, project_id)

    assert job["status"] == "COMPLETE" and job["doneItems"] == 3
    assert models_seen(fake_llm) == {"project-model"}
    assert job["llmModel"] == "project-model"
    assert job["llm"]["model"] == "project-model"
    assert job["llm"]["provider"] == "openai" and job["llm"]["baseUrl"] == fake_llm.base_url


async def test_a_preview_runs_on_the_projects_model(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    trials = await setup_trials(runner_client, fake_llm, 1)
    project_id = trials["project"]["id"]
    await runner_client.put(f"/projects/{project_id}", json={"llm": {"model": "project-model"}})
    listed = (await runner_client.get(f"/projects/{project_id}/documents")).json()
    documents = listed["items"] if isinstance(listed, dict) else listed

    preview = await runner_client.post(
        f"/projects/{project_id}/extract-preview", json={"documentId": documents[0]["id"]}
    )

    assert preview.status_code == 200, preview.text
    assert models_seen(fake_llm) == {"project-model"}


async def test_a_job_override_wins_over_the_project_and_sets_the_temperature(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    trials = await setup_trials(runner_client, fake_llm, 2)
    project_id = trials["project"]["id"]
    await runner_client.put(f"/projects/{project_id}", json={"llm": {"model": "project-model"}})

    job = await run_job(runner_client, project_id, llm={"model": "job-model", "temperature": 0.7})

    assert job["status"] == "COMPLETE"
    assert models_seen(fake_llm) == {"job-model"}
    assert fake_llm.last_request is not None and fake_llm.last_request["temperature"] == 0.7
    assert (job["llmModel"], job["llm"]["temperature"]) == ("job-model", 0.7)

    # The next job without an override is back on the project's model, at the prompts' own
    # temperature.
    fake_llm.reset_stats()
    again = await run_job(runner_client, project_id)
    assert again["llmModel"] == "project-model"
    assert models_seen(fake_llm) == {"project-model"}
    # The generated prompts' own temperature (their modelConfig).
    assert fake_llm.last_request is not None and fake_llm.last_request["temperature"] == 0.1


async def test_without_a_choice_jobs_run_on_the_environments_model(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    trials = await setup_trials(runner_client, fake_llm, 1)

    job = await run_job(runner_client, trials["project"]["id"])

    assert models_seen(fake_llm) == {ENVIRONMENT_MODEL}
    assert job["llm"]["model"] == ENVIRONMENT_MODEL and job["llm"]["apiKeyEnv"] is None


@pytest.mark.parametrize(
    ("llm", "field"),
    [
        ({"apiKeyEnv": "SECRET_KEY"}, "llm.apiKeyEnv"),  # not a *_API_KEY variable
        ({"apiKeyEnv": "CODERAI_UNSET_API_KEY"}, "llm.apiKeyEnv"),  # not set on the server
        ({"baseUrl": "http://203.0.113.9/v1"}, "llm.baseUrl"),  # not an allowed server
        ({"baseUrl": "file:///etc/passwd"}, "llm.baseUrl"),
        ({"temperature": 3}, "llm.temperature"),
        ({"model": ""}, "llm.model"),
        ({"provider": "Not A Provider"}, "llm.provider"),
        ({"provider": "nosuchprovider"}, "llm.provider"),  # no LangChain integration for it
        ({"apiKey": "sk-live-123"}, "llm.apiKey"),  # a key itself is never taken
    ],
)
async def test_a_bad_choice_is_a_422_naming_the_field(
    runner_client: httpx.AsyncClient,
    fake_llm: FakeLLM,
    db: Database,
    llm: dict[str, Any],
    field: str,
) -> None:
    trials = await setup_trials(runner_client, fake_llm, 1)
    project_id = trials["project"]["id"]

    on_project = await runner_client.put(f"/projects/{project_id}", json={"llm": llm})
    on_job = await runner_client.post(
        f"/projects/{project_id}/jobs", json={"jobType": "SAMPLE", "llm": llm}
    )

    for answer in (on_project, on_job):
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in [error["field"] for error in answer.json()["errors"]], answer.text
    async with db.sessionmaker() as session:
        stored = await session.scalar(select(Project.llm).where(Project.id == project_id))
    assert stored is None


async def test_a_key_is_named_and_never_shown(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODERAI_TEST_API_KEY", "sk-test-secret-value")
    trials = await setup_trials(runner_client, fake_llm, 1)
    project_id = trials["project"]["id"]

    updated = await runner_client.put(
        f"/projects/{project_id}", json={"llm": {"apiKeyEnv": "CODERAI_TEST_API_KEY"}}
    )
    job = await run_job(runner_client, project_id)

    assert updated.status_code == 200, updated.text
    assert job["status"] == "COMPLETE"
    assert job["llm"]["apiKeyEnv"] == "CODERAI_TEST_API_KEY"
    for path in (f"/projects/{project_id}", f"/jobs/{job['id']}", f"/jobs/{job['id']}/logs"):
        assert "sk-test-secret-value" not in (await runner_client.get(path)).text


@pytest.mark.runner(runner_max_attempts=1, llm_max_retries=3)
async def test_a_server_refusing_json_schema_with_a_500_costs_no_item_a_retry(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, db: Database
) -> None:
    fake_llm.configure(supports_json_schema=False, json_schema_refusal_status=500)
    trials = await setup_trials(runner_client, fake_llm, 4)

    job = await run_job(runner_client, trials["project"]["id"])

    assert job["status"] == "COMPLETE" and job["doneItems"] == 4, job
    async with db.sessionmaker() as session:
        attempts = list(await session.scalars(select(JobItem.attempts)))
    assert attempts == [1, 1, 1, 1]
    records = fake_llm.stats.records
    refused = [r for r in records if r.method == "json_schema"]
    # Each refusal answered once (never retried); items that started after the first refusal
    # went straight to function calling.
    assert all(r.status == 500 for r in refused) and 1 <= len(refused) <= 4
    assert [r.status for r in records if r.method == "function_calling"] == [200] * 4
    logs = (await runner_client.get(f"/jobs/{job['id']}/logs")).json()
    noted = [log for log in logs if log["event"] == "structured_output"]
    assert len(noted) == 1 and noted[0]["metadata"] == {"method": "function_calling"}
