"""A prompt draft scored against the gold values of a reliability study, on a job nobody gave
a single verdict on: the gold is the truth the draft's answers are judged by."""

import uuid

import httpx

from coderai.core.database import Database
from tests.prompts.test_evaluation import wait_for
from tests.support.factories import category_payload, create_project, create_variable
from tests.support.fake_llm import FakeLLM
from tests.support.identity import user_with_token
from tests.support.seed import seed_documents

TRUTH = ["RCT", "RCT", "Cohort", "RCT"]
HINT = "Count the trial arms first."


async def test_a_draft_is_scored_against_the_gold(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, db: Database
) -> None:
    client = runner_client
    project = (await create_project(client))["id"]
    design = (await create_variable(client, project, **category_payload()))["id"]
    texts = [f"Report {i}. Design: {truth}." for i, truth in enumerate(TRUTH)]
    documents = await seed_documents(db, uuid.UUID(project), texts)
    # The active prompt answers Cohort everywhere; a prompt with the hint reads the text.
    fake_llm.add_fact(
        "design",
        r"Design: (?P<value>[A-Za-z-]+)\.",
        when_prompt_contains=HINT,
        otherwise_value="Cohort",
    )
    created = await client.post(
        f"/projects/{project}/jobs",
        json={"jobType": "SAMPLE", "documentIds": [str(d) for d in documents]},
    )
    job = await wait_for(client, created.json()["id"])
    assert job["status"] == "COMPLETE", job

    for name in ("ann", "bob"):
        await user_with_token(db, f"{name}@example.org")
        added = await client.post(
            f"/projects/{project}/members", json={"email": f"{name}@example.org", "role": "CODER"}
        )
        assert added.status_code == 201, added.text
    study = await client.post(
        f"/jobs/{job['id']}/assignments",
        json={"mode": "BLIND", "coderEmails": ["ann@example.org", "bob@example.org"]},
    )
    assert study.status_code == 201, study.text
    # The editor sets the gold directly, in the variable's spelling or not.
    gold = await client.put(
        f"/studies/{study.json()['id']}/gold",
        json={
            "items": [
                {"unitIndex": i, "variableId": design, "value": truth.lower()}
                for i, truth in enumerate(TRUTH)
            ]
        },
    )
    assert gold.status_code == 200, gold.text

    # Without any verdict, the gold alone gives the figures: the model is right on 1 of 4.
    analysis = (await client.get(f"/variables/{design}/feedback-analysis")).json()
    assert (analysis["reviewed"], analysis["correct"], analysis["againstGold"]) == (4, 1, 4)

    active = (await client.get(f"/variables/{design}")).json()["currentPrompt"]
    drafted = await client.post(
        f"/variables/{design}/prompts", json={"promptText": f"{active['promptText']}\n{HINT}"}
    )
    assert drafted.status_code == 201, drafted.text
    draft = drafted.json()["draft"]["id"]
    started = await client.post(f"/prompts/{draft}/evaluate", json={})
    assert started.status_code == 201, started.text
    assert started.json()["sourceJobId"] == job["id"]
    finished = await wait_for(client, started.json()["jobId"])
    assert finished["status"] == "COMPLETE", finished
    (scored,) = (await client.get(f"/prompts/{draft}/evaluation")).json()["variables"]
    assert (scored["scored"], scored["undetermined"]) == (4, 0)
    assert (scored["oldAccuracy"], scored["newAccuracy"]) == (0.25, 1.0)
    assert (scored["improved"], scored["regressed"]) == (3, 0)
