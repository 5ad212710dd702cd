import httpx
from fastapi import FastAPI

from coderai.core.config import Settings
from coderai.core.database import Database, create_engine


def anonymous(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1")


async def test_health_reports_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "version": "0.1.0"}


async def test_live_answers_without_credentials(app: FastAPI) -> None:
    async with anonymous(app) as http:
        response = await http.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "0.1.0"}


async def test_ready_reports_database_runner_and_llm(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    # The suite's app runs without a runner or an LLM.
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "runner": "disabled",
        "llm": "not-configured",
        "version": "0.1.0",
    }


async def test_ready_reports_a_running_runner(runner_client: httpx.AsyncClient) -> None:
    body = (await runner_client.get("/health/ready")).json()
    assert (body["status"], body["runner"], body["llm"]) == ("ok", "running", "configured")


async def test_ready_is_a_503_problem_when_the_database_does_not_answer(
    app: FastAPI, settings: Settings
) -> None:
    working = app.state.db
    # Port 1 of 127.0.0.1: nothing listens, the connection is refused at once.
    unreachable = Database(create_engine("postgresql://nobody@127.0.0.1:1/none", settings))
    app.state.db = unreachable
    try:
        async with anonymous(app) as http:
            ready = await http.get("/health/ready")
            live = await http.get("/health/live")
    finally:
        app.state.db = working
        await unreachable.dispose()
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["database"] == "unavailable"
    assert live.status_code == 200
