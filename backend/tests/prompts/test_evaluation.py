"""A refined draft scored before adoption: an EVALUATION job on the reviewed documents, run by
the real runner and engine against the fake LLM, and old vs new accuracy per variable."""

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest

from coderai.core.database import Database
from tests.support.factories import category_payload, create_project, create_variable
from tests.support.fake_llm import FakeLLM
from tests.support.seed import seed_documents

PARTICIPANTS = r"enrolled (?P<value>\d+) participants"


async def wait_for(client: httpx.AsyncClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = (await client.get(f"/jobs/{job_id}")).json()
        if job["status"] in {"COMPLETE", "FAILED", "CANCELLED"}:
            return job  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


async def reviewed_sample(client: httpx.AsyncClient, fake: FakeLLM, db: Database) -> dict[str, Any]:
    """A sample job where the model gets `participants` wrong (7) on three documents unless its
    prompt shows reviewers' corrected examples, and `design` right; all answers reviewed."""
    project = await create_project(client)
    participants = await create_variable(client, project["id"])
    rules = {"categories": [{"value": "RCT"}, {"value": "Cohort"}]}
    design = await create_variable(
        client, project["id"], **category_payload(order=2, classificationRules=rules)
    )
    texts = [
        f"Report {i}. The study was a randomised controlled trial. "
        f"It enrolled {100 + i} participants."
        for i in range(3)
    ]
    documents = await seed_documents(db, uuid.UUID(project["id"]), texts)
    fake.add_fact(
        "participants",
        PARTICIPANTS,
        when_prompt_contains="Corrected examples",
        otherwise_value=7,
        confidence=0.9,
    )
    fake.add_fact("design", "randomised controlled trial", value="RCT", confidence=0.9)
    created = await client.post(
        f"/projects/{project['id']}/jobs",
        json={"jobType": "SAMPLE", "documentIds": [str(d) for d in documents]},
    )
    assert created.status_code == 201, created.text
    job = await wait_for(client, created.json()["id"])
    assert job["status"] == "COMPLETE"
    results = (await client.get(f"/jobs/{job['id']}/results")).json()
    assert len(results) == 6
    for result in results:
        url = f"/extractions/{result['id']}/feedback"
        if result["variableName"] == "participants":
            assert result["typedValue"] == 7
            truth = 100 + documents.index(uuid.UUID(result["documentId"]))
            body: dict[str, Any] = {"isCorrect": False, "correctedValue": truth}
        else:
            body = {"isCorrect": True}
        assert (await client.post(url, json=body)).status_code == 201
    return {
        "project": project,
        "participants": participants,
        "design": design,
        "job": job,
        "documents": documents,
    }


def learnt_numbers(refinement: dict[str, Any], documents: list[uuid.UUID]) -> list[int]:
    """The participant counts of the reviewed answers a refinement learnt from (not held out)."""
    held = {uuid.UUID(h["documentId"]) for h in refinement["heldOut"]}
    return [100 + i for i, document in enumerate(documents) if document not in held]


async def test_evaluate_a_draft_before_adopting_it(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, db: Database
) -> None:
    client = runner_client
    setup = await reviewed_sample(client, fake_llm, db)
    variable, job_id = setup["participants"]["id"], setup["job"]["id"]
    documents = setup["documents"]
    refined = await client.post(
        f"/variables/{variable}/refine", json={"jobId": job_id, "useLlm": False}
    )
    assert refined.status_code == 201, refined.text
    draft = refined.json()["draft"]
    # One of the three reviewed answers is held out: the draft learns from the other two...
    [held_out] = refined.json()["heldOut"]
    held = documents.index(uuid.UUID(held_out["documentId"]))
    learnt = sorted({0, 1, 2} - {held})
    assert refined.json()["analysis"]["reviewed"] == 2
    for i in learnt:
        assert f'"enrolled {100 + i} participants" → {100 + i}, not 7' in draft["promptText"]
    assert f"enrolled {100 + held} participants" not in draft["promptText"]

    started = await client.post(f"/prompts/{draft['id']}/evaluate", json={"jobId": job_id})
    assert started.status_code == 201, started.text
    evaluation = started.json()
    assert (evaluation["sourceJobId"], evaluation["promptVersion"]) == (job_id, 2)
    evaluation_job = await wait_for(client, evaluation["jobId"])
    assert evaluation_job["jobType"] == "EVALUATION"
    assert evaluation_job["status"] == "COMPLETE"
    assert evaluation_job["promptVersions"] == {"participants": 2, "design": 1}
    # ...and is run and scored only on the one it was not learnt from.
    assert evaluation_job["totalItems"] == 1

    result = (await client.get(f"/prompts/{draft['id']}/evaluation")).json()
    assert result["complete"] is True
    participants, design = result["variables"]
    assert participants["evaluated"] is True
    assert (participants["oldPromptVersion"], participants["newPromptVersion"]) == (1, 2)
    assert (participants["scored"], participants["learntFromExcluded"]) == (1, 2)
    assert (participants["oldAccuracy"], participants["newAccuracy"]) == (0.0, 1.0)
    # One answer is not evidence: the figures carry their interval and are not comparable.
    assert participants["comparable"] is False and participants["minScoredToCompare"] == 10
    low, high = participants["newAccuracyInterval"]
    assert low < 0.25 and high == 1.0  # Wilson 95 % for 1 of 1: [0.207, 1]
    assert (participants["improved"], participants["regressed"]) == (1, 0)
    assert [c["newValue"] for c in participants["changes"]] == [100 + held]
    # The other variable ran with its unchanged prompt: same answers, same verdicts.
    assert design["evaluated"] is False and design["learntFromExcluded"] == 0
    assert (design["oldAccuracy"], design["newAccuracy"], design["changes"]) == (1.0, 1.0, [])

    # Evaluating adopts nothing and is not a sample: the draft is still a draft, the project
    # stays READY, and the review figures across jobs ignore the evaluation's answers.
    assert (await client.get(f"/variables/{variable}")).json()["currentPrompt"]["version"] == 1
    assert (await client.get(f"/projects/{setup['project']['id']}")).json()["status"] == "READY"
    analysis = (await client.get(f"/variables/{variable}/feedback-analysis")).json()
    assert (analysis["reviewed"], analysis["accuracy"]) == (3, 0.0)


async def test_evaluation_needs_reviewed_answers(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    project = await create_project(runner_client)
    variable = await create_variable(runner_client, project["id"])
    prompt = (await runner_client.get(f"/variables/{variable['id']}")).json()["currentPrompt"]
    response = await runner_client.post(f"/prompts/{prompt['id']}/evaluate")
    assert response.status_code == 409
    assert "No reviewed answers" in response.json()["detail"]
    missing = await runner_client.get(f"/prompts/{prompt['id']}/evaluation")
    assert missing.status_code == 404
    unknown = await runner_client.post(f"/prompts/{uuid.uuid4()}/evaluate")
    assert unknown.status_code == 404


async def test_refinement_with_an_llm_rewrite(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, db: Database
) -> None:
    setup = await reviewed_sample(runner_client, fake_llm, db)
    # The refiner's request carries no document: an empty pattern answers it.
    fake_llm.add_fact(
        "clarifiedInstructions",
        "^",
        value="Report the number enrolled as written in the sentence that states it.",
    )
    refined = await runner_client.post(f"/variables/{setup['participants']['id']}/refine")
    assert refined.status_code == 201, refined.text
    body = refined.json()
    assert body["llm"]["used"] is True
    assert body["llm"]["model"]
    assert body["llm"]["refinerPromptVersion"] == "refiner-1"
    text = body["draft"]["promptText"]
    assert "Clarified instructions:\nReport the number enrolled as written" in text
    learnt = learnt_numbers(body, setup["documents"])
    assert f'"enrolled {learnt[0]} participants" → {learnt[0]}, not 7' in text
    # What the refiner asked: its versioned instructions and the reviewers' corrections.
    request = fake_llm.last_request
    assert request is not None
    messages = "\n".join(str(m["content"]) for m in request["messages"])
    assert "You improve the instructions" in messages
    assert f'quote "enrolled {learnt[0]} participants": answered 7, correct {learnt[0]}' in messages


@pytest.mark.runner(llm_max_retries=0)
async def test_refinement_survives_a_failing_llm(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, db: Database
) -> None:
    setup = await reviewed_sample(runner_client, fake_llm, db)
    fake_llm.inject("500", times=5)
    refined = await runner_client.post(f"/variables/{setup['participants']['id']}/refine")
    assert refined.status_code == 201, refined.text
    body = refined.json()
    assert body["llm"]["used"] is False
    assert body["llm"]["error"]
    assert "Clarified instructions" not in body["draft"]["promptText"]
    learnt = learnt_numbers(body, setup["documents"])
    assert (
        f'"enrolled {learnt[0]} participants" → {learnt[0]}, not 7' in body["draft"]["promptText"]
    )
