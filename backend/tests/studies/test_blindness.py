"""A coder of an open BLIND study sees neither the model's values, nor verdicts, nor other
coders' values for its documents, through any read the API offers; others still do."""

import uuid

import httpx
from fastapi import FastAPI

from coderai.auth.policy import POLICY, Access
from coderai.core.database import Database
from coderai.main import API_PREFIX
from tests.studies.conftest import make_team, open_study
from tests.support.factories import variable_payload

SECRET = "MODELSECRET"  # the model's value and quote on the study's documents
STUDY_DOCUMENTS = 5


def _answer(doc: int, name: str) -> dict[str, object]:
    if doc < STUDY_DOCUMENTS:
        return {"value": f"{SECRET} {doc}", "quote": f"{SECRET} quote"}
    return {"value": f"visible {doc}", "quote": "visible quote"}


async def test_a_blind_coder_sees_no_value_of_the_study_documents(
    app: FastAPI, client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(
        client,
        db,
        [variable_payload(name="finding", type="TEXT", instructions="The main finding.")],
        _answer,
        documents=8,
        members={"ann": "EDITOR", "bob": "CODER", "cat": "CODER"},
    )
    documents = [str(d) for d in team.job.document_ids[:STUDY_DOCUMENTS]]
    study = await open_study(client, team, ["ann", "bob"], documentIds=documents)
    variable = team.variables["finding"]
    extraction = str(team.job.extraction_ids[(0, "finding", 0)])
    coded = await client.put(
        f"/studies/{study['id']}/units/0/codings",
        json={"codings": [{"variableId": variable, "value": "ANNSECRET", "quote": "ANNSECRET"}]},
        headers=team.as_("ann"),
    )
    assert coded.status_code == 200, coded.text
    verdict = await client.post(
        f"/extractions/{extraction}/feedback",
        json={"verdict": "INCORRECT", "correctedValue": "VERDICTSECRET", "note": "VERDICTSECRET"},
    )
    assert verdict.status_code == 201, verdict.text
    secrets = (SECRET, "ANNSECRET", "VERDICTSECRET")
    prompts = (await client.get(f"/variables/{variable}/prompts")).json()
    ids = {
        "projectId": team.project_id,
        "variableId": variable,
        "documentId": documents[0],
        "jobId": team.job_id,
        "extractionId": extraction,
        "promptId": prompts[0]["id"],
        "userId": str(team.user_ids["bob"]),
        "tokenId": str(uuid.uuid4()),
        "studyId": study["id"],
        "unitIndex": "0",
    }
    reads = [
        (operation["operationId"], path.removeprefix(API_PREFIX).format(**ids))
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if method == "get" and POLICY[operation["operationId"]] is not Access.PUBLIC
    ]
    answered = set()
    for operation, url in reads:
        response = await client.get(url, headers=team.as_("bob"))
        leaked = [s for s in secrets if s in response.text]
        assert leaked == [], (operation, response.status_code, response.text[:300])
        if response.status_code == 200:
            answered.add(operation)
    # The reads ran, and hid only what they must: the other documents' values stay visible.
    assert {"jobs-results", "jobs-feedback", "studies-unit", "documents-get"} <= answered
    results = await client.get(f"/jobs/{team.job_id}/results", headers=team.as_("bob"))
    assert "visible 7" in results.text
    assert results.headers["X-Total-Count"] == "3"
    detail = await client.get(f"/extractions/{extraction}", headers=team.as_("bob"))
    assert detail.status_code == 404
    # An editor who codes the study may not adjudicate it while it is blind.
    ann_sees = await client.get(f"/studies/{study['id']}/disagreements", headers=team.as_("ann"))
    assert ann_sees.status_code == 403
    assert (await client.get(f"/studies/{study['id']}/disagreements")).status_code == 200
    # Someone who does not code the study sees everything.
    for other in (team.as_("cat"), {}):
        seen = await client.get(f"/jobs/{team.job_id}/results", headers=other or None)
        assert SECRET in seen.text
        history = await client.get(f"/extractions/{extraction}/feedback", headers=other or None)
        assert "VERDICTSECRET" in history.text


async def test_closing_a_study_ends_blindness_and_freezes_codings(
    client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(
        client,
        db,
        [variable_payload(name="finding", type="TEXT", instructions="The main finding.")],
        _answer,
        documents=6,
    )
    documents = [str(d) for d in team.job.document_ids[:STUDY_DOCUMENTS]]
    study = await open_study(client, team, ["ann", "bob"], documentIds=documents)
    results = f"/jobs/{team.job_id}/results"
    assert SECRET not in (await client.get(results, headers=team.as_("bob"))).text
    by_coder = await client.post(f"/studies/{study['id']}/close", headers=team.as_("bob"))
    assert by_coder.status_code == 403
    closed = await client.post(f"/studies/{study['id']}/close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "CLOSED"
    assert SECRET in (await client.get(results, headers=team.as_("bob"))).text
    late = await client.put(
        f"/studies/{study['id']}/units/0/codings",
        json={"codings": [{"variableId": team.variables["finding"], "value": "late"}]},
        headers=team.as_("bob"),
    )
    assert late.status_code == 422


async def test_unblinding_shows_values_while_the_study_stays_open(
    client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(
        client,
        db,
        [variable_payload(name="finding", type="TEXT", instructions="The main finding.")],
        _answer,
        documents=6,
        members={"ann": "EDITOR", "bob": "CODER"},
    )
    documents = [str(d) for d in team.job.document_ids[:STUDY_DOCUMENTS]]
    study = await open_study(client, team, ["ann", "bob"], documentIds=documents)
    results = f"/jobs/{team.job_id}/results"
    export = {"format": "CSV_WIDE", "jobId": team.job_id}
    csv_url = f"/studies/{study['id']}/codings.csv"
    # Blind: Ann, an editor who codes the study, gets neither the export nor the coders' table.
    assert SECRET not in (await client.get(results, headers=team.as_("ann"))).text
    refused = await client.post(
        f"/projects/{team.project_id}/export", json=export, headers=team.as_("ann")
    )
    assert refused.status_code == 403, refused.text
    assert (await client.get(csv_url, headers=team.as_("ann"))).status_code == 403
    assert (await client.get(csv_url, headers=team.as_("bob"))).status_code == 403  # a CODER
    by_coder = await client.post(f"/studies/{study['id']}/unblind", headers=team.as_("bob"))
    assert by_coder.status_code == 403

    unblinded = await client.post(f"/studies/{study['id']}/unblind")
    assert unblinded.status_code == 200, unblinded.text
    assert (unblinded.json()["unblinded"], unblinded.json()["status"]) == (True, "OPEN")
    assert SECRET in (await client.get(results, headers=team.as_("bob"))).text
    allowed = await client.post(
        f"/projects/{team.project_id}/export", json=export, headers=team.as_("ann")
    )
    assert allowed.status_code == 200, allowed.text
    assert (await client.get(csv_url, headers=team.as_("ann"))).status_code == 200
    # The study stays open: the coders still code.
    saved = await client.put(
        f"/studies/{study['id']}/units/0/codings",
        json={"codings": [{"variableId": team.variables["finding"], "value": "late"}]},
        headers=team.as_("bob"),
    )
    assert saved.status_code == 200, saved.text
