"""A small trial-report project with a finished job seeded straight into PostgreSQL, and
helpers that export it over HTTP and read the file back."""

import io
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from coderai.core.database import Database
from coderai.models import Extraction
from tests.support.factories import category_payload, create_project, create_variable
from tests.support.seed import Answer, SeededJob, seed_documents, seed_job

FAILED_DOC = 2

# doc index -> variable -> answer (None: the engine stored no row for it)
ANSWERS: dict[int, dict[str, Answer | None]] = {
    0: {
        "participants": {
            "value": 120,
            "unit": "patients",
            "confidence": 0.95,
            "quote": "enrolled 120 patients",
        },
        "design": {"value": "RCT", "confidence": 0.9, "quote": "randomised controlled"},
        "start_date": {"value": "2021-03-15", "confidence": 0.8, "quote": "15 March 2021"},
        "blinded": {"value": True, "confidence": 0.85, "quote": "double-blind"},
        "summary": {"value": '=HYPERLINK("http://evil.example","x")', "confidence": 0.7},
        "outcomes": {
            "value": ["mortality", "-readmission"],
            "display": "mortality; -readmission",
            "confidence": 0.75,
            "quote": "mortality and readmission",
        },
    },
    1: {
        "participants": {"value": -12.5, "confidence": 0.6, "quote": "minus 12.5"},
        "design": {"value": "Cohort", "confidence": 0.4, "quote": "followed a cohort"},
        "start_date": {"value": None, "confidence": 0.9, "grounding": "NONE"},
        "blinded": {"value": False, "confidence": 0.9, "quote": "open label"},
        "summary": {"value": "Plain summary", "confidence": 0.9, "quote": "Plain summary"},
        "outcomes": {"value": ["mortality"], "display": "mortality", "confidence": 0.9},
    },
    3: {
        "participants": {"value": 80, "confidence": 0.92, "quote": "80 participants"},
        "design": {"value": "Case-control", "confidence": 0.88, "quote": "cases and controls"},
        "start_date": {"value": "2019-11-02", "confidence": 0.3, "quote": "2 Nov 2019"},
        "blinded": None,
        "summary": {"value": "@SUM(A1)", "confidence": 0.9, "needs_review": True},
        "outcomes": {"value": None, "confidence": 0.5},
    },
}

METADATA = [
    {"filename": "trials.csv", "columns": {"country": "Kenya", "year": 2020, "registry": "+NCT1"}},
    {"filename": "trials.csv", "columns": {"country": "Peru", "year": 2021, "registry": "NCT2"}},
    {"filename": "trials.csv", "columns": {"country": "Chile", "year": 2019, "registry": "NCT3"}},
    {"filename": "trials.csv", "columns": {"country": "=cmd|' /C calc'!A0", "year": 2018}},
]

VARIABLES = ["participants", "design", "start_date", "blinded", "summary", "outcomes"]


@dataclass
class Trials:
    project_id: str
    job: SeededJob

    def doc(self, index: int) -> str:
        return str(self.job.document_ids[index])


def answer(doc: int, variable: str) -> Answer | None:
    return ANSWERS.get(doc, {}).get(variable)


async def create_trial_variables(client: httpx.AsyncClient, project_id: str) -> None:
    await create_variable(client, project_id, name="participants", displayName="Participants")
    await create_variable(client, project_id, **category_payload(order=2))
    await create_variable(
        client,
        project_id,
        name="start_date",
        type="DATE",
        instructions="Date the trial started enrolling participants.",
        order=3,
    )
    await create_variable(
        client,
        project_id,
        name="blinded",
        type="BOOLEAN",
        instructions="Whether the trial was blinded (single or double).",
        order=4,
    )
    await create_variable(
        client,
        project_id,
        name="summary",
        type="TEXT",
        instructions="One-sentence summary of the trial's main finding.",
        order=5,
    )
    await create_variable(
        client,
        project_id,
        name="outcomes",
        type="TEXT",
        instructions="Every primary outcome the trial measured.",
        uncertaintyHandling={"ifMultipleValues": "ALL"},
        order=6,
    )


@pytest.fixture
async def trials(client: httpx.AsyncClient, db: Database) -> Trials:
    project = await create_project(client, name="Trials: Kenya & Peru")
    await create_trial_variables(client, project["id"])
    texts = [f"Trial report number {i}." for i in range(4)]
    documents = await seed_documents(db, uuid.UUID(project["id"]), texts, metadata=METADATA)
    job = await seed_job(
        db, uuid.UUID(project["id"]), documents, answer, failed_documents={FAILED_DOC}
    )
    return Trials(project["id"], job)


async def export(
    client: httpx.AsyncClient, project_id: str, **body: Any
) -> tuple[dict[str, Any], httpx.Response]:
    """POST the export, then download the file through its link."""
    response = await client.post(f"/projects/{project_id}/export", json=body)
    assert response.status_code == 200, response.text
    info: dict[str, Any] = response.json()
    download = await client.get(info["downloadUrl"])
    assert download.status_code == 200, download.text
    return info, download


def as_file(response: httpx.Response) -> io.BytesIO:
    return io.BytesIO(response.content)


async def stored_extractions(db: Database, job_id: uuid.UUID) -> list[Extraction]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(Extraction).where(Extraction.job_id == job_id)))
