"""Signed links that expire, and every bad request answered as a problem."""

import time
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from coderai.core.config import Settings
from coderai.exports.service import sign_link
from coderai.main import create_app
from coderai.models.enums import JobType
from tests.exports.conftest import Trials, create_trial_variables
from tests.support.factories import create_project
from tests.support.seed import seed_documents, seed_job


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    return body


async def create(client: httpx.AsyncClient, project_id: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/projects/{project_id}/export", json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


async def test_link_expires_with_the_configured_ttl(
    client: httpx.AsyncClient, settings: Settings, trials: Trials
) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"export_link_ttl_seconds": 0}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test/api/v1", headers=client.headers
        ) as http:
            info = await create(http, trials.project_id, format="CSV_WIDE")
            assert info["fileSize"] > 0
            body = assert_problem(await http.get(info["downloadUrl"]), 404)
            assert "expired" in body["detail"]
            assert_problem(await http.get(info["codebookUrl"]), 404)


async def test_link_is_valid_until_it_expires(
    client: httpx.AsyncClient, settings: Settings, trials: Trials
) -> None:
    info = await create(client, trials.project_id, format="CSV_WIDE")
    expires = time.time() + settings.export_link_ttl_seconds
    assert abs(_timestamp(info["expiresAt"]) - expires) < 60
    assert (await client.get(info["downloadUrl"])).status_code == 200
    # The same file signed with an expiry in the past is refused.
    path = _path_of(token_of(info["downloadUrl"]))
    past = sign_link(settings, path, int(time.time()) - 1)
    assert_problem(await client.get(f"/exports/{past}"), 404)
    future = sign_link(settings, path, int(time.time()) + 60)
    assert (await client.get(f"/exports/{future}")).status_code == 200


def _timestamp(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _path_of(token: str) -> str:
    import base64

    encoded = token.split(".")[0]
    payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    return payload.rsplit("|", 1)[0]


async def test_tampered_or_foreign_links_are_refused(
    client: httpx.AsyncClient, settings: Settings, trials: Trials
) -> None:
    info = await create(client, trials.project_id, format="CSV_WIDE")
    token = token_of(info["downloadUrl"])
    payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert_problem(await client.get(f"/exports/{payload}.{flipped}"), 404)
    other_key = settings.model_copy(update={"secret_key": SecretStr("another-secret")})
    forged = sign_link(other_key, _path_of(token), int(time.time()) + 60)
    assert_problem(await client.get(f"/exports/{forged}"), 404)
    # Even a correctly signed path cannot leave the exports directory.
    escape = sign_link(settings, "../files/anything", int(time.time()) + 60)
    assert_problem(await client.get(f"/exports/{escape}"), 404)
    for garbage in ("x", "not-a-token", "a.b", "%2e%2e"):
        assert_problem(await client.get(f"/exports/{garbage}"), 404)


async def test_no_results_yet_is_a_conflict(client: httpx.AsyncClient, db: Any) -> None:
    project = await create_project(client)
    await create_trial_variables(client, project["id"])
    response = await client.post(f"/projects/{project['id']}/export", json={"format": "CSV_WIDE"})
    body = assert_problem(response, 409)
    assert "no results to export yet" in body["detail"].lower()
    # An evaluation job is not a result set either.
    documents = await seed_documents(db, uuid.UUID(project["id"]), ["text"])
    await seed_job(
        db, uuid.UUID(project["id"]), documents, lambda d, n: None, job_type=JobType.EVALUATION
    )
    response = await client.post(f"/projects/{project['id']}/export", json={"format": "EXCEL"})
    assert_problem(response, 409)


BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown format", {"format": "XML"}, "format"),
    ("missing format", {}, "format"),
    ("lowercase format", {"format": "csv_wide"}, "format"),
    ("minConfidence above 1", {"format": "JSON", "minConfidence": 1.5}, "minConfidence"),
    ("minConfidence below 0", {"format": "JSON", "minConfidence": -0.1}, "minConfidence"),
    ("minConfidence as text", {"format": "JSON", "minConfidence": "high"}, "minConfidence"),
    ("unknown layout", {"format": "EXCEL", "layout": "TALL"}, "layout"),
    ("layout against format", {"format": "CSV_WIDE", "layout": "LONG"}, "body"),
    ("jobId not a uuid", {"format": "JSON", "jobId": "latest"}, "jobId"),
    ("unknown field", {"format": "JSON", "compress": True}, "compress"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
async def test_invalid_request_is_422(
    client: httpx.AsyncClient, trials: Trials, case: str, body: dict[str, Any], field: str
) -> None:
    response = await client.post(f"/projects/{trials.project_id}/export", json=body)
    problem = assert_problem(response, 422)
    assert any(e["field"] == field for e in problem["errors"]), problem


async def test_unknown_project_or_job_is_404(
    client: httpx.AsyncClient, db: Any, trials: Trials
) -> None:
    unknown = str(uuid.uuid4())
    assert_problem(await client.post(f"/projects/{unknown}/export", json={"format": "JSON"}), 404)
    response = await client.post(
        f"/projects/{trials.project_id}/export", json={"format": "JSON", "jobId": unknown}
    )
    assert_problem(response, 404)
    other = await create_project(client, name="Other")
    await create_trial_variables(client, other["id"])
    documents = await seed_documents(db, uuid.UUID(other["id"]), ["other text"])
    foreign = await seed_job(db, uuid.UUID(other["id"]), documents, lambda d, n: None)
    response = await client.post(
        f"/projects/{trials.project_id}/export",
        json={"format": "JSON", "jobId": str(foreign.job_id)},
    )
    assert "not found in project" in assert_problem(response, 404)["detail"]
    assert_problem(await client.post("/projects/not-a-uuid/export", json={"format": "JSON"}), 422)
