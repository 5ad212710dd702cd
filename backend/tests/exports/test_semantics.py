"""What the dataset says: thresholds, missing statuses, corrections, entities, formulas,
quality figures and which job is exported."""

import csv
import io
import json
import uuid
from collections.abc import Callable

import httpx
import pandas as pd
import pytest
from sqlalchemy import delete, update

from coderai.core.database import Database
from coderai.models import Extraction, JobItem, ProcessingJob
from coderai.models.enums import JobItemStatus, JobStatus, JobType, Verdict
from tests.exports.conftest import FAILED_DOC, Trials, as_file, create_trial_variables, export
from tests.support.factories import create_project, create_variable
from tests.support.seed import Answer, seed_documents, seed_feedback, seed_job


async def wide_csv(client: httpx.AsyncClient, project_id: str, **body: object) -> pd.DataFrame:
    _, download = await export(client, project_id, format="CSV_WIDE", **body)
    return pd.read_csv(as_file(download), keep_default_na=False, dtype=str)


async def long_csv(client: httpx.AsyncClient, project_id: str, **body: object) -> pd.DataFrame:
    _, download = await export(client, project_id, format="CSV_LONG", **body)
    return pd.read_csv(as_file(download), keep_default_na=False, dtype=str)


async def test_min_confidence_blanks_values_below_threshold(
    client: httpx.AsyncClient, trials: Trials
) -> None:
    everything = await wide_csv(client, trials.project_id)
    assert everything.loc[1, "design"] == "Cohort"
    filtered = await wide_csv(client, trials.project_id, minConfidence=0.5)
    # doc 1 design has confidence 0.4, doc 3 start_date 0.3: blanked, marked, confidence kept.
    assert filtered.loc[1, "design"] == "" and filtered.loc[1, "design_status"] == "BELOW_THRESHOLD"
    assert filtered.loc[1, "design_confidence"] == "0.4"
    assert filtered.loc[3, "start_date"] == ""
    assert filtered.loc[3, "start_date_status"] == "BELOW_THRESHOLD"
    assert filtered.loc[0, "design"] == "RCT" and filtered.loc[0, "design_status"] == "OK"
    long = await long_csv(client, trials.project_id, minConfidence=0.5)
    below = long[long["status"] == "BELOW_THRESHOLD"]
    assert sorted(zip(below["document_id"], below["variable"], strict=True)) == sorted(
        [(trials.doc(1), "design"), (trials.doc(3), "start_date")]
    )
    assert (below["value"] == "").all()


async def test_missing_statuses_are_distinct(
    client: httpx.AsyncClient, db: Database, trials: Trials
) -> None:
    wide = await wide_csv(client, trials.project_id, minConfidence=0.5)
    assert wide.loc[1, "start_date_status"] == "NOT_FOUND"  # answered "absent"
    assert wide.loc[3, "blinded_status"] == "NOT_FOUND"  # no row stored for a done document
    assert wide.loc[1, "design_status"] == "BELOW_THRESHOLD"
    failed = wide.loc[FAILED_DOC]
    assert failed["document_id"] == trials.doc(FAILED_DOC)  # the failed document keeps its row
    assert {failed[f"{v}_status"] for v in ("participants", "design", "outcomes")} == {
        "DOCUMENT_FAILED"
    }
    assert failed["participants"] == "" and failed["participants_confidence"] == ""


async def test_withheld_and_unprocessed_values_have_their_own_status(
    client: httpx.AsyncClient, db: Database
) -> None:
    project = await create_project(client)
    await create_variable(client, project["id"])
    project_id = uuid.UUID(project["id"])
    documents = await seed_documents(db, project_id, ["a", "b"])

    def answer(doc: int, variable: str) -> Answer:
        # The engine blanks a low-confidence answer under ifUncertain LEAVE_EMPTY.
        return {"value": None, "confidence": 0.2, "flags": ["BELOW_THRESHOLD", "VALUE_WITHHELD"]}

    job = await seed_job(db, project_id, documents, answer)
    # The job was cancelled before it reached the second document.
    async with db.transaction() as session:
        await session.execute(
            update(JobItem)
            .where(JobItem.job_id == job.job_id, JobItem.document_id == documents[1])
            .values(status=JobItemStatus.CANCELLED)
        )
        await session.execute(delete(Extraction).where(Extraction.document_id == documents[1]))
        await session.execute(
            update(ProcessingJob)
            .where(ProcessingJob.id == job.job_id)
            .values(status=JobStatus.CANCELLED)
        )
    # A cancelled job is not exported by default, but can be named.
    response = await client.post(f"/projects/{project['id']}/export", json={"format": "CSV"})
    assert response.status_code == 409
    wide = await wide_csv(client, project["id"], jobId=str(job.job_id))
    assert wide["participants_status"].tolist() == ["BELOW_THRESHOLD", "NOT_PROCESSED"]


async def test_corrections_are_applied(
    client: httpx.AsyncClient, db: Database, trials: Trials
) -> None:
    ids = trials.job.extraction_ids
    # A correction given as text is read as the variable's type.
    await seed_feedback(db, ids[(3, "participants", 0)], Verdict.INCORRECT, corrected_value="85")
    await seed_feedback(db, ids[(1, "design", 0)], Verdict.CORRECT)
    await seed_feedback(db, ids[(1, "summary", 0)], Verdict.INCORRECT, corrected_value="Old")
    await seed_feedback(db, ids[(1, "summary", 0)], Verdict.INCORRECT, is_current=False)
    await seed_feedback(
        db,
        ids[(0, "summary", 0)],
        Verdict.INCORRECT,
        corrected_value="Superseded",
        is_current=False,
    )
    await seed_feedback(
        db, ids[(1, "start_date", 0)], Verdict.INCORRECT, corrected_value="2020-01-31"
    )

    wide = await wide_csv(client, trials.project_id, minConfidence=0.5)
    assert float(wide.loc[3, "participants"]) == 85
    assert wide.loc[3, "participants_corrected"] == "true"
    assert wide.loc[0, "participants_corrected"] == "false"
    # Confirmed by a reviewer, so the model's low confidence no longer blanks it.
    assert wide.loc[1, "design"] == "Cohort" and wide.loc[1, "design_status"] == "OK"
    # ...but it was not changed: *_corrected means "changed by a reviewer", not "reviewed".
    assert wide.loc[1, "design_corrected"] == "false"
    assert wide.loc[1, "summary"] == "Old"
    assert wide.loc[0, "summary"].startswith("'=HYPERLINK")  # old feedback is ignored
    assert wide.loc[1, "start_date"] == "2020-01-31" and wide.loc[1, "start_date_status"] == "OK"

    long = await long_csv(client, trials.project_id, minConfidence=0.5)
    corrected = long[long["corrected"] == "true"]
    assert sorted(zip(corrected["document_id"], corrected["variable"], strict=True)) == sorted(
        [
            (trials.doc(3), "participants"),
            (trials.doc(1), "summary"),
            (trials.doc(1), "start_date"),
        ]
    )
    assert corrected.set_index("variable").loc["participants", "value_number"] == "85"

    _, download = await export(client, trials.project_id, format="JSON")
    quality = {
        v["name"]: v["quality"] for v in json.loads(download.content)["codebook"]["variables"]
    }
    assert quality["design"]["reviewed"] == 1 and quality["design"]["agreementPct"] == 100.0
    assert quality["participants"]["agreementPct"] == 0.0
    assert quality["blinded"]["reviewed"] == 0 and quality["blinded"]["agreementPct"] is None


async def test_quality_figures(client: httpx.AsyncClient, trials: Trials) -> None:
    _, download = await export(client, trials.project_id, format="JSON")
    quality = {
        v["name"]: v["quality"] for v in json.loads(download.content)["codebook"]["variables"]
    }
    start = quality["start_date"]
    assert start["rows"] == 4 and start["filledPct"] == 50.0
    assert start["statusCounts"] == {
        "OK": 2,
        "NOT_FOUND": 1,
        "BELOW_THRESHOLD": 0,
        "DOCUMENT_FAILED": 1,
        "NOT_PROCESSED": 0,
        "CALL_FAILED": 0,
        "OUT_OF_LIST": 0,
    }
    assert start["meanConfidence"] == 0.55  # mean of 0.8 and 0.3: answers with a value
    summary = quality["summary"]
    assert summary["flaggedPct"] == 33.3  # one of three answers needs review
    assert summary["ungroundedPct"] == 66.7  # two of three values have no quote


async def test_entity_mode_has_one_row_per_entity(client: httpx.AsyncClient, db: Database) -> None:
    project = await create_project(
        client,
        unitOfObservation={
            "mode": "ENTITY",
            "whatEachRowRepresents": "one trial arm",
            "entityIdentificationPattern": "Each arm is introduced as 'Arm <letter>'.",
        },
    )
    await create_variable(client, project["id"])
    await create_variable(
        client,
        project["id"],
        name="drug",
        type="TEXT",
        instructions="The drug given in this arm of the trial.",
        order=2,
    )
    project_id = uuid.UUID(project["id"])
    documents = await seed_documents(db, project_id, ["arms A and B", "arm A", "nothing"])
    arms = {
        0: {
            "participants": [{"value": 40, "entity": "Arm A"}, {"value": 42, "entity": "Arm B"}],
            "drug": [{"value": "aspirin", "entity": "Arm A"}, {"value": "placebo"}],
        },
        1: {"participants": [{"value": 10, "entity": "Arm A"}], "drug": None},
    }
    job = await seed_job(db, project_id, documents, lambda doc, name: arms.get(doc, {}).get(name))
    wide = await wide_csv(client, project["id"])
    assert list(wide.columns[:4]) == ["document_id", "document_name", "entity_index", "entity_key"]
    docs = [str(d) for d in job.document_ids]
    assert wide["document_id"].tolist() == [docs[0], docs[0], docs[1], docs[2]]
    assert wide["entity_index"].tolist() == ["0", "1", "0", ""]
    assert wide["entity_key"].tolist() == ["Arm A", "Arm B", "Arm A", ""]
    assert wide["participants"].tolist() == ["40", "42", "10", ""]
    assert wide["drug"].tolist() == ["aspirin", "placebo", "", ""]
    assert wide["drug_status"].tolist() == ["OK", "OK", "NOT_FOUND", "NOT_FOUND"]

    long = await long_csv(client, project["id"])
    assert len(long) == 8  # 4 rows x 2 variables
    assert list(long.columns[:4]) == ["document_id", "document_name", "entity_index", "entity_key"]
    arm_b = long[(long["entity_key"] == "Arm B") & (long["variable"] == "participants")]
    assert arm_b["value"].tolist() == ["42"]


async def test_formula_cells_neutralised_numbers_untouched(
    client: httpx.AsyncClient, trials: Trials
) -> None:
    _, download = await export(client, trials.project_id, format="CSV_WIDE")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert rows[0]["summary"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[3]["summary"] == "'@SUM(A1)"
    assert rows[0]["outcomes_2"] == "'-readmission"  # text that starts with "-"
    assert rows[0]["meta_registry"] == "'+NCT1"
    assert rows[3]["meta_country"].startswith("'=cmd|")
    assert rows[1]["participants"] == "-12.5"  # a negative number is a number
    risky = ("=", "+", "-", "@", "\t", "\r")
    for row in rows:
        for column, cell in row.items():
            if column != "participants":
                assert not cell.startswith(risky), (column, cell)
    # JSON is not a spreadsheet: values stay exactly as stored.
    _, as_json = await export(client, trials.project_id, format="JSON")
    assert json.loads(as_json.content)["data"][0]["summary"].startswith("=HYPERLINK")


async def test_default_job_is_latest_complete_full_then_sample(
    client: httpx.AsyncClient, db: Database
) -> None:
    project = await create_project(client)
    await create_trial_variables(client, project["id"])
    project_id = uuid.UUID(project["id"])
    documents = await seed_documents(db, project_id, ["one", "two"])

    def value(number: int) -> Callable[[int, str], Answer | None]:
        return lambda doc, name: {"value": number} if name == "participants" else None

    sample = await seed_job(db, project_id, documents[:1], value(1), job_type=JobType.SAMPLE)
    info, _ = await export(client, project["id"], format="CSV_WIDE")
    assert info["jobId"] == str(sample.job_id) and info["rowCount"] == 1

    full = await seed_job(db, project_id, documents, value(2))
    newer_sample = await seed_job(db, project_id, documents, value(3), job_type=JobType.SAMPLE)
    info, download = await export(client, project["id"], format="CSV_WIDE")
    assert info["jobId"] == str(full.job_id)
    assert pd.read_csv(as_file(download))["participants"].tolist() == [2, 2]

    info, download = await export(
        client, project["id"], format="CSV_WIDE", jobId=str(sample.job_id)
    )
    assert info["jobId"] == str(sample.job_id)
    assert info["jobId"] != str(newer_sample.job_id)


@pytest.mark.parametrize("fmt", ["CSV", "EXCEL", "JSON", "PARQUET", "STATA"])
@pytest.mark.parametrize("layout", ["WIDE", "LONG"])
async def test_job_without_any_answer_still_exports(
    client: httpx.AsyncClient, db: Database, fmt: str, layout: str
) -> None:
    project = await create_project(client)
    await create_trial_variables(client, project["id"])
    project_id = uuid.UUID(project["id"])
    documents = await seed_documents(db, project_id, ["a", "b"])
    await seed_job(db, project_id, documents, lambda doc, name: None, failed_documents={0, 1})
    info, download = await export(client, project["id"], format=fmt, layout=layout)
    assert info["rowCount"] == (2 if layout == "WIDE" else 12)
    assert len(download.content) == info["fileSize"] > 0
