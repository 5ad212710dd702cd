"""Real child processes for crash tests: the API under uvicorn and `coderai worker`, each on a
free port of 127.0.0.1, with its output in a log file, and always reaped by `ChildProcesses`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from coderai.core.config import Settings

BACKEND_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(**settings: str) -> dict[str, str]:
    """Our environment without any CoderAI setting (a stray DATABASE_URL or OPENAI_API_KEY
    must not leak into the child), plus `settings` given as upper-case variable names."""
    known = {name.upper() for name in Settings.model_fields} | {"OPENAI_API_KEY"}
    env = {key: value for key, value in os.environ.items() if key.upper() not in known}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BACKEND_DIR), env.get("PYTHONPATH")]))
    env.update(settings)
    return env


@dataclass
class ChildProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    url: str | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self, tail: int = 4000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-tail:]

    def kill(self) -> None:
        """`kill -9`: no shutdown hook runs, leases stay as they were."""
        if self.alive:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a graceful shutdown), then SIGKILL if it does not end in time."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait(timeout=10)


@dataclass
class ChildProcesses:
    """Starts children and ends every one of them in `close()` (call it in a `finally`)."""

    log_dir: Path
    children: list[ChildProcess] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> ChildProcess:
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, *args],
                cwd=BACKEND_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        child = ChildProcess(name, process, log_path)
        self.children.append(child)
        return child

    def start_api(self, name: str, env: dict[str, str], timeout: float = 30.0) -> ChildProcess:
        """`uvicorn coderai.main:create_app --factory` on a free port; returns once healthy."""
        child = self.launch_api(name, env)
        wait_until_healthy(child, timeout)
        return child

    def launch_api(self, name: str, env: dict[str, str]) -> ChildProcess:
        """Like `start_api` without waiting: several can start at the same instant."""
        port = free_port()
        args = ["-m", "uvicorn", "coderai.main:create_app", "--factory"]
        args += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        child = self.start(name, args, env)
        child.url = f"http://127.0.0.1:{port}"
        return child

    def start_worker(self, name: str, env: dict[str, str], *, concurrency: int) -> ChildProcess:
        """`coderai worker` (the runner without HTTP); see `wait_until_logged` for readiness."""
        return self.start(
            name, ["-m", "coderai.cli", "worker", "--concurrency", str(concurrency)], env
        )

    def close(self, timeout: float = 15.0) -> None:
        """SIGTERM to every child at once, then SIGKILL to any still running after `timeout`."""
        for child in self.children:
            if child.alive:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            try:
                child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait(timeout=10)
        self.children.clear()


def wait_until_healthy(child: ChildProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive:
            raise RuntimeError(f"{child.name} exited early:\n{child.output()}")
        try:
            if httpx.get(f"{child.url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{child.name} did not become healthy in {timeout} s:\n{child.output()}")


def wait_until_logged(child: ChildProcess, text: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in child.output(tail=1_000_000):
            return
        if not child.alive:
            raise RuntimeError(f"{child.name} exited early:\n{child.output()}")
        time.sleep(0.05)
    raise RuntimeError(f"{child.name} did not log {text!r} in {timeout} s:\n{child.output()}")
