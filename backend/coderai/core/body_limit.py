"""Request bodies are bounded while they arrive (docs/ARCHITECTURE.md, "Requests and logs"):
a declared `Content-Length` over the route's limit is refused before a byte is read, and a
streamed body is refused (413) as soon as the bytes received pass it, so a 3 GB upload never
reaches the disk."""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coderai.core.errors import PROBLEM_BASE, PROBLEM_JSON


@dataclass(frozen=True)
class RouteLimit:
    method: str
    path: re.Pattern[str]
    max_bytes: int


class _TooLarge(Exception):
    pass


def _problem(scope: Scope, limit: int) -> tuple[Message, Message]:
    megabytes = limit / (1024 * 1024)
    body = json.dumps(
        {
            "type": PROBLEM_BASE + "payload-too-large",
            "title": "Payload Too Large",
            "status": 413,
            "detail": f"The request body is larger than the {megabytes:g} MB this route accepts.",
            "instance": scope.get("path", ""),
        }
    ).encode()
    start: Message = {
        "type": "http.response.start",
        "status": 413,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class BodyLimitMiddleware:
    """Pure ASGI; `routes` name larger limits (uploads) than `default_bytes`."""

    def __init__(
        self, app: ASGIApp, *, default_bytes: int, routes: Sequence[RouteLimit] = ()
    ) -> None:
        self.app = app
        self.default_bytes = default_bytes
        self.routes = tuple(routes)

    def limit_for(self, scope: Scope) -> int:
        for route in self.routes:
            if scope["method"] == route.method and route.path.fullmatch(scope["path"]):
                return route.max_bytes
        return self.default_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            for message in _problem(scope, limit):
                await send(message)
            return
        received = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started:
                        refused = True
                        for answer in _problem(scope, limit):
                            await send(answer)
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the app says after it is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise
