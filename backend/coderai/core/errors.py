"""One error hierarchy and one place that renders it as RFC 7807 problem+json.

Services raise `NotFound`, `Conflict`, `InvalidInput`…; routers never build error responses.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://coderai.dev/problems/"


class CoderAIError(Exception):
    """Base of every expected failure; carries its HTTP status and problem type."""

    status_code = 400
    slug = "bad-request"
    title = "Bad Request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extra = extra


class Unauthorized(CoderAIError):
    """No valid credentials: no session cookie or API token, or one that expired or was
    revoked."""

    status_code = 401
    slug = "unauthorized"
    title = "Unauthorized"


class Forbidden(CoderAIError):
    """The caller can see the resource but may not do this to it."""

    status_code = 403
    slug = "forbidden"
    title = "Forbidden"


class TooManyRequests(CoderAIError):
    status_code = 429
    slug = "too-many-requests"
    title = "Too Many Requests"


class NotFound(CoderAIError):
    status_code = 404
    slug = "not-found"
    title = "Not Found"


class Conflict(CoderAIError):
    status_code = 409
    slug = "conflict"
    title = "Conflict"


class InvalidInput(CoderAIError):
    """Input that parsed but breaks a rule (answered 422 with per-field errors)."""

    status_code = 422
    slug = "validation-error"
    title = "Validation Error"


class PayloadTooLarge(CoderAIError):
    status_code = 413
    slug = "payload-too-large"
    title = "Payload Too Large"


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple[int | str, ...]) -> str:
    # FastAPI prefixes locations with where they came from ("body", "query", "path").
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(raw: list[Any]) -> list[dict[str, str]]:
    errors = []
    for err in raw:
        message = str(err.get("msg", "invalid value"))
        message = message.removeprefix("Value error, ")
        errors.append({"field": _field_path(tuple(err.get("loc", ()))), "message": message})
    return errors


async def _coderai_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CoderAIError)
    return problem_response(
        request,
        status=exc.status_code,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        extra=exc.extra,
        headers=exc.headers,
    )


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in raw):
        return problem_response(
            request,
            status=400,
            slug="malformed-json",
            title="Malformed JSON",
            detail="The request body is not valid JSON.",
            errors=validation_errors(raw),
        )
    return problem_response(
        request,
        status=422,
        slug="validation-error",
        title="Validation Error",
        detail="Request validation failed.",
        errors=validation_errors(raw),
    )


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not Found", 405: "Method Not Allowed", 400: "Bad Request"}
    title = titles.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.method} {request.url.path}."
    return problem_response(
        request,
        status=exc.status_code,
        slug=title.lower().replace(" ", "-"),
        title=title,
        detail=detail,
        headers=getattr(exc, "headers", None),
    )


def _sqlstate(exc: DBAPIError) -> str | None:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code if isinstance(code, str) else None


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A value the database refused to store (SQLSTATE class 22, "data exception": too long,
    out of range, not representable) came from the request: a 422, and the request's
    transaction is rolled back, so nothing was written. Anything else is a server error."""
    assert isinstance(exc, DBAPIError)
    code = _sqlstate(exc)
    if code is None or not code.startswith("22"):
        logger.error("database error", exc_info=exc)
        return await _unhandled(request, exc)
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "invalid value"
    return problem_response(
        request,
        status=422,
        slug="validation-error",
        title="Validation Error",
        detail=f"A value in the request cannot be stored: {reason.split(': ', 1)[-1]}.",
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(
        request,
        status=500,
        slug="internal-error",
        title="Internal Server Error",
        detail="An unexpected error occurred; it has been logged.",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CoderAIError, _coderai_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unhandled)
