"""Request ids and log lines: `X-Request-ID` is taken (sanitised) or made, returned, and on
every line the request logs; JSON lines parse; the access line names the route template."""

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi import FastAPI

from coderai.core.access import MAX_REQUEST_ID_CHARS, RequestContextMiddleware, request_id_from
from coderai.core.logging import ContextFilter, JsonFormatter
from tests.support.factories import create_project, create_variable
from tests.support.fake_llm import FakeLLM
from tests.support.processes import ChildProcesses, child_env

probe = logging.getLogger("tests.request_logging")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above during the test, formatted as in LOG_FORMAT=json."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _records(buffer: io.StringIO) -> list[dict[str, object]]:
    """Every line parsed; the test client's own lines ("HTTP Request: …") left out."""
    records = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    return [record for record in records if record["logger"] != "httpx"]


def _logging_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)

    @app.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        probe.info("in the handler")
        # A thread the request hands work to keeps the request's context.
        await anyio.to_thread.run_sync(probe.info, "in a worker thread")
        return {"id": item_id}

    return app


async def test_a_given_request_id_is_returned_and_on_every_line(json_lines: io.StringIO) -> None:
    transport = httpx.ASGITransport(app=_logging_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/items/42", headers={"X-Request-ID": "abc"})
    assert response.headers["X-Request-ID"] == "abc"
    records = _records(json_lines)
    assert [r["message"] for r in records][:2] == ["in the handler", "in a worker thread"]
    assert all(r["request_id"] == "abc" for r in records), records
    for record in records:
        assert {"time", "level", "logger", "message"} <= record.keys()
    (access,) = [r for r in records if r["logger"] == "coderai.access"]
    assert (access["method"], access["route"], access["status"]) == ("GET", "/items/{item_id}", 200)
    assert isinstance(access["duration_ms"], float)


async def test_without_a_request_id_one_is_made(json_lines: io.StringIO) -> None:
    transport = httpx.ASGITransport(app=_logging_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        first = await http.get("/items/1")
        second = await http.get("/items/2")
    made = {first.headers["X-Request-ID"], second.headers["X-Request-ID"]}
    assert len(made) == 2 and all(len(value) == 32 for value in made)


def test_request_ids_are_sanitised_and_bounded() -> None:
    assert request_id_from('abc"}\n{"level": "forged') == "abclevel:forged"
    assert len(request_id_from("x" * 1000)) == MAX_REQUEST_ID_CHARS
    assert len(request_id_from("\n\t ")) == 32  # nothing usable: a new one


async def test_the_apps_access_line_names_the_route_template_and_the_user(
    client: httpx.AsyncClient, json_lines: io.StringIO
) -> None:
    project_id = (await create_project(client))["id"]
    response = await client.get(f"/projects/{project_id}", headers={"X-Request-ID": "abc"})
    assert response.headers["X-Request-ID"] == "abc"
    records = [r for r in _records(json_lines) if r.get("request_id") == "abc"]
    (access,) = [r for r in records if r["logger"] == "coderai.access"]
    assert access["route"] == "/api/v1/projects/{projectId}"
    assert project_id not in json.dumps(access["message"])
    assert access["project_id"] == project_id and access["user_id"]
    # The identity layer logs ids, never the bearer token.
    token = client.headers["Authorization"].removeprefix("Bearer ")
    assert token not in json_lines.getvalue()


def test_a_json_process_writes_only_json_lines(database_url: str, tmp_path: Path) -> None:
    env = child_env(
        DATABASE_URL=database_url,
        DATA_DIR=str(tmp_path / "data"),
        MIGRATE_ON_START="false",
        RUNNER_ENABLED="false",
        LOG_LEVEL="INFO",
        LOG_FORMAT="json",
    )
    children = ChildProcesses(tmp_path)
    try:
        api = children.start_api("api-json", env, timeout=120)
        response = httpx.get(f"{api.url}/api/v1/health/ready", headers={"X-Request-ID": "abc"})
        assert response.headers["X-Request-ID"] == "abc"
    finally:
        children.close()
    lines = [line for line in api.output(tail=1_000_000).splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # each line parses, or the test fails here
    (access,) = [r for r in records if r.get("request_id") == "abc"]
    assert (access["logger"], access["route"]) == ("coderai.access", "/api/v1/health/ready")


async def test_an_llm_call_is_one_debug_line_carrying_the_request_id(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    """At DEBUG, a request that calls the model logs one line per call, with the request's
    id; the HTTP client's own per-request lines stay quiet; every line is JSON."""
    project = await create_project(runner_client)
    await create_variable(runner_client, project["id"])
    uploaded = await runner_client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("trial.txt", b"It enrolled 120 participants.", "text/plain")},
    )
    assert uploaded.status_code == 201, uploaded.text
    fake_llm.add_fact("participants", r"enrolled (?P<value>\d+) participants", confidence=0.9)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    fake_llm.reset_stats()
    try:
        response = await runner_client.post(
            f"/projects/{project['id']}/extract-preview",
            json={"documentId": uploaded.json()["id"]},
            headers={"X-Request-ID": "abc"},
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-ID"] == "abc"
    records = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    calls = [r for r in records if str(r["message"]).startswith("LLM call ")]
    assert len(calls) == fake_llm.stats.total_requests >= 1
    assert all(r["level"] == "DEBUG" and r["request_id"] == "abc" for r in calls), calls
    (access,) = [r for r in records if r["logger"] == "coderai.access"]
    assert access["request_id"] == "abc"
    noisy = [r for r in records if r["logger"].split(".")[0] in {"httpx", "httpcore", "openai"}]
    assert noisy == []
    # No prompt or document text in any line.
    assert "enrolled 120" not in buffer.getvalue()
