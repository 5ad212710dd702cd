"""API latency under load: 100 concurrent clients for 20 s against a real uvicorn server.

Mix: GET a project (with its variables), list a project's variables, create a variable.
Prints p50/p95/p99 per operation, requests/s, and p95 of reads ÷ the 50 ms target.

    python backend/benchmarks/api_latency.py [--clients 100] [--seconds 20]

Uses BENCH_DATABASE_URL or TEST_DATABASE_URL (a scratch database: it is reset), else an
embedded PostgreSQL in a temporary directory.
"""

import argparse
import asyncio
import random
import time
import uuid

import httpx
from harness import api_server, percentile, scratch_database

READ_TARGET_P95_MS = 50.0


async def seed(http: httpx.AsyncClient) -> str:
    project = (await http.post("/projects", json={"name": "Bench", "scale": "LARGE"})).json()
    for i in range(10):
        await http.post(
            f"/projects/{project['id']}/variables",
            json={
                "name": f"seed_{i}",
                "type": "TEXT",
                "instructions": "A seeded variable for the benchmark.",
            },
        )
    return str(project["id"])


async def client_loop(
    http: httpx.AsyncClient,
    project_id: str,
    scratch: str,
    deadline: float,
    samples: dict[str, list[float]],
    think_ms: float,
) -> None:
    await asyncio.sleep(random.uniform(0, think_ms / 1000))  # clients arrive spread out
    while time.perf_counter() < deadline:
        roll = random.random()
        start = time.perf_counter()
        if roll < 0.45:
            kind, response = "get_project", await http.get(f"/projects/{project_id}")
        elif roll < 0.9:
            kind, response = "list_variables", await http.get(f"/projects/{project_id}/variables")
        else:
            kind = "create_variable"
            response = await http.post(
                f"/projects/{scratch}/variables",
                json={
                    "name": f"v_{uuid.uuid4().hex[:12]}",
                    "type": "NUMBER",
                    "instructions": "Number of participants at baseline.",
                },
            )
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code >= 400:
            raise RuntimeError(f"{kind}: {response.status_code} {response.text}")
        samples[kind].append(elapsed)
        if think_ms:
            # A person or a polling UI waits between requests (exponential, mean think_ms).
            await asyncio.sleep(random.expovariate(1000 / think_ms))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause between a client's requests; 0 = back-to-back (saturation)",
    )
    args = parser.parse_args()

    url = await scratch_database()
    async with api_server(url, workers=args.workers) as (base, headers):
        limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
        async with httpx.AsyncClient(
            base_url=base, headers=headers, limits=limits, timeout=30
        ) as http:
            project_id = await seed(http)
            # Creates go to each client's own scratch project so the read project keeps a
            # realistic size (a schema has tens of variables, not thousands).
            scratch = [
                (await http.post("/projects", json={"name": "Scratch", "scale": "SMALL"})).json()[
                    "id"
                ]
                for _ in range(args.clients)
            ]
            # Warm the server's connection pool before timing.
            await asyncio.gather(*(http.get(f"/projects/{project_id}") for _ in range(20)))
            samples: dict[str, list[float]] = {
                "get_project": [],
                "list_variables": [],
                "create_variable": [],
            }
            started = time.perf_counter()
            deadline = started + args.seconds
            await asyncio.gather(
                *(
                    client_loop(http, project_id, scratch[i], deadline, samples, args.think_ms)
                    for i in range(args.clients)
                )
            )
            wall = time.perf_counter() - started

    total = sum(len(v) for v in samples.values())
    mode = f"think {args.think_ms:.0f} ms" if args.think_ms else "back-to-back"
    print(
        f"{args.clients} clients ({mode}), {wall:.1f} s, {total} requests, {total / wall:.0f} req/s"
    )
    for kind, values in samples.items():
        print(
            f"  {kind:16s} n={len(values):6d}  p50={percentile(values, 50):6.1f} ms  "
            f"p95={percentile(values, 95):6.1f} ms  p99={percentile(values, 99):6.1f} ms"
        )
    reads = samples["get_project"] + samples["list_variables"]
    p95 = percentile(reads, 95)
    ratio = p95 / READ_TARGET_P95_MS
    print(f"reads p95 = {p95:.1f} ms; p95 / {READ_TARGET_P95_MS:.0f} ms target = {ratio:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
