"""Export time end to end vs pandas writing the same DataFrame directly.

1,000 documents x 50 variables (50,000 extractions inserted straight into PostgreSQL), a real
uvicorn server; for CSV wide (with confidence and sources), Excel and Parquet it times the
export request (POST, file built) and the download (GET), and divides by the time pandas
takes to write the very same DataFrame (built in this process by the export's own code).
Targets: CSV <= 3 s end to end and <= 2x the bare pandas write.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<scratch db> \\
        python backend/benchmarks/export.py [--documents 1000] [--variables 50] [--repeat 3]

The database is reset. Each figure is the median of --repeat runs.
"""

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from harness import api_server, scratch_database

from coderai.core.config import Settings
from coderai.core.database import Database, create_engine
from coderai.exports import data as export_data
from coderai.exports.frames import build_frame
from coderai.exports.grid import FrameOptions, resolve_grid
from coderai.exports.schemas import ExportLayout
from coderai.models import ProcessingJob, Project
from coderai.models.enums import ObservationMode
from tests.support.seed import Answer, seed_documents, seed_job

CSV_TARGET_SECONDS = 3.0
CSV_TARGET_RATIO = 2.0
TYPES = ["NUMBER", "CATEGORY", "DATE", "BOOLEAN", "TEXT"]
WORDS = [
    "the", "trial", "enrolled", "patients", "randomly", "assigned", "to", "treatment", "arms",
    "over", "twelve", "months",
]  # fmt: skip


def variable_body(i: int) -> dict[str, Any]:
    kind = TYPES[i % len(TYPES)]
    body: dict[str, Any] = {
        "name": f"var_{i:02d}",
        "type": kind,
        "instructions": f"Variable {i} of the benchmark, coded from the report.",
        "order": i + 1,
    }
    if kind == "CATEGORY":
        body["classificationRules"] = {"categories": ["RCT", "Cohort", "Case-control"]}
    return body


def make_answer(rng: random.Random, variables: int) -> Callable[[int, str], Answer | None]:
    def answer(doc: int, name: str) -> Answer | None:
        kind = TYPES[int(name.split("_")[1]) % len(TYPES)]
        quote = " ".join(rng.choices(WORDS, k=rng.randint(8, 20)))
        if rng.random() < 0.08:
            return {"value": None, "confidence": 0.5}
        value: Any = {
            "NUMBER": rng.randint(10, 5000) if rng.random() < 0.7 else -rng.random() * 100,
            "CATEGORY": rng.choice(["RCT", "Cohort", "Case-control"]),
            "DATE": f"20{rng.randint(10, 23)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "BOOLEAN": rng.random() < 0.5,
            "TEXT": " ".join(rng.choices(WORDS, k=rng.randint(3, 12))),
        }[kind]
        return {"value": value, "confidence": round(rng.random(), 3), "quote": quote}

    return answer


def write_bare(frame: pd.DataFrame, target: Path) -> None:
    """pandas writing the DataFrame itself, the yardstick of each format."""
    if target.suffix == ".csv":
        frame.to_csv(target, index=False)
    elif target.suffix == ".xlsx":
        frame.to_excel(target, index=False, engine="openpyxl")
    else:
        frame.to_parquet(target, index=False)


def median_seconds(action: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def timed_export(
    http: httpx.AsyncClient, project_id: str, body: dict[str, Any], repeat: int
) -> tuple[float, float, int]:
    """Median seconds of the POST and of POST + download, and the file size."""
    posts, totals, size = [], [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = await http.post(f"/projects/{project_id}/export", json=body)
        response.raise_for_status()
        posted = time.perf_counter()
        download = await http.get(response.json()["downloadUrl"])
        download.raise_for_status()
        finished = time.perf_counter()
        posts.append(posted - started)
        totals.append(finished - started)
        size = len(download.content)
    return statistics.median(posts), statistics.median(totals), size


async def same_frame(
    url: str, project_id: str, job_id: uuid.UUID, include_sources: bool
) -> pd.DataFrame:
    """The DataFrame the export builds, made here with the export's own code."""
    settings = Settings(database_url=url, _env_file=None)
    database = Database(create_engine(url, settings))
    try:
        async with database.sessionmaker() as session:
            project = await session.get(Project, uuid.UUID(project_id))
            job = await session.get(ProcessingJob, job_id)
            assert project is not None and job is not None
            data = await export_data.load_export_data(
                session, project, job, with_sources=include_sources, layout=ExportLayout.WIDE
            )
    finally:
        await database.dispose()
    options = FrameOptions(ExportLayout.WIDE, ObservationMode.DOCUMENT, True, include_sources, None)
    grid = resolve_grid(data.variables, data.units, data.extractions, options)
    return build_frame(grid, options).frame


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--variables", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    url = await scratch_database()
    async with (
        api_server(url) as (base, headers),
        httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as http,
    ):
        project = (
            await http.post("/projects", json={"name": "Export bench", "scale": "LARGE"})
        ).json()
        for i in range(args.variables):
            response = await http.post(
                f"/projects/{project['id']}/variables", json=variable_body(i)
            )
            response.raise_for_status()
        settings = Settings(database_url=url, _env_file=None)
        database = Database(create_engine(url, settings))
        rng = random.Random(7)
        texts = [" ".join(rng.choices(WORDS, k=200)) for _ in range(args.documents)]
        started = time.perf_counter()
        project_uuid = uuid.UUID(project["id"])
        documents = await seed_documents(database, project_uuid, texts)
        job = await seed_job(database, project_uuid, documents, make_answer(rng, args.variables))
        await database.dispose()
        print(
            f"seeded {args.documents} documents x {args.variables} variables "
            f"in {time.perf_counter() - started:.1f} s"
        )

        cases: list[tuple[str, dict[str, Any], str]] = [
            ("CSV wide", {"format": "CSV_WIDE", "includeSourceText": True}, "csv"),
            ("Excel", {"format": "EXCEL"}, "xlsx"),
            ("Parquet", {"format": "PARQUET"}, "parquet"),
        ]
        # One untimed request loads the writers' modules, as any long-running server has.
        await timed_export(http, project["id"], {"format": "CSV_WIDE"}, 1)
        folder = Path(tempfile.mkdtemp(prefix="coderai-export-bench-"))
        for label, body, extension in cases:
            frame = await same_frame(
                url, project["id"], job.job_id, body.get("includeSourceText", False)
            )
            target = folder / f"bare.{extension}"
            bare = median_seconds(partial(write_bare, frame, target), args.repeat)
            post, total, size = await timed_export(http, project["id"], body, args.repeat)
            print(
                f"{label:9} {frame.shape[0]} rows x {frame.shape[1]} cols, {size / 1e6:.1f} MB: "
                f"POST {post:.2f} s, POST+download {total:.2f} s, bare pandas {bare:.2f} s "
                f"-> POST/bare {post / bare:.2f}, end-to-end/bare {total / bare:.2f}"
            )
            if extension == "csv":
                print(
                    f"CSV end to end {total:.2f} s / {CSV_TARGET_SECONDS} s target = "
                    f"{total / CSV_TARGET_SECONDS:.2f}; end-to-end/bare {total / bare:.2f} "
                    f"vs {CSV_TARGET_RATIO} target"
                )


if __name__ == "__main__":
    asyncio.run(main())
