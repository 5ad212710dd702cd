"""Signing in as a person would: first run, the session cookie and its Origin check, sign-out,
expiry and renewal, throttling, API tokens, the CLI, and no secret in any log line."""

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from coderai.core.config import Settings
from coderai.core.database import Database
from coderai.models import ApiToken, User, UserSession
from tests.conftest import empty_database
from tests.support.identity import bearer, user_with_token

PASSWORD = "correct horse battery"
EMAIL = "lead@example.org"
APP_ORIGIN = "http://localhost:3000"  # in CORS_ORIGINS by default
BACKEND = Path(__file__).resolve().parents[2]


@pytest.fixture
async def browser(
    app: FastAPI, db: Database, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client with a cookie jar and no credentials, on an instance with no account yet."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        yield http
    await empty_database(db, settings)


async def first_account(browser: httpx.AsyncClient) -> httpx.Response:
    return await browser.post(
        "/auth/setup",
        json={"email": EMAIL, "password": PASSWORD, "displayName": "Lab Lead"},
        headers={"Origin": APP_ORIGIN},
    )


async def test_first_run_creates_an_admin_once(browser: httpx.AsyncClient, db: Database) -> None:
    assert (await browser.get("/auth/setup")).json() == {"needsSetup": True}
    assert (await browser.get("/projects")).status_code == 401
    created = await first_account(browser)
    assert created.status_code == 201, created.text
    assert created.json()["isAdmin"] is True
    assert (await browser.get("/auth/me")).json()["email"] == EMAIL  # signed in by the cookie
    assert (await browser.get("/auth/setup")).json() == {"needsSetup": False}
    again = await browser.post(
        "/auth/setup",
        json={"email": "other@example.org", "password": PASSWORD},
        headers={"Origin": APP_ORIGIN},
    )
    assert again.status_code == 409
    async with db.transaction() as session:
        hashes = (await session.scalars(select(User.password_hash))).all()
    assert len(hashes) == 1 and hashes[0] is not None
    assert hashes[0].startswith("$argon2id$")


async def test_login_sets_an_httponly_cookie_and_logout_ends_it(
    browser: httpx.AsyncClient,
) -> None:
    await first_account(browser)
    browser.cookies.clear()
    wrong_password = await browser.post("/auth/login", json={"email": EMAIL, "password": "nope"})
    unknown_email = await browser.post(
        "/auth/login", json={"email": "who@example.org", "password": PASSWORD}
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json()["detail"] == unknown_email.json()["detail"]
    response = await browser.post(
        "/auth/login", json={"email": EMAIL.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert "coderai_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert (await browser.get("/auth/me")).status_code == 200
    out = await browser.post("/auth/logout", headers={"Origin": APP_ORIGIN})
    assert out.status_code == 204
    browser.cookies.set("coderai_session", cookie.split("=", 1)[1].split(";")[0])
    assert (await browser.get("/auth/me")).status_code == 401  # the old cookie is revoked


async def test_a_cookie_request_that_changes_state_needs_our_origin(
    browser: httpx.AsyncClient,
) -> None:
    await first_account(browser)
    body = {"name": "Trials", "scale": "SMALL"}
    no_origin = await browser.post("/projects", json=body)
    foreign = await browser.post("/projects", json=body, headers={"Origin": "https://evil.test"})
    assert no_origin.status_code == foreign.status_code == 403
    allowed = await browser.post("/projects", json=body, headers={"Origin": APP_ORIGIN})
    assert allowed.status_code == 201
    # Through the web app's proxy: the Origin is the host the browser saw.
    proxied = await browser.post(
        "/projects",
        json=body,
        headers={"Origin": "http://10.1.2.3:13000", "X-Forwarded-Host": "10.1.2.3:13000"},
    )
    assert proxied.status_code == 201
    assert (await browser.get("/projects")).json()["total"] == 2  # reads need no Origin
    listed = await browser.get("/projects")
    assert all(p["myRole"] == "OWNER" for p in listed.json()["items"])


async def test_an_expired_session_is_refused_and_a_used_one_slides(
    browser: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await first_account(browser)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        await session.execute(update(UserSession).values(expires_at=now + timedelta(minutes=5)))
    renewed = await browser.get("/auth/me")
    assert renewed.status_code == 200 and "coderai_session=" in renewed.headers["set-cookie"]
    async with db.transaction() as session:
        expires = await session.scalar(select(UserSession.expires_at))
    assert expires is not None
    assert expires > now + timedelta(hours=settings.session_ttl_hours - 1)
    async with db.transaction() as session:
        await session.execute(update(UserSession).values(expires_at=now - timedelta(seconds=1)))
    assert (await browser.get("/auth/me")).status_code == 401


async def test_failed_logins_are_throttled_per_account(
    browser: httpx.AsyncClient, settings: Settings
) -> None:
    await first_account(browser)
    browser.cookies.clear()
    for _ in range(settings.login_max_failures_per_account):
        wrong = await browser.post("/auth/login", json={"email": EMAIL, "password": "guess"})
        assert wrong.status_code == 401
    throttled = await browser.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    other = await browser.post(
        "/auth/login", json={"email": "someone@example.org", "password": "guess"}
    )
    assert other.status_code == 401  # another account is not locked out by this one


async def test_api_tokens_are_shown_once_listed_and_revoked(
    client: httpx.AsyncClient, db: Database
) -> None:
    created = await client.post("/auth/tokens", json={"name": "notebook"})
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith(created.json()["prefix"])
    listed = await client.get("/auth/tokens")
    assert all("token" not in t for t in listed.json())
    assert "notebook" in [t["name"] for t in listed.json()]
    async with db.transaction() as session:
        stored = (await session.scalars(select(ApiToken.token_hash))).all()
    assert token not in stored
    assert (await client.get("/auth/me", headers=bearer(token))).status_code == 200
    revoked = await client.delete(f"/auth/tokens/{created.json()['id']}")
    assert revoked.status_code == 204
    assert (await client.get("/auth/me", headers=bearer(token))).status_code == 401
    assert (await client.get("/projects", headers=bearer("cdr_made-up"))).status_code == 401
    assert (await client.get("/projects", headers={"Authorization": "Basic x"})).status_code == 401


async def test_a_disabled_account_cannot_call(client: httpx.AsyncClient, db: Database) -> None:
    user_id, token = await user_with_token(db, "gone@example.org")
    assert (await client.get("/auth/me", headers=bearer(token))).status_code == 200
    async with db.transaction() as session:
        await session.execute(update(User).where(User.id == user_id).values(is_disabled=True))
    assert (await client.get("/auth/me", headers=bearer(token))).status_code == 401


def _cli(args: list[str], database_url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(BACKEND)}
    return subprocess.run(
        [sys.executable, "-m", "coderai.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=BACKEND,
        timeout=120,
        check=False,
    )


async def test_cli_creates_accounts_and_prints_a_token_alone(
    browser: httpx.AsyncClient, database_url: str
) -> None:
    made = await asyncio.to_thread(
        _cli,
        ["users", "create", "ops@example.org", "--admin", "--name", "Ops"],
        database_url,
        PASSWORD + "\n",
    )
    assert made.returncode == 0, made.stderr
    assert PASSWORD not in made.stdout + made.stderr
    token = await asyncio.to_thread(
        _cli, ["tokens", "create", "ops@example.org", "--name", "backup"], database_url
    )
    assert token.returncode == 0, token.stderr
    lines = token.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cdr_")
    me = await browser.get("/auth/me", headers=bearer(lines[0]))
    assert me.json()["isAdmin"] is True and me.json()["displayName"] == "Ops"
    login = await browser.post(
        "/auth/login", json={"email": "ops@example.org", "password": PASSWORD}
    )
    assert login.status_code == 200
    short = await asyncio.to_thread(
        _cli, ["users", "create", "x@example.org"], database_url, "short\n"
    )
    assert short.returncode == 2 and "at least" in short.stderr
    unknown = await asyncio.to_thread(
        _cli, ["tokens", "create", "nobody@example.org", "--name", "x"], database_url
    )
    assert unknown.returncode == 2 and unknown.stdout == ""


async def test_no_password_token_or_cookie_reaches_a_log_line(
    browser: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await first_account(browser)
    cookie = browser.cookies["coderai_session"]
    await browser.post("/auth/login", json={"email": EMAIL, "password": "a wrong password"})
    login = await browser.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    created = await browser.post(
        "/auth/tokens", json={"name": "script"}, headers={"Origin": APP_ORIGIN}
    )
    token = created.json()["token"]
    await browser.get("/projects", headers=bearer(token))
    await browser.get("/projects", headers=bearer(token + "x"))
    secrets = [PASSWORD, "a wrong password", cookie, browser.cookies["coderai_session"], token]
    assert login.status_code == 200 and caplog.records  # something was logged
    for secret in secrets:
        assert secret not in caplog.text


async def test_failed_logins_are_throttled_per_client_address(
    browser: httpx.AsyncClient, settings: Settings
) -> None:
    """Guessing across many accounts from one address is stopped too."""
    await first_account(browser)
    browser.cookies.clear()
    for n in range(settings.login_max_failures_per_address):
        wrong = await browser.post(
            "/auth/login", json={"email": f"user{n}@example.org", "password": "guess"}
        )
        assert wrong.status_code == 401
    throttled = await browser.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert throttled.status_code == 429
