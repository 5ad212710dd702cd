"""What the benchmarks share: a scratch database and a real uvicorn server in a subprocess."""

import asyncio
import os
import socket
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "backend"))

from coderai.core.config import Settings  # noqa: E402
from coderai.core.database import Database, create_engine  # noqa: E402
from tests.support.database import reset_schema, server_url  # noqa: E402
from tests.support.identity import bearer, user_with_token  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def scratch_database() -> str:
    """BENCH_DATABASE_URL or TEST_DATABASE_URL (its schema is dropped!), else embedded."""
    url = os.environ.get("BENCH_DATABASE_URL") or server_url()
    await reset_schema(url)
    return url


async def _admin_headers(database_url: str) -> dict[str, str]:
    """An admin account with an API token, written into the benchmark's database; the
    headers that authenticate as it (every route but health needs them)."""
    database = Database(create_engine(database_url, Settings(_env_file=None)))  # type: ignore[call-arg]
    try:
        _, token = await user_with_token(database, "bench@example.org", admin=True)
    finally:
        await database.dispose()
    return bearer(token)


async def wait_healthy(base: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(240):
            try:
                if (await http.get(f"{base}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError("server did not start")


@asynccontextmanager
async def api_server(
    database_url: str, *, workers: int = 1, env: dict[str, str] | None = None
) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """Run `uvicorn coderai.main:create_app` on a free port; yields the API base URL and the
    headers of an admin's API token (the server has migrated the database by then)."""
    port = free_port()
    environment = dict(
        os.environ,
        DATABASE_URL=database_url,
        DATA_DIR=tempfile.mkdtemp(prefix="coderai-bench-"),
        LOG_LEVEL="WARNING",
        **(env or {}),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "coderai.main:create_app", "--factory",
        "--port", str(port), "--workers", str(workers), "--timeout-keep-alive", "60",
        "--log-level", "warning", "--no-access-log",
        cwd=ROOT / "backend",
        env=environment,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        await wait_healthy(base)
        yield base, await _admin_headers(database_url)
    finally:
        process.terminate()
        await process.wait()
