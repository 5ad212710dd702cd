"""A small pool of spawned child processes that run untrusted-input work (file parsers) with a
memory ceiling and a wall-clock limit (docs/ARCHITECTURE.md, "Parsing in isolation").

Each child imports the parsing modules once, then caps its own address space with
`RLIMIT_AS` (what it uses after the imports plus `memory_bytes`) and serves one call at a
time over a pipe. A call that runs out of memory ends its child (a `MemoryError` leaves
libraries in doubtful state); a call that overruns its time is killed with SIGKILL. Either
way a fresh child replaces it on the next call, and the caller gets `IsolatedFailure` with a
sentence for the researcher. The event loop only waits: the pipe is read in a worker thread.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Literal, TypeVar

import anyio

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A child needs this long to import the parsers on a loaded machine; it is not the call's time.
STARTUP_SECONDS = 120.0

FailureKind = Literal["too_large", "too_slow", "crashed", "unreadable"]


class IsolatedFailure(Exception):
    """The work could not be done in its child; `kind` says why, the message is for people."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class _Reply:
    status: Literal["ok", "memory", "recursion", "error"]
    value: Any = None


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child_main(conn: Connection, warm_modules: Sequence[str], memory_bytes: int) -> None:
    """The child: import, cap the address space, then answer calls until the pipe closes."""
    import importlib

    # Arrow's default allocator reserves address space in large segments, which the ceiling
    # counts as used: the system allocator reserves only what is asked for.
    os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    for name in warm_modules:
        importlib.import_module(name)
    try:
        import pyarrow

        # One thread: Arrow's thread pool would add stacks and allocator arenas to the cap.
        pyarrow.set_cpu_count(1)
        pyarrow.set_io_thread_count(1)
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pass
    if memory_bytes > 0:
        soft = _address_space() + memory_bytes
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    conn.send(_Reply("ok", "ready"))
    while True:
        try:
            function, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = _Reply("ok", function(*args))
        except MemoryError:
            reply = _Reply("memory")
        except RecursionError:
            reply = _Reply("recursion")
        except Exception as exc:  # every parser failure is reported, never a crash
            reply = _Reply("error", f"{type(exc).__name__}: {exc}"[:500])
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(_Reply("memory"))
        if reply.status == "memory":
            return  # the parent replaces this child


class _Child:
    def __init__(self, warm_modules: Sequence[str], memory_bytes: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child_end = context.Pipe()
        self.process = context.Process(
            target=_child_main,
            args=(child_end, tuple(warm_modules), memory_bytes),
            name="coderai-parser",
            daemon=True,
        )
        self.process.start()
        child_end.close()
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(STARTUP_SECONDS):
            raise IsolatedFailure("crashed", "The file reader did not start in time.")
        self.conn.recv()
        self.ready = True

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=10)
        self.conn.close()


class IsolatedPool:
    """At most `workers` calls run at once, each in its own child; callers beyond that wait."""

    def __init__(
        self,
        *,
        workers: int,
        memory_bytes: int,
        timeout_seconds: float,
        warm_modules: Sequence[str] = (),
    ) -> None:
        self.workers = max(1, workers)
        self.memory_bytes = memory_bytes
        self.timeout_seconds = timeout_seconds
        self.warm_modules = tuple(warm_modules)
        self._idle: list[_Child] = []
        self._all: set[_Child] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._slots: anyio.Semaphore | None = None

    @property
    def child_pids(self) -> list[int]:
        with self._lock:
            return [c.process.pid for c in self._all if c.process.pid is not None]

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Call `function(*args)` in a child (both must pickle; the function by reference)."""
        if self._slots is None:
            self._slots = anyio.Semaphore(self.workers)
        async with self._slots:
            return await anyio.to_thread.run_sync(self._call, function, args)

    def _take(self) -> _Child:
        with self._lock:
            if self._closed:
                raise IsolatedFailure("crashed", "The server is shutting down.")
            if self._idle:
                return self._idle.pop()
            child = _Child(self.warm_modules, self.memory_bytes)
            self._all.add(child)
            return child

    def _give_back(self, child: _Child) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(child)
                return
        self._discard(child)

    def _discard(self, child: _Child) -> None:
        """End a child that failed; its replacement starts importing now, not on next use."""
        with self._lock:
            self._all.discard(child)
            if not self._closed:
                replacement = _Child(self.warm_modules, self.memory_bytes)
                self._all.add(replacement)
                self._idle.append(replacement)
        child.kill()

    def _call(self, function: Callable[..., T], args: tuple[Any, ...]) -> T:
        child = self._take()
        try:
            child.wait_ready()
            child.conn.send((function, args))
            started = time.monotonic()
            if not child.conn.poll(self.timeout_seconds):
                logger.warning(
                    "isolated call %s killed after %.1f s",
                    getattr(function, "__name__", "?"),
                    time.monotonic() - started,
                )
                self._discard(child)
                raise IsolatedFailure(
                    "too_slow",
                    f"The file took too long to read (more than {self.timeout_seconds:g} s); "
                    "it may be damaged or built to be slow to read.",
                )
            reply: _Reply = child.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._discard(child)
            raise self._too_large() from None
        except IsolatedFailure:
            self._discard(child)
            raise
        except BaseException:
            self._discard(child)
            raise
        if reply.status == "memory":
            self._discard(child)
            raise self._too_large()
        self._give_back(child)
        if reply.status == "recursion":
            raise IsolatedFailure("unreadable", "The file is nested too deeply to be read.")
        if reply.status == "error":
            raise IsolatedFailure("unreadable", f"The file could not be read ({reply.value}).")
        value: T = reply.value
        return value

    def _too_large(self) -> IsolatedFailure:
        megabytes = self.memory_bytes // (1024 * 1024)
        return IsolatedFailure(
            "too_large",
            f"The file is too large when expanded: reading it needs more than {megabytes} MB "
            "of memory.",
        )

    def close(self) -> None:
        """Kill every child (idle ones now; busy ones as their call ends)."""
        with self._lock:
            self._closed = True
            children = list(self._all)
            self._all.clear()
            self._idle.clear()
        for child in children:
            child.kill()
