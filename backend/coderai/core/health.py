"""Liveness and database status."""

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from coderai.core.dependencies import DatabaseDep
from coderai.core.schemas import CamelModel

router = APIRouter(tags=["health"])


class Health(CamelModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    version: str


@router.get("/health", operation_id="health-get", response_model=Health)
async def health(database: DatabaseDep) -> Health | JSONResponse:
    from coderai import __version__

    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        body = Health(status="degraded", database="unavailable", version=__version__)
        return JSONResponse(body.model_dump(by_alias=True), status_code=503)
    return Health(status="ok", database="ok", version=__version__)
