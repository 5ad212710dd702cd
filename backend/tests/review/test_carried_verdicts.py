"""A verdict follows its unit: a correction made in the sample reaches the full run's feedback,
detail, statistics and every export, until it is withdrawn (review.carried)."""

import io
from typing import Any

import httpx
import pandas as pd

from coderai.models.enums import Verdict
from coderai.review.carried import apply_verdict
from tests.jobs.test_jobs import setup_trials, wait_for
from tests.support.factories import create_variable
from tests.support.fake_llm import FakeLLM


async def _run(client: httpx.AsyncClient, project_id: str, job_type: str, ids: list[str]) -> str:
    response = await client.post(
        f"/projects/{project_id}/jobs", json={"jobType": job_type, "documentIds": ids}
    )
    assert response.status_code == 201, response.text
    job = await wait_for(client, response.json()["id"], {"COMPLETE", "FAILED"})
    assert job["status"] == "COMPLETE", job
    return str(job["id"])


async def _answers(client: httpx.AsyncClient, job_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(document id, variable id) -> the job's answer."""
    results = (await client.get(f"/jobs/{job_id}/results", params={"limit": 1000})).json()
    return {(r["documentId"], r["variableId"]): r for r in results}


async def _download(
    client: httpx.AsyncClient, project_id: str, job_id: str, fmt: str
) -> io.BytesIO:
    info = await client.post(
        f"/projects/{project_id}/export", json={"format": fmt, "jobId": job_id}
    )
    assert info.status_code == 200, info.text
    download = await client.get(info.json()["downloadUrl"])
    assert download.status_code == 200
    return io.BytesIO(download.content)


async def _wide(client: httpx.AsyncClient, project_id: str, job_id: str) -> pd.DataFrame:
    frame = pd.read_csv(
        await _download(client, project_id, job_id, "CSV_WIDE"), keep_default_na=False, dtype=str
    )
    return frame.set_index("document_id")


async def test_a_sample_correction_reaches_the_full_runs_dataset(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    client = runner_client
    setup = await setup_trials(client, fake_llm, documents=4)
    project_id = setup["project"]["id"]
    # No fact is planted for the country: the model finds none (Madrid's case).
    country = await create_variable(
        client,
        project_id,
        name="country",
        type="TEXT",
        instructions="The country where the study ran.",
        order=3,
    )
    documents = (await client.get(f"/projects/{project_id}/documents")).json()
    ids = [d["id"] for d in sorted(documents["items"], key=lambda d: d["externalId"])]
    participants, design = setup["participants"]["id"], setup["design"]["id"]

    sample = await _run(client, project_id, "SAMPLE", ids[:2])
    answers = await _answers(client, sample)
    assert answers[(ids[0], country["id"])]["value"] is None
    corrections = {
        (ids[0], country["id"]): {"verdict": "INCORRECT", "correctedValue": "Spain"},
        (ids[0], participants): {"verdict": "INCORRECT", "correctedValue": 99},  # said 100
        (ids[1], design): {"verdict": "CORRECT"},  # Cohort, confirmed
    }
    for key, body in corrections.items():
        response = await client.post(f"/extractions/{answers[key]['id']}/feedback", json=body)
        assert response.status_code == 201, response.text

    full = await _run(client, project_id, "FULL", ids)
    full_answers = await _answers(client, full)

    # The full run's feedback list shows the three verdicts on its own answers, carried.
    feedback = (await client.get(f"/jobs/{full}/feedback")).json()
    by_unit = {(f["documentId"], f["variableId"]): f for f in feedback}
    assert set(by_unit) == set(corrections)
    spain = by_unit[(ids[0], country["id"])]
    assert spain["carried"] is True and spain["sourceJobId"] == sample
    assert spain["extractionId"] == full_answers[(ids[0], country["id"])]["id"]
    assert spain["verdict"] == "INCORRECT" and spain["correctedValue"] == "Spain"
    assert spain["reviewerName"] == "Ada Admin" and spain["createdAt"]
    assert by_unit[(ids[1], design)]["verdict"] == "CORRECT"

    detail = (await client.get(f"/extractions/{spain['extractionId']}")).json()
    assert detail["currentFeedback"]["carried"] is True
    assert detail["currentFeedback"]["correctedValue"] == "Spain"

    statistics = (await client.get(f"/jobs/{full}/statistics")).json()
    reviewed = {v["variableId"]: v["reviewed"] for v in statistics["variables"]}
    assert reviewed == {participants: 1, design: 1, country["id"]: 1}

    wide = await _wide(client, project_id, full)
    assert wide.loc[ids[0], "country"] == "Spain"
    assert wide.loc[ids[0], "country_status"] == "OK"
    assert wide.loc[ids[0], "country_corrected"] == "true"
    assert float(wide.loc[ids[0], "participants"]) == 99
    assert wide.loc[ids[1], "design"] == "Cohort"
    assert wide.loc[ids[1], "design_corrected"] == "false"  # confirmed, not changed
    assert wide.loc[ids[2], "country_status"] == "NOT_FOUND"  # no verdict on that unit

    excel = pd.read_excel(await _download(client, project_id, full, "EXCEL"), sheet_name="Data")
    row = excel.set_index("document_id").loc[ids[0]]
    assert row["country"] == "Spain" and row["participants"] == 99
    stata = pd.read_stata(await _download(client, project_id, full, "STATA"))
    row = stata.set_index("document_id").loc[ids[0]]
    assert row["country"] == "Spain" and row["participants"] == 99

    # Withdrawn, the correction applies nowhere, and stays in the history.
    sample_spain = answers[(ids[0], country["id"])]["id"]
    assert (await client.delete(f"/extractions/{sample_spain}/feedback")).status_code == 204
    wide = await _wide(client, project_id, full)
    assert wide.loc[ids[0], "country_status"] == "NOT_FOUND"
    assert wide.loc[ids[0], "country"] == ""
    assert float(wide.loc[ids[0], "participants"]) == 99  # other units keep theirs
    history = (await client.get(f"/extractions/{sample_spain}/feedback")).json()
    assert len(history) == 1 and history[0]["withdrawnAt"] and not history[0]["isCurrent"]
    feedback = (await client.get(f"/jobs/{full}/feedback")).json()
    assert len(feedback) == 2


async def test_withdrawing_an_unknown_extraction_is_404(client: httpx.AsyncClient) -> None:
    response = await client.delete("/extractions/00000000-0000-4000-8000-000000000000/feedback")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_how_a_verdict_applies_to_another_answer() -> None:
    def carry(verdict: Verdict, reviewed: Any, value: Any, **correction: Any) -> Any:
        found = apply_verdict(
            own=False,
            verdict=verdict,
            has_correction="corrected" in correction,
            corrected_value=correction.get("corrected"),
            reviewed_value=reviewed,
            value=value,
        )
        return None if found is None else (found.verdict, found.corrected_value)

    # A correction states the truth: right when the new answer equals it, else carried.
    assert carry(Verdict.INCORRECT, None, None, corrected="Spain") == (
        Verdict.INCORRECT,
        "Spain",
    )
    assert carry(Verdict.INCORRECT, None, "Spain", corrected="Spain") == (Verdict.CORRECT, None)
    # "The true value is empty" is a correction too.
    assert carry(Verdict.INCORRECT, 5, 7, corrected=None) == (Verdict.INCORRECT, None)
    assert carry(Verdict.INCORRECT, 5, None, corrected=None) == (Verdict.CORRECT, None)
    # A confirmation states that the reviewed answer was the truth.
    assert carry(Verdict.CORRECT, 12, 12.0) == (Verdict.CORRECT, None)
    assert carry(Verdict.CORRECT, 12, 13) == (Verdict.INCORRECT, 12)
    # "Wrong" without a correction only speaks of the same answer.
    assert carry(Verdict.INCORRECT, "RCT", "RCT") == (Verdict.INCORRECT, None)
    assert carry(Verdict.INCORRECT, "RCT", "Cohort") is None
