"""Health probes: `/health` (database status, kept for CI and old probes), `/health/live`
(the process answers; touches nothing) and `/health/ready` (database, runner, LLM)."""

from typing import Literal, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from coderai.core.database import Database
from coderai.core.dependencies import DatabaseDep, SettingsDep
from coderai.core.errors import problem_response
from coderai.core.schemas import CamelModel

router = APIRouter(tags=["health"])


class Health(CamelModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    version: str


class Liveness(CamelModel):
    status: Literal["ok"]
    version: str


class Readiness(CamelModel):
    """`status` is "degraded" while the database answers but the runner, enabled, is not
    running: requests are still served, jobs do not progress. No LLM is reported, not failed."""

    status: Literal["ok", "degraded"]
    database: Literal["ok"]
    runner: Literal["running", "stopped", "disabled"]
    llm: Literal["configured", "not-configured"]
    version: str


class _Runner(Protocol):
    # core imports no domain: the job runner is known only by this property.
    @property
    def alive(self) -> bool: ...


async def _database_answers(database: Database) -> bool:
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def _version() -> str:
    from coderai import __version__

    return __version__


@router.get("/health", operation_id="health-get", response_model=Health)
async def health(database: DatabaseDep) -> Health | JSONResponse:
    if not await _database_answers(database):
        body = Health(status="degraded", database="unavailable", version=_version())
        return JSONResponse(body.model_dump(by_alias=True), status_code=503)
    return Health(status="ok", database="ok", version=_version())


@router.get("/health/live", operation_id="health-live", response_model=Liveness)
async def live() -> Liveness:
    """The process is up and serving; no dependency is checked (a liveness probe must not
    restart the API because the database is down)."""
    return Liveness(status="ok", version=_version())


@router.get(
    "/health/ready",
    operation_id="health-ready",
    response_model=Readiness,
    responses={503: {"description": "The database does not answer."}},
)
async def ready(
    request: Request, database: DatabaseDep, settings: SettingsDep
) -> Readiness | JSONResponse:
    """Ready to serve: the database answers (else a 503 problem); runner and LLM reported."""
    if not await _database_answers(database):
        return problem_response(
            request,
            status=503,
            slug="not-ready",
            title="Service Unavailable",
            detail="The database does not answer.",
            extra={"database": "unavailable"},
        )
    runner: _Runner | None = getattr(request.app.state, "runner", None)
    runner_state: Literal["running", "stopped", "disabled"] = "disabled"
    if runner is not None:
        runner_state = "running" if runner.alive else "stopped"
    elif settings.runner_enabled and settings.llm_configured:
        runner_state = "stopped"  # it should have been started with the app
    llm: Literal["configured", "not-configured"]
    llm = "configured" if settings.llm_configured else "not-configured"
    return Readiness(
        status="degraded" if runner_state == "stopped" else "ok",
        database="ok",
        runner=runner_state,
        llm=llm,
        version=_version(),
    )
