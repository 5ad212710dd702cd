"""Cost control through the whole system: forecast, prefix caching and incremental runs.

A real uvicorn server with its job runner talks to the fake LLM (its own process, 300 ms
latency, OpenAI's prefix-caching rule: prefixes of ≥ 1,024 tokens, in 128-token steps, cached
once seen). The corpus is `llm_throughput.py`'s: generated evaluation reports x 10 variables.
Prices: LLM_PRICES gives the fake model gpt-4o-mini's (input 0.15, cached input 0.075,
output 0.60 USD per million tokens). Steps, each a job through the API:

  1. a SAMPLE job of 20 documents;
  2. POST /jobs/estimate for the FULL run (it reuses the sample's 20 documents), then the FULL
     job itself (static-first layout, reuse on);
  3. the baseline: the same FULL run by a server with PROMPT_LAYOUT=DOCUMENT_FIRST, reuse off;
  4. one variable of the ten changes; a FULL job again (reuse on).

Prints:
  (a) forecast expected cost (from the 20-document sample) ÷ actual cost of step 2
                                                                      target 0.9 to 1.1
  (b) cached prompt tokens ÷ static prompt tokens from the second call on (step 2)
                                                                      target ≥ 0.9
  (c) billed cost of step 2 ÷ the baseline's (document first, no reuse)
  (d) calls of step 4 ÷ calls of a full re-run (the baseline); with all variables in one call
      per document that stays 1.0, so its cost ratio is printed beside it

    python backend/benchmarks/cost.py [--documents 1000] [--latency-ms 300]

Uses BENCH_DATABASE_URL or TEST_DATABASE_URL (a scratch database: its schema is dropped!),
else an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import httpx
from harness import api_server, scratch_database
from job_throughput import FINISHED, reports_csv
from llm_throughput import MODEL, PROJECT, VARIABLES, make_report, plant_facts

from tests.support.fake_llm import FakeLLMRemote, spawn_fake_llm

# A real codebook's variables carry their coding rules: with them the part every call shares
# passes the 1,024 tokens a provider needs before it caches anything.
CODING_RULES = (
    "When coding {name}, read the methods and results sections first; prefer figures the "
    "authors report for the whole evaluation over those of a subgroup, a pilot or a previous "
    "phase; when the report gives several candidates, take the one the abstract repeats; quote "
    "the sentence that states it; say null rather than guess when the report does not say."
)
CODED_VARIABLES = [
    {**v, "instructions": f"{v['instructions']} {CODING_RULES.format(name=v['name'])}"}
    for v in VARIABLES
]
PRICES = {MODEL: {"input": 0.15, "cached_input": 0.075, "output": 0.60}}
CACHE_MIN_TOKENS, CACHE_STEP_TOKENS = 1024, 128


async def set_up(http: httpx.AsyncClient, documents: int) -> tuple[str, dict[str, str]]:
    created = await http.post("/projects", json=PROJECT)
    created.raise_for_status()
    project_id = str(created.json()["id"])
    ids = {}
    for variable in CODED_VARIABLES:
        response = await http.post(f"/projects/{project_id}/variables", json=variable)
        response.raise_for_status()
        ids[variable["name"]] = str(response.json()["id"])
    reports = [make_report(i) for i in range(documents)]
    upload = await http.post(
        f"/projects/{project_id}/documents",
        files={"file": ("reports.csv", reports_csv(reports), "text/csv")},
        data={"textColumn": "text", "idColumn": "id"},
    )
    upload.raise_for_status()
    return project_id, ids


async def run_job(http: httpx.AsyncClient, project_id: str, body: dict[str, Any]) -> dict[str, Any]:
    created = await http.post(f"/projects/{project_id}/jobs", json=body)
    created.raise_for_status()
    job_id = created.json()["id"]
    while True:
        progress = (await http.get(f"/jobs/{job_id}/progress")).json()
        if progress["status"] in FINISHED:
            if progress["status"] != "COMPLETE":
                raise RuntimeError(f"job {job_id}: {progress['status']} {progress}")
            return progress  # type: ignore[no-any-return]
        await asyncio.sleep(0.5)


def static_prefix_tokens(fake: FakeLLMRemote) -> int:
    """Tokens (the fake's counter) of the part every call shares: system message and the user
    message up to the document, as the fake's cache compares them."""
    request = fake.last_request
    assert request is not None
    system, user = (m["content"] for m in request["messages"][:2])
    shared = f"<|system|>{system}\n<|user|>{user[: user.index('<document>')]}"
    return len(shared) // 4


def env_for(fake: FakeLLMRemote, args: argparse.Namespace, **extra: str) -> dict[str, str]:
    return {
        "LLM_BASE_URL": fake.base_url,
        "LLM_MODEL": MODEL,
        "LLM_PRICES": json.dumps(PRICES),
        "LLM_REQUESTS_PER_MINUTE": "100000",
        "LLM_TOKENS_PER_MINUTE": "0",
        "LLM_MAX_CONCURRENCY": str(args.llm_concurrency),
        "RUNNER_CONCURRENCY": str(args.runner_concurrency),
        "MAX_UPLOAD_BYTES": str(1 << 30),
        **extra,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--runner-concurrency", type=int, default=32)
    parser.add_argument("--llm-concurrency", type=int, default=16)
    args = parser.parse_args()

    fake = spawn_fake_llm("--latency-ms", str(args.latency_ms), "--model", MODEL)
    started = time.perf_counter()
    try:
        plant_facts(fake)
        # The baseline: document first, no reuse, on a database of its own.
        url = await scratch_database()
        document_first = env_for(fake, args, PROMPT_LAYOUT="DOCUMENT_FIRST")
        async with (
            api_server(url, env=document_first) as (base, headers),
            httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as http,
        ):
            project_id, _ = await set_up(http, args.documents)
            fake.reset_stats()
            baseline = await run_job(http, project_id, {"jobType": "FULL", "reuse": False})
        url = await scratch_database()
        fake.reset()  # a clean prompt cache (and statistics); the facts again
        plant_facts(fake)
        async with (
            api_server(url, env=env_for(fake, args)) as (base, headers),
            httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as http,
        ):
            project_id, variable_ids = await set_up(http, args.documents)
            sample = {"jobType": "SAMPLE", "documentCount": args.sample, "sampleSeed": 7}
            await run_job(http, project_id, sample)
            estimate = await http.post(
                f"/projects/{project_id}/jobs/estimate", json={"jobType": "FULL"}
            )
            estimate.raise_for_status()
            forecast = estimate.json()
            fake.reset_stats()
            full = await run_job(http, project_id, {"jobType": "FULL"})
            full_stats = fake.stats
            static = static_prefix_tokens(fake)
            changed = await http.put(
                f"/variables/{variable_ids[CODED_VARIABLES[3]['name']]}",
                json={"instructions": CODED_VARIABLES[3]["instructions"] + " Flag doubts."},
            )
            changed.raise_for_status()
            changed_forecast = (
                await http.post(f"/projects/{project_id}/jobs/estimate", json={"jobType": "FULL"})
            ).json()
            fake.reset_stats()
            incremental = await run_job(http, project_id, {"jobType": "FULL"})
    finally:
        fake.stop()
    wall = time.perf_counter() - started

    cost = forecast["costUsd"]
    ratio_a = cost["expected"] / full["costUsd"]
    cacheable = static // CACHE_STEP_TOKENS * CACHE_STEP_TOKENS if static >= CACHE_MIN_TOKENS else 0
    static_from_second = static * max(full["llmCalls"] - 1, 0)
    ratio_b = full_stats.cached_tokens / static_from_second if static_from_second else 0.0
    ratio_c = full["costUsd"] / baseline["costUsd"]
    ratio_d = incremental["llmCalls"] / baseline["llmCalls"]
    print(
        f"{args.documents} documents x {len(VARIABLES)} variables, fake LLM "
        f"{args.latency_ms:g} ms; sample of {args.sample}; whole run {wall:.0f} s"
    )
    print(
        f"forecast (step 2): {forecast['plannedCalls']} calls, {forecast['reusedPairs']} answers "
        f"reused, {forecast['promptTokens']} prompt tokens ({forecast['cachedShare']:.1%} cached), "
        f"{forecast['completionTokens']} completion tokens ({forecast['completionBasis']}), cost "
        f"low {cost['low']:.4f} / expected {cost['expected']:.4f} / high {cost['high']:.4f} USD "
        f"({forecast['price']['source']})"
    )
    for name, job in (
        ("full", full),
        ("baseline", baseline),
        ("one variable changed", incremental),
    ):
        print(
            f"{name}: {job['llmCalls']} calls, {job['promptTokens']} prompt tokens, "
            f"{job['cachedTokens']} cached, {job['completionTokens']} completion, "
            f"{job['costUsd']:.4f} USD"
        )
    print(
        f"(a) forecast ÷ actual cost: {ratio_a:.3f} (target 0.9 to 1.1) "
        f"{'met' if 0.9 <= ratio_a <= 1.1 else 'MISSED'}"
    )
    print(
        f"(b) cached ÷ static prompt tokens from the 2nd call on: {ratio_b:.3f} "
        f"({full_stats.cached_tokens} ÷ {static} x {full['llmCalls'] - 1}; the provider caches "
        f"{cacheable} of the {static} static tokens in 128-token steps) (target ≥ 0.9) "
        f"{'met' if ratio_b >= 0.9 else 'MISSED'}"
    )
    print(f"(c) billed cost ÷ document-first layout without reuse: {ratio_c:.3f}")
    print(
        f"(d) calls when one variable of ten changes ÷ a full re-run's calls: {ratio_d:.3f} "
        f"(forecast {changed_forecast['plannedCalls']} calls); cost "
        f"{incremental['costUsd'] / baseline['costUsd']:.3f}, completion tokens "
        f"{incremental['completionTokens'] / baseline['completionTokens']:.3f} of the re-run's"
    )


if __name__ == "__main__":
    asyncio.run(main())
