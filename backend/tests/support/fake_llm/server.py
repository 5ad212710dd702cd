"""The fake LLM's HTTP face (OpenAI chat-completions + `/_admin`) and its in-thread runner.

`FakeLLM` runs uvicorn in a background thread with its own event loop, so it serves tests
whatever their event loop is, and gives tests direct (in-process) control of its state.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from types import TracebackType
from typing import Any, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.fake_llm.facts import UNSET, Fact
from tests.support.fake_llm.state import FakeConfig, FakeLLMState, Fault
from tests.support.fake_llm.stats import FakeStats
from tests.support.fake_llm.wire import error_body

_HANG_POLL_SECONDS = 0.02


def create_app(state: FakeLLMState) -> Starlette:
    """The ASGI app: `/v1/chat/completions`, `/v1/models` and the `/_admin` control routes."""

    async def chat_completions(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse(error_body("body is not JSON", "invalid_request_error"), 400)
        if not isinstance(body, dict):
            return JSONResponse(error_body("body must be an object", "invalid_request_error"), 400)
        plan = state.plan(body, time.monotonic())
        if plan.delay_seconds > 0:
            await asyncio.sleep(plan.delay_seconds)
        if plan.hang_seconds > 0:
            await _hang(request, state, plan.hang_seconds, plan.generation)
        return JSONResponse(plan.body, plan.status, headers=plan.headers)

    async def models(request: Request) -> Response:
        model = state.config.model
        entry = {"id": model, "object": "model", "created": 0, "owned_by": "coderai-fake"}
        return JSONResponse({"object": "list", "data": [entry]})

    async def admin_facts(request: Request) -> Response:
        if request.method == "DELETE":
            state.clear_facts()
            return JSONResponse({"ok": True})
        payload = await request.json()
        items = payload.get("facts", [payload]) if isinstance(payload, dict) else payload
        for item in items:
            fact = Fact.from_json(item)
            state.add_fact(
                fact.variable,
                fact.pattern,
                value=fact.value,
                confidence=fact.confidence,
                when_prompt_contains=fact.when_prompt_contains,
                otherwise_value=fact.otherwise_value,
                reasoning=fact.reasoning,
                model=fact.model,
            )
        return JSONResponse({"ok": True, "added": len(items)})

    async def admin_entity_pattern(request: Request) -> Response:
        payload = await request.json()
        state.set_entity_pattern(payload.get("pattern"), int(payload.get("flags", 0)))
        return JSONResponse({"ok": True})

    async def admin_faults(request: Request) -> Response:
        if request.method == "DELETE":
            state.clear_faults()
            return JSONResponse({"ok": True})
        payload = dict(await request.json())
        if "rates" in payload:
            state.set_fault_rates(payload["rates"], seed=payload.get("seed"))
        else:
            fault = payload.pop("fault")
            times = int(payload.pop("times", 1))
            state.inject(fault, times, **payload)
        return JSONResponse({"ok": True})

    async def admin_configure(request: Request) -> Response:
        state.configure(**(await request.json()))
        return JSONResponse({"ok": True})

    async def admin_stats(request: Request) -> Response:
        return JSONResponse(state.stats().to_json())

    async def admin_state(request: Request) -> Response:
        return JSONResponse({**state.describe(), "last_request": state.last_request})

    async def admin_reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"ok": True})

    async def admin_reset_stats(request: Request) -> Response:
        state.reset_stats()
        return JSONResponse({"ok": True})

    async def bad_admin_input(request: Request, exc: Exception) -> Response:
        return JSONResponse(error_body(str(exc), "invalid_request_error"), 400)

    routes = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/_admin/facts", admin_facts, methods=["POST", "DELETE"]),
        Route("/_admin/entity_pattern", admin_entity_pattern, methods=["POST"]),
        Route("/_admin/faults", admin_faults, methods=["POST", "DELETE"]),
        Route("/_admin/configure", admin_configure, methods=["POST"]),
        Route("/_admin/stats", admin_stats, methods=["GET"]),
        Route("/_admin/state", admin_state, methods=["GET"]),
        Route("/_admin/reset", admin_reset, methods=["POST"]),
        Route("/_admin/reset_stats", admin_reset_stats, methods=["POST"]),
    ]
    handlers = {ValueError: bad_admin_input, KeyError: bad_admin_input, re.error: bad_admin_input}
    return Starlette(routes=routes, exception_handlers=handlers)


async def _hang(request: Request, state: FakeLLMState, seconds: float, generation: int) -> None:
    # Poll rather than sleep, so the handler ends as soon as the client gives up (or the test
    # resets the fake) instead of holding a connection open for `seconds`.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and state.generation == generation:
        if await request.is_disconnected():
            return
        await asyncio.sleep(_HANG_POLL_SECONDS)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on `host:port` (port 0: a free one chosen by the OS)."""
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on sockets that say they are TCP,
    # and without it every keep-alive response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def uvicorn_server(state: FakeLLMState) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(state),
        log_level="warning",
        access_log=False,
        lifespan="off",
        loop="asyncio",
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(config)


class FakeLLM:
    """An OpenAI-compatible fake LLM on 127.0.0.1, served from a background thread.

    Use `start()`/`stop()` (or `with FakeLLM() as fake:`), point clients at `base_url`, plant
    facts with `add_fact`, shape behaviour with `configure`, `inject` and `set_fault_rates`,
    and read what it saw from `stats`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **config: Any) -> None:
        self.host = host
        self.port = port
        self.state = FakeLLMState(FakeConfig(**config))
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, e.g. `http://127.0.0.1:43211/v1`."""
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> Self:
        """Start serving; returns once the server accepts connections."""
        if self._thread is not None:
            return self
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        server = uvicorn_server(self.state)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-llm", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake LLM server did not start")
            time.sleep(0.005)
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is None or self._thread is None:
            return
        self.state.generation += 1  # release hanging requests
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- control (the same methods exist on FakeLLMRemote) --------------------------------

    def add_fact(
        self,
        variable: str,
        pattern: str | re.Pattern[str],
        *,
        value: Any = None,
        confidence: float = 0.9,
        when_prompt_contains: str | list[str] | None = None,
        otherwise_value: Any = None,
        flags: int = 0,
        reasoning: str | None = None,
        model: str | None = None,
    ) -> None:
        """Plant a rule: `variable` is found where `pattern` matches the document.

        The quote is the whole match; the value is `value`, else the named group `value`, else
        the whole match. With `when_prompt_contains`, the answer is `otherwise_value` (wrong)
        unless every given phrase appears in the prompt outside the document. With `model`,
        only requests naming that model see the rule (plant it before a general one).
        """
        self.state.add_fact(
            variable,
            pattern,
            value=UNSET if value is None else value,
            confidence=confidence,
            when_prompt_contains=when_prompt_contains,
            otherwise_value=otherwise_value,
            flags=flags,
            reasoning=reasoning,
            model=model,
        )

    def clear_facts(self) -> None:
        self.state.clear_facts()

    def set_entity_pattern(self, pattern: str | re.Pattern[str] | None, flags: int = 0) -> None:
        """ENTITY mode: each match of `pattern` starts a new entity's segment of the document."""
        self.state.set_entity_pattern(pattern, flags)

    def configure(self, **changes: Any) -> None:
        """Change `FakeConfig` fields: rpm, tpm, window_seconds, latency_ms, hang_seconds…"""
        self.state.configure(**changes)

    def inject(self, fault: str | Fault, times: int = 1, **params: Any) -> None:
        """Fail the next `times` requests with `fault` (see `Fault` for its params)."""
        self.state.inject(fault, times, **params)

    def set_fault_rates(self, rates: dict[str, float], seed: int | None = None) -> None:
        """Fail requests at random with these probabilities, reproducibly given `seed`."""
        self.state.set_fault_rates(rates, seed)

    def clear_faults(self) -> None:
        self.state.clear_faults()

    def reset(self) -> None:
        """Back to the configuration it was built with: no facts, faults, windows or stats."""
        self.state.reset()

    def reset_stats(self) -> None:
        self.state.reset_stats()

    @property
    def stats(self) -> FakeStats:
        """A snapshot of the counters and per-request records."""
        return self.state.stats()

    @property
    def last_request(self) -> dict[str, Any] | None:
        """The JSON body of the latest chat-completion request."""
        return self.state.last_request
