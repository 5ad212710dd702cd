"""A fake LLM that also records every chat-completion call: when it arrived, when its response
was sent, the model asked for, the caller's key and the prompt. Crash tests use it to tell which
process made a call (each process is given its own API key: a job runs on the model it was
created with, whichever process runs it) and which document it was for."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Self

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.support.fake_llm import FakeLLM
from tests.support.fake_llm.server import bind_socket, create_app, uvicorn_server

CHAT_PATH = "/v1/chat/completions"


@dataclass
class LLMCall:
    """`arrived` and `answered` are `time.monotonic()` seconds (one clock for all processes of
    the machine); `answered` is when the last byte of the response was handed to the socket,
    None while the fake is still working on it. `complete` is False while (or if never) the
    whole body has arrived: a client killed halfway through sending leaves such a request."""

    arrived: float
    complete: bool = False
    model: str | None = None
    caller: str | None = None  # the bearer key the client sent
    prompt: str = ""
    status: int | None = None
    answered: float | None = None


def _prompt_of(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    parts = [m.get("content") for m in body.get("messages", []) if isinstance(m, dict)]
    return "\n".join(p for p in parts if isinstance(p, str))


class CallRecorder:
    """ASGI middleware state: one `LLMCall` per chat-completion request, in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[LLMCall] = []

    def calls(self) -> list[LLMCall]:
        """A copy, safe to read while the server keeps answering."""
        with self._lock:
            return [replace(call) for call in self._calls]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def wrap(self, app: ASGIApp) -> ASGIApp:
        async def recording(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["path"] != CHAT_PATH:
                await app(scope, receive, send)
                return
            headers = dict(scope.get("headers") or [])
            key = headers.get(b"authorization", b"").decode("latin-1").removeprefix("Bearer ")
            call = LLMCall(arrived=time.monotonic(), caller=key or None)
            with self._lock:
                self._calls.append(call)
            body = bytearray()

            async def receive_body() -> Message:
                message = await receive()
                if message["type"] == "http.request":
                    body.extend(message.get("body", b""))
                    if not message.get("more_body", False):
                        try:
                            parsed = json.loads(body)
                        except ValueError:
                            parsed = None
                        with self._lock:
                            call.complete = True
                            call.model = parsed.get("model") if isinstance(parsed, dict) else None
                            call.prompt = _prompt_of(parsed)
                return message

            async def send_answer(message: Message) -> None:
                await send(message)
                with self._lock:
                    if message["type"] == "http.response.start":
                        call.status = message["status"]
                    elif message["type"] == "http.response.body" and not message.get(
                        "more_body", False
                    ):
                        call.answered = time.monotonic()

            await app(scope, receive_body, send_answer)

        return recording


class RecordingFakeLLM(FakeLLM):
    """`FakeLLM` (same control API, same thread-served uvicorn) with a `CallRecorder` in front."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **config: Any) -> None:
        super().__init__(host, port, **config)
        self.recorder = CallRecorder()

    def start(self) -> Self:
        if self._thread is not None:
            return self
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        server = uvicorn_server(self.state)
        server.config.app = self.recorder.wrap(create_app(self.state))  # loaded when it runs
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-llm-recording", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the recording fake LLM server did not start")
            time.sleep(0.005)
        self._server, self._thread = server, thread
        return self

    def calls(self) -> list[LLMCall]:
        return self.recorder.calls()

    def reset(self) -> None:
        super().reset()
        self.recorder.clear()
