"""Job throughput through the whole system: a FULL job of 1,000 reports x 10 variables.

A real uvicorn server with its job runner (`api_server`) talks to the fake LLM, which runs in
its own process with 300 ms latency and a limit of 1,200 requests per minute (the app's limiter
is given the same, LLM_REQUESTS_PER_MINUTE=1200; neither side limits tokens). The reports of
`llm_throughput.py` are uploaded as one CSV table, the 10 variables created over HTTP, and a
FULL job started; meanwhile a client polls GET /jobs/{id}/progress as a UI would. Prints:

  wall time ÷ (LLM calls ÷ limit)        target ≤ 1.15  (calls ÷ limit: the time the limit
                                                         needs for the calls at its rate)
  p95 of GET /jobs/{id}/progress         target < 50 ms (while the job runs)
  requests rejected by the fake for exceeding the limit  target 0

Wall time runs from the request that creates the job to the first poll that sees it COMPLETE.

    python backend/benchmarks/job_throughput.py [--documents 1000] [--runner-concurrency 32]

Uses BENCH_DATABASE_URL or TEST_DATABASE_URL (a scratch database: its schema is dropped!),
else an embedded PostgreSQL. The app's limiter counts over a 60 s window, which alone would
admit a whole minute's quota at once: with fewer calls than the quota, the wall time shows how
the app paces its calls (its limiter spreads them at the limit's rate) or how fast it can go.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from harness import api_server, percentile, scratch_database
from llm_throughput import MODEL, PROJECT, VARIABLES, Report, make_report, plant_facts

from tests.support.fake_llm import spawn_fake_llm

TARGET_WALL_RATIO = 1.15
TARGET_PROGRESS_P95_MS = 50.0
FINISHED = {"COMPLETE", "FAILED", "CANCELLED", "PAUSED"}


def reports_csv(reports: list[Report]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "text"])
    writer.writerows([report.external_id, report.text] for report in reports)
    return buffer.getvalue().encode()


async def set_up(http: httpx.AsyncClient, reports: list[Report]) -> str:
    """Create the project and its variables and upload the reports; returns the project id."""
    created = await http.post("/projects", json=PROJECT)
    created.raise_for_status()
    project_id = str(created.json()["id"])
    for variable in VARIABLES:
        response = await http.post(f"/projects/{project_id}/variables", json=variable)
        if response.status_code != 201:
            raise RuntimeError(f"variable {variable['name']}: {response.text}")
    upload = await http.post(
        f"/projects/{project_id}/documents",
        files={"file": ("reports.csv", reports_csv(reports), "text/csv")},
        data={"textColumn": "text", "idColumn": "id"},
    )
    if upload.status_code != 201:
        raise RuntimeError(f"upload: {upload.status_code} {upload.text}")
    return project_id


@dataclass
class Polls:
    latencies_ms: list[float] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)
    finished_at: float = 0.0


async def poll_progress(http: httpx.AsyncClient, job_id: str, interval: float) -> Polls:
    """GET the job's progress every `interval` seconds until it stops running."""
    polls = Polls()
    while True:
        started = time.perf_counter()
        response = await http.get(f"/jobs/{job_id}/progress")
        now = time.perf_counter()
        response.raise_for_status()
        polls.last = response.json()
        if polls.last["status"] in FINISHED:
            polls.finished_at = now
            return polls
        polls.latencies_ms.append((now - started) * 1000)
        await asyncio.sleep(interval)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid() -> int | None:
    """The uvicorn child that `api_server` started for this process, if /proc shows it."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and b"uvicorn" in cmdline:
            return int(entry.name)
    return None


def status(met: bool) -> str:
    return "met" if met else "MISSED"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--rpm", type=int, default=1200, help="the limit, requests per minute")
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--runner-concurrency", type=int, default=32)
    parser.add_argument("--llm-concurrency", type=int, default=16, help="LLM calls in flight")
    parser.add_argument("--poll-seconds", type=float, default=0.25)
    args = parser.parse_args()

    reports = [make_report(i) for i in range(args.documents)]
    url = await scratch_database()
    fake = spawn_fake_llm(
        "--latency-ms", str(args.latency_ms), "--rpm", str(args.rpm),
        "--window-seconds", "60", "--model", MODEL,
    )  # fmt: skip
    env = {
        "LLM_BASE_URL": fake.base_url,
        "LLM_MODEL": MODEL,
        "LLM_REQUESTS_PER_MINUTE": str(args.rpm),
        "LLM_TOKENS_PER_MINUTE": "0",  # unlimited, like the fake
        "LLM_MAX_CONCURRENCY": str(args.llm_concurrency),
        "RUNNER_CONCURRENCY": str(args.runner_concurrency),
        "MAX_UPLOAD_BYTES": str(1 << 30),
    }
    try:
        plant_facts(fake)
        async with (
            api_server(url, env=env) as (base, headers),
            httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http,
            httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as poller,
        ):
            upload_started = time.perf_counter()
            project_id = await set_up(http, reports)
            upload_seconds = time.perf_counter() - upload_started
            fake.reset_stats()
            pid = server_pid()
            assert fake.process is not None
            cpu_before = {"server": cpu_seconds(pid) if pid else 0.0}
            cpu_before["fake"] = cpu_seconds(fake.process.pid)
            started = time.perf_counter()
            created = await http.post(f"/projects/{project_id}/jobs", json={"jobType": "FULL"})
            created.raise_for_status()
            job = created.json()
            polls = await poll_progress(poller, str(job["id"]), args.poll_seconds)
            wall = polls.finished_at - started
            idle = Polls()
            for _ in range(40):  # the same request with the job finished, for comparison
                begun = time.perf_counter()
                (await poller.get(f"/jobs/{job['id']}/progress")).raise_for_status()
                idle.latencies_ms.append((time.perf_counter() - begun) * 1000)
                await asyncio.sleep(args.poll_seconds / 4)
            cpu = {
                "server": cpu_seconds(pid) - cpu_before["server"] if pid else float("nan"),
                "fake": cpu_seconds(fake.process.pid) - cpu_before["fake"],
            }
        stats = fake.stats
    finally:
        fake.stop()

    progress = polls.last
    calls = int(progress["llmCalls"])
    minimum = calls / args.rpm * 60
    ratio = wall / minimum
    p95 = percentile(polls.latencies_ms, 95)
    rejected = stats.rejected_rate_limit
    print(
        f"{args.documents} documents x {len(VARIABLES)} variables uploaded as CSV in "
        f"{upload_seconds:.1f} s; job {progress['status']}: {progress['done']} done, "
        f"{progress['failed']} failed, {progress['flagged']} flagged"
    )
    print(
        f"fake LLM: {args.latency_ms:g} ms latency, limit {args.rpm} requests / 60 s; app: "
        f"LLM_REQUESTS_PER_MINUTE={args.rpm}, RUNNER_CONCURRENCY={args.runner_concurrency}, "
        f"LLM_MAX_CONCURRENCY={args.llm_concurrency}"
    )
    print(
        f"LLM calls {calls} (fake accepted {stats.accepted_requests}, "
        f"{stats.prompt_tokens / max(calls, 1):.0f} prompt tokens per call); busiest 60 s "
        f"window {stats.max_requests_in_window(60.0)} (limit {args.rpm}); "
        f"{60 * calls / wall:.0f} calls/min achieved"
    )
    print(
        f"CPU during the job: server {cpu['server']:.1f} s "
        f"({1000 * cpu['server'] / args.documents:.1f} ms per document, "
        f"{cpu['server'] / wall:.0%} of one core), fake LLM {cpu['fake']:.1f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"progress polled {len(polls.latencies_ms)} times while running: p50 "
        f"{percentile(polls.latencies_ms, 50):.1f} ms, p95 {p95:.1f} ms, max "
        f"{max(polls.latencies_ms):.1f} ms; after the job p50 "
        f"{percentile(idle.latencies_ms, 50):.1f} ms, "
        f"p95 {percentile(idle.latencies_ms, 95):.1f} ms"
    )
    print(
        f"wall time ÷ (calls ÷ limit): {ratio:.3f} ({wall:.1f} s ÷ {minimum:.1f} s; "
        f"target ≤ {TARGET_WALL_RATIO}) {status(ratio <= TARGET_WALL_RATIO)}"
    )
    print(
        f"progress p95: {p95:.1f} ms (target < {TARGET_PROGRESS_P95_MS:g} ms) "
        f"{status(p95 < TARGET_PROGRESS_P95_MS)}"
    )
    print(f"rejected for exceeding the limit: {rejected} (target 0) {status(rejected == 0)}")
    if calls < args.rpm:
        print(
            f"note: {calls} calls fit one 60 s window of {args.rpm}, which alone would let them "
            "all go at once: the wall time shows how the app paces them (or how fast it can go)"
        )


if __name__ == "__main__":
    asyncio.run(main())
