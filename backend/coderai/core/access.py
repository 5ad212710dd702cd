"""Per-request context: the `X-Request-ID` (taken or made), bound to every log line the request
emits and returned in the response, and one access line per request."""

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coderai.core import metrics
from coderai.core.logging import log_context

REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID_CHARS = 64
# Whatever a client sends ends up in log lines: keep only characters that cannot forge a line
# or a JSON field, and a bounded length.
_UNSAFE = re.compile(r"[^A-Za-z0-9._:\-]")

access_logger = logging.getLogger("coderai.access")


def request_id_from(value: str | None) -> str:
    """The client's id, sanitised and bounded, or a new one when nothing usable remains."""
    cleaned = _UNSAFE.sub("", value or "")[:MAX_REQUEST_ID_CHARS]
    return cleaned or uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's template with its router prefix ("/api/v1/jobs/{jobId}")."""
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str):
        return "<unmatched>"
    if ":path}" in template:
        return template  # a path parameter spans segments: the prefix cannot be told apart
    # FastAPI keeps an included router's prefix off its routes; the prefix is whatever the
    # matched path holds before the template's own segments (static text, never an id).
    segments = scope.get("path", "").split("/")
    return "/".join(segments[: max(len(segments) - template.count("/"), 0)]) + template


class RequestContextMiddleware:
    """Pure ASGI (no extra task), so fields bound inside the handler reach the access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get(REQUEST_ID_HEADER))
        status = 500  # what the client gets if the app raises before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        started = time.perf_counter()
        with log_context(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - started
                duration_ms = round(seconds * 1000, 1)
                # The template ("/api/v1/jobs/{jobId}"), never the raw path: ids stay out of
                # the access line's grouping, and an unmatched path is not echoed.
                route = route_template(scope)
                method = scope["method"]
                metrics.observe_http(method, route, status, seconds)
                access_logger.info(
                    "%s %s %d %.1f ms",
                    method,
                    route,
                    status,
                    duration_ms,
                    extra={
                        "fields": {
                            "method": method,
                            "route": route,
                            "status": status,
                            "duration_ms": duration_ms,
                        }
                    },
                )
