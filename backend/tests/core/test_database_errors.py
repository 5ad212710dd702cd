"""A value the database refuses (SQLSTATE class 22) is the client's 422; any other database
error stays a 500. Checked through a real app with the project's error handlers."""

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from coderai.core.errors import install_error_handlers


class _DriverError(Exception):
    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _app(sqlstate: str, message: str) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise DBAPIError("INSERT …", None, _DriverError(message, sqlstate))

    return app


async def _get(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/boom")


async def test_a_value_too_long_for_its_column_is_a_422_problem() -> None:
    message = "value too long for type character varying(64)"
    response = await _get(_app("22001", message))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["detail"]


async def test_other_database_errors_stay_500() -> None:
    response = await _get(_app("57P01", "terminating connection due to administrator command"))
    assert response.status_code == 500
    assert "administrator" not in response.text
