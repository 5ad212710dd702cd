"""Members and their roles, as an owner manages them; what each member then sees; and the
audit trail every action leaves."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from coderai.core.config import Settings
from coderai.core.database import Database
from coderai.main import create_app
from tests.conftest import empty_database, runner_settings
from tests.support.factories import category_payload, create_project, create_variable
from tests.support.fake_llm import FakeLLM
from tests.support.identity import bearer, user_with_token
from tests.support.seed import seed_job


async def test_owners_manage_members_and_the_last_owner_stays(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, owner_token = await user_with_token(db, "owner@example.org")
    coder_id, coder_token = await user_with_token(db, "coder@example.org", name="Cora Coder")
    owner = bearer(owner_token)
    project = (
        await client.post("/projects", json={"name": "Lab", "scale": "SMALL"}, headers=owner)
    ).json()
    members = f"/projects/{project['id']}/members"
    assert project["myRole"] == "OWNER"
    # The coder sees nothing of the project until added.
    assert (
        await client.get(f"/projects/{project['id']}", headers=bearer(coder_token))
    ).status_code == 404
    assert (await client.get("/projects", headers=bearer(coder_token))).json()["total"] == 0
    added = await client.post(
        members, json={"email": "CODER@example.org", "role": "CODER"}, headers=owner
    )
    assert added.status_code == 201
    assert added.json() == {**added.json(), "displayName": "Cora Coder", "role": "CODER"}
    seen = await client.get("/projects", headers=bearer(coder_token))
    assert [(p["name"], p["myRole"]) for p in seen.json()["items"]] == [("Lab", "CODER")]
    # A coder may not manage members; an owner may not add twice or add a stranger.
    assert (
        await client.post(
            members, json={"email": "x@example.org", "role": "VIEWER"}, headers=bearer(coder_token)
        )
    ).status_code == 403
    assert (
        await client.post(
            members, json={"email": "coder@example.org", "role": "VIEWER"}, headers=owner
        )
    ).status_code == 409
    assert (
        await client.post(
            members, json={"email": "nobody@example.org", "role": "VIEWER"}, headers=owner
        )
    ).status_code == 404
    # The last owner can neither step down nor leave; once another owner exists, they can.
    (me,) = [m for m in (await client.get(members, headers=owner)).json() if m["role"] == "OWNER"]
    assert (
        await client.put(f"{members}/{me['userId']}", json={"role": "EDITOR"}, headers=owner)
    ).status_code == 409
    assert (await client.delete(f"{members}/{me['userId']}", headers=owner)).status_code == 409
    promoted = await client.put(f"{members}/{coder_id}", json={"role": "OWNER"}, headers=owner)
    assert promoted.json()["role"] == "OWNER"
    assert (await client.delete(f"{members}/{me['userId']}", headers=owner)).status_code == 204
    assert (await client.get(f"/projects/{project['id']}", headers=owner)).status_code == 404
    roles = [(m["email"], m["role"]) for m in (await client.get(members)).json()]
    assert roles == [("coder@example.org", "OWNER")]


async def test_a_verdict_names_its_reviewer(client: httpx.AsyncClient, db: Database) -> None:
    project = await create_project(client)
    await create_variable(client, project["id"], **category_payload())
    uploaded = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("a.txt", b"A randomised trial.", "text/plain")},
    )
    job = await seed_job(
        db,
        uuid.UUID(project["id"]),
        [uuid.UUID(uploaded.json()["id"])],
        lambda doc, var: {"value": "RCT", "quote": "randomised trial", "confidence": 0.9},
    )
    extraction = next(iter(job.extraction_ids.values()))
    _, coder = await user_with_token(db, "coder@example.org", name="Cora Coder")
    await client.post(
        f"/projects/{project['id']}/members", json={"email": "coder@example.org", "role": "CODER"}
    )
    verdict = await client.post(
        f"/extractions/{extraction}/feedback", json={"isCorrect": True}, headers=bearer(coder)
    )
    assert verdict.status_code == 201
    assert verdict.json()["reviewerName"] == "Cora Coder"
    history = (await client.get(f"/extractions/{extraction}/feedback")).json()
    assert [f["reviewerName"] for f in history] == ["Cora Coder"]
    # A second reviewer's verdict is the extraction's current one; each keeps their own.
    second = await client.post(
        f"/extractions/{extraction}/feedback",
        json={"verdict": "INCORRECT", "correctedValue": "Cohort"},
    )
    assert second.json()["reviewerName"] == "Ada Admin"
    again = await client.post(
        f"/extractions/{extraction}/feedback", json={"isCorrect": True}, headers=bearer(coder)
    )
    assert again.status_code == 201
    history = (await client.get(f"/extractions/{extraction}/feedback")).json()
    rows = [
        (f["reviewerName"], f["verdict"], f["isReviewerCurrent"], f["isCurrent"]) for f in history
    ]
    assert rows == [
        ("Cora Coder", "CORRECT", True, True),
        ("Ada Admin", "INCORRECT", True, False),
        ("Cora Coder", "CORRECT", False, False),
    ]


@pytest.fixture
async def lab(
    settings: Settings, fake_llm: FakeLLM, db: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """An editor's client on an app with an LLM configured and no runner (jobs stay put)."""
    application = create_app(runner_settings(settings, fake_llm, runner_enabled=False))
    _, token = await user_with_token(db, "editor@example.org", name="Eddie Editor")
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test/api/v1", headers=bearer(token)
        ) as http:
            yield http
    await empty_database(db, settings)


async def test_every_action_leaves_one_audit_row(lab: httpx.AsyncClient, db: Database) -> None:
    project = await create_project(lab)
    pid = project["id"]
    variable = await create_variable(lab, pid, **category_payload())
    await lab.put(
        f"/variables/{variable['id']}",
        json={"instructions": "The design of the study, as the methods say."},
    )
    other = await create_variable(lab, pid, name="pupils")
    await lab.delete(f"/variables/{other['id']}")
    await lab.put(f"/projects/{pid}", json={"description": "Trials of reading programmes"})
    upload = await lab.post(
        f"/projects/{pid}/documents",
        files={"file": ("a.txt", b"A randomised trial.", "text/plain")},
    )
    spare = await lab.post(
        f"/projects/{pid}/documents", files={"file": ("b.txt", b"A cohort study.", "text/plain")}
    )
    await lab.delete(f"/documents/{spare.json()['id']}")
    job = await lab.post(
        f"/projects/{pid}/jobs", json={"jobType": "SAMPLE", "documentIds": [upload.json()["id"]]}
    )
    assert job.status_code == 201, job.text
    for step in ("pause", "resume"):
        assert (await lab.post(f"/jobs/{job.json()['id']}/{step}")).status_code == 200
    assert (await lab.delete(f"/jobs/{job.json()['id']}")).status_code == 204
    seeded = await seed_job(
        db,
        uuid.UUID(pid),
        [uuid.UUID(upload.json()["id"])],
        lambda doc, var: {"value": "RCT", "quote": "randomised trial", "confidence": 0.9},
    )
    extraction = next(iter(seeded.extraction_ids.values()))
    assert (
        await lab.post(f"/extractions/{extraction}/feedback", json={"isCorrect": True})
    ).status_code == 201
    assert (
        await lab.post(f"/projects/{pid}/export", json={"format": "CSV_WIDE"})
    ).status_code == 200
    await user_with_token(db, "viewer@example.org")
    await lab.post(
        f"/projects/{pid}/members", json={"email": "viewer@example.org", "role": "VIEWER"}
    )
    token = await lab.post("/auth/tokens", json={"name": "script"})
    await lab.delete(f"/auth/tokens/{token.json()['id']}")

    feed = await lab.get(f"/projects/{pid}/activity", params={"limit": 500})
    assert feed.status_code == 200
    rows = feed.json()
    assert int(feed.headers["x-total-count"]) == len(rows)
    actions = [row["action"] for row in rows]
    expected = {
        "projects-create": 1,
        "variables-create": 2,
        "variables-update": 1,
        "variables-delete": 1,
        "projects-update": 1,
        "documents-upload": 2,
        "documents-delete": 1,
        "jobs-create": 1,
        "jobs-pause": 1,
        "jobs-resume": 1,
        "jobs-cancel": 1,
        "extractions-feedback-create": 1,
        "exports-create": 1,
        "members-add": 1,
    }
    assert {a: actions.count(a) for a in expected} == expected
    assert all(row["userEmail"] == "editor@example.org" for row in rows)
    assert all(row["projectId"] == pid and row["targetId"] for row in rows)
    (verdict,) = [r for r in rows if r["action"] == "extractions-feedback-create"]
    assert (verdict["targetType"], verdict["targetId"]) == ("extraction", str(extraction))
    assert verdict["details"]["verdict"] == "CORRECT"
    (created,) = [r for r in rows if r["action"] == "jobs-create"]
    assert (created["targetType"], created["targetId"]) == ("job", job.json()["id"])
    # Token events belong to no project; an admin sees them in the instance feed.
    assert (await lab.get("/activity")).status_code == 403
    mine = await lab.get(f"/projects/{pid}/activity", params={"action": "jobs-pause"})
    assert [r["action"] for r in mine.json()] == ["jobs-pause"]


async def test_the_instance_feed_shows_sign_ins_and_tokens_to_admins(
    client: httpx.AsyncClient, db: Database
) -> None:
    await client.post("/users", json={"email": "new@example.org", "password": "long enough pw"})
    await client.post("/auth/login", json={"email": "new@example.org", "password": "wrong one"})
    await client.post(
        "/auth/login", json={"email": "new@example.org", "password": "long enough pw"}
    )
    created = await client.post("/auth/tokens", json={"name": "script"})
    await client.delete(f"/auth/tokens/{created.json()['id']}")
    feed = (await client.get("/activity")).json()
    actions = [row["action"] for row in feed]
    for action in (
        "users-create",
        "auth-login-failed",
        "auth-login",
        "auth-tokens-create",
        "auth-tokens-revoke",
    ):
        assert actions.count(action) == 1, (action, actions)
    (login,) = [r for r in feed if r["action"] == "auth-login"]
    assert login["userEmail"] == "new@example.org"


async def test_the_audit_trail_cannot_be_changed(client: httpx.AsyncClient, db: Database) -> None:
    await create_project(client)
    async with db.engine.connect() as connection:
        for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(DBAPIError, match="append-only"):
                await connection.execute(text(statement))
            await connection.rollback()
