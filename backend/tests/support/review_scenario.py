"""A project with two variables and a finished sample job seeded straight into PostgreSQL
(the `scenario` fixture of the review and prompts tests)."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from coderai.core.database import Database
from coderai.models.enums import GroundingKind, JobType
from tests.support.factories import category_payload, create_project, create_variable
from tests.support.seed import SeededJob, seed_documents, seed_job

TEXTS = [
    "Methods. Participants were randomly assigned to two arms. In total 120 participants "
    "were enrolled at baseline. The trial ran from March 2021 to June 2022.",
    "This cohort study followed 45 patients over time. Patients were randomly assigned "
    "to the intervention group in the second phase only.",
    "A case-control design compared 30 cases with 60 matched controls.",
    "We followed volunteers for two years; the sample size was not reported.",
]

# (document, variable) -> what the model answered; quotes are located in TEXTS.
ANSWERS: dict[tuple[int, str], tuple[Any, str | None, float]] = {
    (0, "participants"): (12, "120 participants", 0.95),  # wrong: 120
    (0, "design"): ("RCT", "randomly assigned to two arms", 0.9),  # right
    (1, "participants"): (45, "45 patients", 0.85),  # right
    (1, "design"): ("RCT", "randomly assigned", 0.6),  # wrong: Cohort
    (2, "participants"): (30, "30 cases", 0.8),  # wrong: 90
    (2, "design"): ("Case-control", "A case-control design", 0.92),  # right
    (3, "participants"): (200, None, 0.4),  # invented (ungrounded): truly empty
    (3, "design"): ("Cohort", "We followed volunteers", 0.7),  # right
}


@dataclass
class Scenario:
    project_id: str
    variables: dict[str, str]  # name -> id
    job: SeededJob
    texts: list[str]

    @property
    def job_id(self) -> str:
        return str(self.job.job_id)

    def extraction(self, document: int, variable: str) -> str:
        return str(self.job.extraction_ids[(document, variable, 0)])


def _answer(document: int, variable: str) -> dict[str, Any] | None:
    found = ANSWERS.get((document, variable))
    if found is None:
        return None
    value, quote, confidence = found
    answer: dict[str, Any] = {"value": value, "confidence": confidence, "quote": quote}
    if quote is not None:
        start = TEXTS[document].index(quote)
        answer.update(char_start=start, char_end=start + len(quote), page=1)
    else:
        answer["grounding"] = GroundingKind.NONE
    answer["reasoning"] = f"The document says so ({variable})."
    return answer


@pytest.fixture
async def scenario(client: httpx.AsyncClient, db: Database) -> Scenario:
    return await review_scenario(client, db)


async def review_scenario(client: httpx.AsyncClient, db: Database) -> Scenario:
    """The scenario on any app (the `scenario` fixture's, or one with a job runner)."""
    project = await create_project(client)
    participants = await create_variable(client, project["id"])
    design = await create_variable(client, project["id"], **category_payload(order=2))
    document_ids = await seed_documents(db, uuid.UUID(project["id"]), TEXTS)
    job = await seed_job(
        db, uuid.UUID(project["id"]), document_ids, _answer, job_type=JobType.SAMPLE
    )
    return Scenario(
        project_id=project["id"],
        variables={"participants": participants["id"], "design": design["id"]},
        job=job,
        texts=TEXTS,
    )


async def give_feedback(
    client: httpx.AsyncClient, extraction_id: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(f"/extractions/{extraction_id}/feedback", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def review_everything(client: httpx.AsyncClient, scenario: Scenario) -> None:
    """The reviewer's verdicts on all eight answers (see ANSWERS)."""
    ex = scenario.extraction
    await give_feedback(client, ex(0, "participants"), isCorrect=False, correctedValue=120)
    await give_feedback(client, ex(0, "design"), isCorrect=True)
    await give_feedback(client, ex(1, "participants"), verdict="CORRECT")
    await give_feedback(
        client,
        ex(1, "design"),
        verdict="INCORRECT",
        correctedValue="Cohort",
        note="Randomisation only in phase two; the design is a cohort.",
    )
    await give_feedback(
        client, ex(2, "participants"), verdict="PARTIALLY_CORRECT", correctedValue="90"
    )
    await give_feedback(client, ex(2, "design"), isCorrect=True)
    await give_feedback(client, ex(3, "participants"), verdict="INCORRECT", correctedValue=None)
    await give_feedback(client, ex(3, "design"), isCorrect=True)
