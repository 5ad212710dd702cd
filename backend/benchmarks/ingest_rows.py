"""Rows per second for a 100,000-row CSV uploaded through the API end to end (target ≥ 5,000).

    python backend/benchmarks/ingest_rows.py [--rows 100000]

A real uvicorn server on BENCH_DATABASE_URL / TEST_DATABASE_URL (reset!) or an embedded
PostgreSQL; the CSV is written to disk and streamed in one multipart request.
"""

import argparse
import asyncio
import csv
import random
import tempfile
import time
from pathlib import Path

import httpx
from harness import api_server, scratch_database

TARGET_ROWS_PER_SECOND = 5000
WORDS = [
    "policy",
    "health",
    "reform",
    "adopted",
    "vote",
    "committee",
    "budget",
    "school",
    "trial",
    "cohort",
    "region",
]


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "country", "year", "text"])
        for i in range(rows):
            text = " ".join(rng.choices(WORDS, k=rng.randint(20, 60)))
            writer.writerow([i, rng.choice(["Kenya", "Peru", "Chile"]), 2000 + i % 24, text])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    url = await scratch_database()
    csv_path = Path(tempfile.mkdtemp()) / "rows.csv"
    write_csv(csv_path, args.rows)
    async with (
        api_server(url, env={"MAX_UPLOAD_BYTES": str(1 << 30)}) as base,
        httpx.AsyncClient(base_url=base, timeout=600) as http,
    ):
        project = (await http.post("/projects", json={"name": "Rows", "scale": "LARGE"})).json()
        started = time.perf_counter()
        with csv_path.open("rb") as handle:
            response = await http.post(
                f"/projects/{project['id']}/documents",
                files={"file": ("rows.csv", handle, "text/csv")},
                data={"textColumn": "text", "idColumn": "id"},
            )
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        imported = response.json()["files"][0]["rowsImported"]
    rate = imported / elapsed
    size_mb = csv_path.stat().st_size / 1e6
    print(f"{imported} rows ({size_mb:.1f} MB CSV) in {elapsed:.1f} s = {rate:,.0f} rows/s")
    print(f"rows/s ÷ {TARGET_ROWS_PER_SECOND} target = {rate / TARGET_ROWS_PER_SECOND:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
