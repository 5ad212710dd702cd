"""Rows per second for a 100,000-row CSV uploaded through the API end to end (target ≥ 5,000).

    python backend/benchmarks/ingest_rows.py [--rows 100000] [--format csv|xlsx]

`--format xlsx` writes the same rows as an Excel workbook (openpyxl, write-only) and uploads
that instead: a workbook is read whole by python-calamine, one sheet at a time.

A real uvicorn server on BENCH_DATABASE_URL / TEST_DATABASE_URL (reset!) or an embedded
PostgreSQL; the CSV is written to disk and streamed in one multipart request. `ingest.py`
runs this with the PDF parsing benchmark and prints both figures.
"""

import argparse
import asyncio
import csv
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import openpyxl
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


def generated_rows(rows: int) -> list[list[object]]:
    rng = random.Random(7)
    table: list[list[object]] = [["id", "country", "year", "text"]]
    for i in range(rows):
        text = " ".join(rng.choices(WORDS, k=rng.randint(20, 60)))
        table.append([i, rng.choice(["Kenya", "Peru", "Chile"]), 2000 + i % 24, text])
    return table


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(generated_rows(rows))


def write_xlsx(path: Path, rows: int) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Rows")
    for row in generated_rows(rows):
        sheet.append(row)
    book.save(path)


@dataclass(frozen=True)
class RowsFigures:
    rows: int  # rows the API reports as imported
    csv_mb: float
    elapsed_s: float  # from the start of the upload request to its response

    @property
    def rate(self) -> float:
        return self.rows / self.elapsed_s

    @property
    def met(self) -> bool:
        return self.rate >= TARGET_ROWS_PER_SECOND


async def measure_rows(rows: int = 100_000, file_format: str = "csv") -> RowsFigures:
    """Upload a generated CSV (or workbook) of `rows` rows to a fresh server and time the
    request."""
    url = await scratch_database()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / f"rows.{file_format}"
        (write_xlsx if file_format == "xlsx" else write_csv)(csv_path, rows)
        async with (
            api_server(url, env={"MAX_UPLOAD_BYTES": str(1 << 30)}) as (base, headers),
            httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as http,
        ):
            created = await http.post("/projects", json={"name": "Rows", "scale": "LARGE"})
            project = created.json()
            started = time.perf_counter()
            with csv_path.open("rb") as handle:
                response = await http.post(
                    f"/projects/{project['id']}/documents",
                    files={"file": (csv_path.name, handle, "application/octet-stream")},
                    data={"textColumn": "text", "idColumn": "id"},
                )
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            imported = response.json()["files"][0]["rowsImported"]
        return RowsFigures(int(imported), csv_path.stat().st_size / 1e6, elapsed)


def print_rows(figures: RowsFigures) -> None:
    f = figures
    print(f"{f.rows} rows ({f.csv_mb:.1f} MB file) in {f.elapsed_s:.1f} s = {f.rate:,.0f} rows/s")
    print(f"rows/s ÷ {TARGET_ROWS_PER_SECOND} target = {f.rate / TARGET_ROWS_PER_SECOND:.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    args = parser.parse_args()
    print_rows(await measure_rows(args.rows, args.format))


if __name__ == "__main__":
    asyncio.run(main())
