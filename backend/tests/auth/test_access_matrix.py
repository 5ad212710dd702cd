"""Every operation of the OpenAPI document, called by every kind of caller, answers what the
one policy table (`coderai.auth.policy.POLICY`) says: 401 for anonymous callers, 404 for what a
caller cannot see (a project they are not a member of, even as the owner of another), 403 for
what their role may not do, and neither for what it may. A route with no entry in the table
fails here (and the app refuses to start with it)."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from coderai.auth.policy import POLICY, Access
from coderai.core.config import Settings
from coderai.core.database import Database
from coderai.main import create_app
from coderai.models.enums import ROLE_RANK, ProjectRole
from tests.support.factories import category_payload, create_project, create_variable
from tests.support.identity import bearer, user_with_token
from tests.support.seed import seed_job

ROLES = [ProjectRole.VIEWER, ProjectRole.CODER, ProjectRole.EDITOR, ProjectRole.OWNER]
CALLERS = ["anonymous", "outsider", *ROLES, "admin"]


@dataclass
class World:
    ids: dict[str, str]  # path parameter -> an object of project A
    tokens: dict[str, str]  # caller -> API token


async def build_world(client: httpx.AsyncClient, db: Database) -> World:
    """Project A with one of everything, a member of each role, and an outsider who owns
    project B."""
    project = await create_project(client, name="Project A")
    variable = await create_variable(client, project["id"], **category_payload())
    uploaded = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("trial.txt", b"A randomised trial of 40 pupils.", "text/plain")},
    )
    assert uploaded.status_code == 201, uploaded.text
    documents = [uuid.UUID(uploaded.json()["id"])]
    job = await seed_job(
        db,
        uuid.UUID(project["id"]),
        documents,
        lambda doc, var: {"value": "RCT", "quote": "randomised trial", "confidence": 0.9},
    )
    prompts = (await client.get(f"/variables/{variable['id']}/prompts")).json()
    tokens: dict[str, str] = {}
    for role in ROLES:
        _, tokens[role.value] = await user_with_token(db, f"{role.value.lower()}@example.org")
        added = await client.post(
            f"/projects/{project['id']}/members",
            json={"email": f"{role.value.lower()}@example.org", "role": role.value},
        )
        assert added.status_code == 201, added.text
    # The member the members-update and members-remove calls name (not a caller).
    leaving, _ = await user_with_token(db, "leaving@example.org")
    added = await client.post(
        f"/projects/{project['id']}/members",
        json={"email": "leaving@example.org", "role": "VIEWER"},
    )
    assert added.status_code == 201
    # A reliability study coded by two members who are not among the callers: its coder-only
    # routes then answer every allowed caller alike (404: not a coder of it).
    for name in ("first-coder", "second-coder"):
        await user_with_token(db, f"{name}@example.org")
        added = await client.post(
            f"/projects/{project['id']}/members",
            json={"email": f"{name}@example.org", "role": "CODER"},
        )
        assert added.status_code == 201
    study = await client.post(
        f"/jobs/{job.job_id}/assignments",
        json={
            "mode": "BLIND",
            "coderEmails": ["first-coder@example.org", "second-coder@example.org"],
        },
    )
    assert study.status_code == 201, study.text
    _, tokens["outsider"] = await user_with_token(db, "outsider@example.org")
    other = await client.post(
        "/projects",
        json={"name": "Project B", "scale": "SMALL"},
        headers=bearer(tokens["outsider"]),
    )
    assert other.status_code == 201
    tokens["admin"] = client.headers["Authorization"].removeprefix("Bearer ")
    ids = {
        "projectId": project["id"],
        "variableId": variable["id"],
        "documentId": str(documents[0]),
        "jobId": str(job.job_id),
        "extractionId": str(next(iter(job.extraction_ids.values()))),
        "promptId": prompts[0]["id"],
        "studyId": study.json()["id"],
        "unitIndex": "0",
        "userId": str(leaving),
        "tokenId": str(uuid.uuid4()),
        "token": "not-a-valid-link",
    }
    return World(ids, tokens)


def operations(app: FastAPI) -> list[tuple[str, str, str]]:
    """(operation id, method, path) of every operation; deletions last, the deepest paths
    first (a verdict on an extraction before the document it is on), the project's last."""
    found = [
        (operation["operationId"], method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    ]

    def order(entry: tuple[str, str, str]) -> tuple[int, int, str]:
        operation, method, path = entry
        deleting = method == "DELETE"
        depth = -path.count("/") if deleting else 0
        return (2 if operation == "projects-delete" else int(deleting), depth, operation)

    return sorted(found, key=order)


def expected(requirement: Access | ProjectRole, caller: str) -> set[int] | None:
    """The status a denied caller gets, or None when the caller is allowed."""
    if requirement is Access.PUBLIC:
        return None
    if requirement is Access.METRICS:
        # The scraper's own token or network (none configured here): accounts never open it.
        return {401}
    if caller == "anonymous":
        return {401}
    if caller == "admin" or requirement is Access.AUTHENTICATED:
        return None
    if requirement is Access.ADMIN:
        return {403}
    assert isinstance(requirement, ProjectRole)
    if caller == "outsider":
        return {404}
    return None if ROLE_RANK[ProjectRole(caller)] >= ROLE_RANK[requirement] else {403}


def test_every_operation_has_a_policy(app: FastAPI) -> None:
    unnamed = [op for op, _, _ in operations(app) if op not in POLICY]
    assert unnamed == []
    stale = set(POLICY) - {op for op, _, _ in operations(app)}
    assert stale == set(), "policy entries for operations that no longer exist"


async def test_each_caller_gets_what_the_policy_table_says(
    app: FastAPI, client: httpx.AsyncClient, db: Database
) -> None:
    world = await build_world(client, db)
    transport = httpx.ASGITransport(app=app)
    checked: set[str] = set()
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as anyone:

        async def call(method: str, url: str, caller: str) -> httpx.Response:
            headers = {} if caller == "anonymous" else bearer(world.tokens[caller])
            body: dict[str, Any] | None = {} if method in {"POST", "PUT"} else None
            return await anyone.request(method, url, json=body, headers=headers)

        for operation, method, path in operations(app):
            url = path.format(**world.ids)
            requirement = POLICY[operation]
            # What the operation answers when nobody is refused (an admin): any caller the
            # policy allows must get the same (a deletion only once: then it is gone).
            baseline = (
                None if method == "DELETE" else (await call(method, url, "admin")).status_code
            )
            allowed_before = False
            for caller in CALLERS:
                response = await call(method, url, caller)
                status = response.status_code
                denied = expected(requirement, caller)
                context = (operation, caller, status, response.text[:300])
                if denied is not None:
                    assert status in denied, context
                    assert response.headers["content-type"] == "application/problem+json"
                elif baseline is not None:
                    assert status == baseline, context
                elif not allowed_before and operation != "auth-tokens-revoke":
                    # The first caller allowed to delete finds the object (the token id is
                    # made up: nobody has that token).
                    assert status not in {401, 403, 404}, context
                else:
                    assert status not in {401, 403}, context
                allowed_before |= denied is None
            checked.add(operation)
    assert checked == set(POLICY)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/projects/{b}/jobs", {"jobType": "SAMPLE", "documentIds": ["{document}"]}),
        ("POST", "/projects/{b}/export", {"format": "CSV_WIDE", "jobId": "{job}"}),
        ("POST", "/projects/{b}/extract-preview", {"documentId": "{document}"}),
    ],
)
async def test_ids_of_another_project_in_the_body_reach_nothing(
    client: httpx.AsyncClient, db: Database, method: str, path: str, body: dict[str, Any]
) -> None:
    """An owner of project B who names project A's objects in a request body gets a 4xx and
    nothing of A (no job over A's documents, no export of A's job)."""
    world = await build_world(client, db)
    owner_b = bearer(world.tokens["outsider"])
    projects = (await client.get("/projects", headers=owner_b)).json()["items"]
    (project_b,) = [p for p in projects if p["name"] == "Project B"]
    fill = {"b": project_b["id"], "document": world.ids["documentId"], "job": world.ids["jobId"]}
    payload = {
        key: [v.format(**fill) for v in value] if isinstance(value, list) else value.format(**fill)
        for key, value in body.items()
    }
    response = await client.request(method, path.format(**fill), json=payload, headers=owner_b)
    assert 400 <= response.status_code < 500, response.text
    assert response.status_code not in {401, 403}
    jobs = await client.get(f"/projects/{project_b['id']}/jobs", headers=owner_b)
    assert jobs.json() == []


def test_an_app_with_a_route_missing_from_the_policy_refuses_to_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(POLICY, "health-live")
    with pytest.raises(RuntimeError, match="health-live"):
        create_app(settings)
