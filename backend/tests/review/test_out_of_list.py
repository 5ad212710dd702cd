"""An answer outside the category list keeps its raw value and its own status (OUT_OF_LIST)
through the API, every export and the refinement's diagnosis, instead of passing for a miss."""

import io
import json
from typing import Any

import httpx
import pandas as pd

from tests.jobs.test_jobs import wait_for
from tests.support.factories import create_project, create_variable
from tests.support.fake_llm import FakeLLM

TEXTS = ["The study ran in Spain, with 40 clinics.", "The study ran in Asia, with 12 clinics."]


async def _project(client: httpx.AsyncClient, fake: FakeLLM) -> tuple[str, dict[str, Any]]:
    project = await create_project(client)
    region = await create_variable(
        client,
        project["id"],
        name="region",
        type="CATEGORY",
        instructions="The world region where the study ran.",
        classificationRules={"categories": [{"value": "Europe"}, {"value": "Asia"}]},
    )
    rows = "\n".join(f'{i},"{text}"' for i, text in enumerate(TEXTS))
    upload = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("studies.csv", f"id,text\n{rows}\n".encode(), "text/csv")},
        data={"textColumn": "text", "idColumn": "id"},
    )
    assert upload.status_code == 201, upload.text
    fake.add_fact("region", r"ran in (?P<value>\w+)", confidence=0.9)
    return project["id"], region


async def _export(client: httpx.AsyncClient, project_id: str, fmt: str) -> io.BytesIO:
    info = await client.post(f"/projects/{project_id}/export", json={"format": fmt})
    assert info.status_code == 200, info.text
    return io.BytesIO((await client.get(info.json()["downloadUrl"])).content)


async def test_an_answer_outside_the_list_keeps_its_raw_value_and_status(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    client = runner_client
    project_id, region = await _project(client, fake_llm)
    documents = (await client.get(f"/projects/{project_id}/documents")).json()["items"]
    ids = {d["externalId"]: d["id"] for d in documents}
    created = await client.post(
        f"/projects/{project_id}/jobs",
        json={"jobType": "SAMPLE", "documentIds": list(ids.values())},
    )
    job = await wait_for(client, created.json()["id"], {"COMPLETE", "FAILED"})
    assert job["status"] == "COMPLETE"

    results = {r["documentId"]: r for r in (await client.get(f"/jobs/{job['id']}/results")).json()}
    spain, asia = results[ids["0"]], results[ids["1"]]
    assert spain["value"] is None and spain["status"] == "OUT_OF_LIST"
    assert spain["rawAnswer"] == "Spain"
    assert asia["value"] == "Asia" and asia["status"] == "OK" and asia["rawAnswer"] is None

    wide = pd.read_csv(await _export(client, project_id, "CSV_WIDE"), dtype=str)
    wide = wide.set_index("document_id")
    assert wide.loc[ids["0"], "region_status"] == "OUT_OF_LIST"
    assert wide.loc[ids["0"], "region_raw"] == "Spain" and pd.isna(wide.loc[ids["0"], "region"])
    assert pd.isna(wide.loc[ids["1"], "region_raw"])
    long = pd.read_csv(await _export(client, project_id, "CSV_LONG"), dtype=str)
    assert long.set_index("document_id").loc[ids["0"], "raw_answer"] == "Spain"
    stata = pd.read_stata(
        await _export(client, project_id, "STATA"),
        convert_missing=True,
        convert_categoricals=False,
    )
    cell = stata.set_index("document_id").loc[ids["0"], "region"]
    assert str(cell) == ".f"  # Stata's extended missing value for OUT_OF_LIST
    codebook = json.loads((await _export(client, project_id, "JSON")).read())["codebook"]
    assert "OUT_OF_LIST" in codebook["statuses"] and ".f OUT_OF_LIST" in codebook["missingValues"]

    # Corrected to a category, it is diagnosed as a category problem, not a miss.
    feedback = await client.post(
        f"/extractions/{spain['id']}/feedback",
        json={"verdict": "INCORRECT", "correctedValue": "Europe"},
    )
    assert feedback.status_code == 201, feedback.text
    analysis = (
        await client.get(
            f"/variables/{region['id']}/feedback-analysis", params={"jobId": job["id"]}
        )
    ).json()
    assert [e["kind"] for e in analysis["errors"]] == ["OUT_OF_LIST"]
    assert analysis["confusion"] == [{"modelValue": "Spain", "correctValue": "Europe", "count": 1}]
