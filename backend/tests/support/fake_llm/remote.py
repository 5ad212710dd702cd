"""Control a fake LLM that runs in another process, over its `/_admin` HTTP routes.

`spawn_fake_llm()` starts `python -m tests.support.fake_llm` as a subprocess (for crash tests
and benchmarks) and returns a `FakeLLMRemote` with the same control methods as `FakeLLM`.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from tests.support.fake_llm.state import Fault
from tests.support.fake_llm.stats import FakeStats

_BACKEND_DIR = Path(__file__).resolve().parents[3]
_LISTENING = re.compile(r"listening on (http://\S+/v1)")


class FakeLLMRemote:
    """The `FakeLLM` control API for a server reached over HTTP (`base_url` ends in `/v1`)."""

    def __init__(self, base_url: str, process: subprocess.Popen[str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.process = process
        root = self.base_url.removesuffix("/v1")
        self._http = httpx.Client(base_url=f"{root}/_admin", timeout=10)

    def _post(self, path: str, payload: Any = None) -> None:
        response = self._http.post(path, json=payload if payload is not None else {})
        response.raise_for_status()

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
        """Plant a rule (see `FakeLLM.add_fact`)."""
        if isinstance(pattern, re.Pattern):
            flags |= pattern.flags & ~re.UNICODE
            pattern = pattern.pattern
        conditions = (
            [when_prompt_contains]
            if isinstance(when_prompt_contains, str)
            else (when_prompt_contains or [])
        )
        payload: dict[str, Any] = {
            "variable": variable,
            "pattern": pattern,
            "flags": int(flags),
            "confidence": confidence,
            "when_prompt_contains": conditions,
            "otherwise_value": otherwise_value,
            "reasoning": reasoning,
            "model": model,
        }
        if value is not None:
            payload["value"] = value
        self._post("/facts", payload)

    def clear_facts(self) -> None:
        self._http.delete("/facts").raise_for_status()

    def set_entity_pattern(self, pattern: str | None, flags: int = 0) -> None:
        self._post("/entity_pattern", {"pattern": pattern, "flags": flags})

    def configure(self, **changes: Any) -> None:
        self._post("/configure", changes)

    def inject(self, fault: str | Fault, times: int = 1, **params: Any) -> None:
        self._post("/faults", {"fault": str(Fault(fault)), "times": times, **params})

    def set_fault_rates(self, rates: dict[str, float], seed: int | None = None) -> None:
        self._post("/faults", {"rates": rates, "seed": seed})

    def clear_faults(self) -> None:
        self._http.delete("/faults").raise_for_status()

    def reset(self) -> None:
        self._post("/reset")

    def reset_stats(self) -> None:
        self._post("/reset_stats")

    @property
    def stats(self) -> FakeStats:
        response = self._http.get("/stats")
        response.raise_for_status()
        return FakeStats.from_json(response.json())

    @property
    def last_request(self) -> dict[str, Any] | None:
        response = self._http.get("/state")
        response.raise_for_status()
        last: dict[str, Any] | None = response.json()["last_request"]
        return last

    def stop(self) -> None:
        """Close the control connection and, if this object started the process, end it."""
        self._http.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def spawn_fake_llm(*args: str, timeout: float = 20.0) -> FakeLLMRemote:
    """Start `python -m tests.support.fake_llm --port 0 *args` and wait until it listens."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_BACKEND_DIR), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_llm", "--port", "0", *args],
        cwd=_BACKEND_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:
        # Keep reading for the process's whole life so a chatty server never blocks on a full pipe.
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, name="fake-llm-output", daemon=True).start()
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        match = _LISTENING.search(line)
        if match:
            return FakeLLMRemote(match.group(1), process)
    process.kill()
    process.wait()
    raise RuntimeError("the fake LLM subprocess did not start:\n" + "".join(seen))
