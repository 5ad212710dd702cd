"""Safe defaults: no server signs links with a key anyone can read, a foreign Host is
refused, and download links are built on PUBLIC_BASE_URL rather than on the request."""

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from coderai.core.config import Settings
from coderai.core.secret_key import InsecureSecretKey, resolve_secret_key
from coderai.exports.service import exports_dir, sign_link
from coderai.main import create_app
from tests.exports.conftest import Trials, trials  # noqa: F401 - a fixture
from tests.support.processes import BACKEND_DIR, child_env, free_port

EXAMPLE_KEY = "change-me-in-production"


def test_no_key_is_refused_in_production_and_off_loopback(tmp_path: Path) -> None:
    base = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(InsecureSecretKey, match="SECRET_KEY"):
        resolve_secret_key(base.model_copy(update={"app_env": "production"}))
    with pytest.raises(InsecureSecretKey, match=r"on 0\.0\.0\.0"):
        resolve_secret_key(base, host="0.0.0.0")
    # The example value counts as no key.
    with pytest.raises(InsecureSecretKey):
        resolve_secret_key(
            base.model_copy(update={"secret_key": SecretStr(EXAMPLE_KEY)}), host="10.0.0.5"
        )
    assert not (tmp_path / "secret_key").exists()


def test_loopback_development_generates_and_keeps_a_private_key(tmp_path: Path) -> None:
    base = Settings(data_dir=tmp_path, secret_key=EXAMPLE_KEY, _env_file=None)  # type: ignore[call-arg]
    first = resolve_secret_key(base, host="127.0.0.1").secret_key
    again = resolve_secret_key(base, host="localhost").secret_key
    assert first is not None and again is not None
    key = first.get_secret_value()
    assert key == again.get_secret_value() and key != EXAMPLE_KEY and len(key) >= 48
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    # A key that is set is kept as it is.
    chosen = base.model_copy(update={"secret_key": SecretStr("x" * 40)})
    assert resolve_secret_key(chosen, host="0.0.0.0") is chosen


def test_serve_on_a_public_address_without_a_key_does_not_start(tmp_path: Path) -> None:
    env = child_env(DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "coderai.cli",
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            str(free_port()),
        ],
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "SECRET_KEY is not set" in result.stderr


async def test_a_link_forged_with_the_example_key_is_refused(
    hostile: httpx.AsyncClient, hostile_app: FastAPI
) -> None:
    """The suite's hostile app runs with no SECRET_KEY: it made its own."""
    settings: Settings = hostile_app.state.settings
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() != EXAMPLE_KEY
    folder = exports_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "secret.csv").write_text("participants\n120\n")
    expires = int(time.time()) + 60
    forged = sign_link(
        settings.model_copy(update={"secret_key": SecretStr(EXAMPLE_KEY)}), "secret.csv", expires
    )
    assert (await hostile.get(f"/exports/{forged}")).status_code == 404
    genuine = sign_link(settings, "secret.csv", expires)
    assert (await hostile.get(f"/exports/{genuine}")).status_code == 200


async def test_a_foreign_host_is_refused(hostile: httpx.AsyncClient) -> None:
    response = await hostile.get("/health", headers={"host": "attacker.example"})
    assert response.status_code == 400
    assert (await hostile.get("/health")).status_code == 200


async def test_download_links_use_the_public_base_url(
    client: httpx.AsyncClient,
    settings: Settings,
    trials: Trials,  # noqa: F811
) -> None:
    public = settings.model_copy(
        update={"public_base_url": "https://coderai.example.org/", "allowed_hosts": ["*"]}
    )
    app: FastAPI = create_app(public)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://attacker.example/api/v1", headers=client.headers
        ) as http:
            response = await http.post(
                f"/projects/{trials.project_id}/export", json={"format": "CSV_WIDE"}
            )
    assert response.status_code == 200, response.text
    info = response.json()
    assert info["downloadUrl"].startswith("https://coderai.example.org/api/v1/exports/")
    assert info["codebookUrl"].startswith("https://coderai.example.org/api/v1/exports/")
    assert "attacker" not in info["downloadUrl"]
