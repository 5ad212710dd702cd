"""Both ingestion figures from one run.

(a) PDF parsing overhead: `parse_document` on a generated 200-page PDF ÷ a bare PyMuPDF
    `get_text()` loop (target <= 1.3), from `ingest_parse.py`;
(b) rows/s for a 100,000-row CSV uploaded through the API end to end (target >= 5,000), from
    `ingest_rows.py` (a real uvicorn server, see `harness.py`).

    python backend/benchmarks/ingest.py [--pages 200] [--runs 5] [--rows 100000]

The parse benchmark runs first, before the server starts, so the two do not compete for the
CPU. Uses BENCH_DATABASE_URL or TEST_DATABASE_URL (a scratch database: it is reset), else an
embedded PostgreSQL in a temporary directory.
"""

import argparse
import asyncio

from ingest_parse import TARGET_RATIO, measure_parse, print_parse
from ingest_rows import TARGET_ROWS_PER_SECOND, measure_rows, print_rows


async def main() -> None:
    parser = argparse.ArgumentParser(description="Ingestion benchmarks: PDF parsing and CSV rows")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    print(f"== PDF parsing ({args.pages} pages)")
    parse = measure_parse(args.pages, args.runs)
    print_parse(parse)
    print(f"\n== CSV upload through the API ({args.rows:,} rows)")
    rows = await measure_rows(args.rows)
    print_rows(rows)

    print("\n== Summary")
    print(
        f"PDF parse ÷ bare PyMuPDF loop: {parse.ratio:.2f} (target <= {TARGET_RATIO})"
        f" {'ok' if parse.met else 'MISSED'}"
    )
    print(
        f"CSV rows/s end to end: {rows.rate:,.0f} (target >= {TARGET_ROWS_PER_SECOND:,})"
        f" {'ok' if rows.met else 'MISSED'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
