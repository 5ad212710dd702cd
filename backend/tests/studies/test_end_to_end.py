"""End to end with the fake LLM: a job run by the real runner and engine, two coders coding 20
of its units blind (one disagreeing on three), adjudication to gold, and what the gold then
drives: alpha and its interval, model-vs-gold accuracy and calibration, and the export."""

import csv
import io
import uuid
from typing import Any

import httpx
import numpy as np
import pandas as pd

from coderai.core.database import Database
from tests.prompts.test_evaluation import wait_for
from tests.support.factories import category_payload, create_project, create_variable
from tests.support.fake_llm import FakeLLM
from tests.support.identity import bearer, user_with_token
from tests.support.seed import seed_documents

SEED = 11
# The true design of documents 0-21. The study codes documents 0-19; 20 and 21 are only
# reviewed the usual way, one verdict each.
TRUTH = ["RCT"] * 10 + ["Cohort"] * 7 + ["Case-control"] * 3 + ["RCT", "Cohort"]
# What each document says, and so what the model answers: documents 18 and 19 read like a
# cohort study, and the model says Cohort where the truth is Case-control.
WRITTEN = [*TRUTH[:18], "Cohort", "Cohort", *TRUTH[20:]]
BOB_DIFFERS = {0, 1, 2}  # Bob says Cohort where Ann (and the truth) say RCT


def hand_alpha(pairs: list[tuple[str, str]]) -> float:
    """Nominal alpha of two coders who coded every unit (Krippendorff 2011, section A): each
    unit adds one coincidence (a, b) and one (b, a); n values in all, n_c of category c.
    alpha = 1 - (n - 1) * (disagreeing coincidences) / (n^2 - sum_c n_c^2)."""
    n = 2 * len(pairs)
    disagreeing = 2 * sum(a != b for a, b in pairs)
    counts: dict[str, int] = {}
    for a, b in pairs:
        counts[a] = counts.get(a, 0) + 1
        counts[b] = counts.get(b, 0) + 1
    return 1 - (n - 1) * disagreeing / (n * n - sum(c * c for c in counts.values()))


async def _member(client: httpx.AsyncClient, db: Database, project: str, name: str) -> str:
    _, token = await user_with_token(db, f"{name}@example.org")
    added = await client.post(
        f"/projects/{project}/members", json={"email": f"{name}@example.org", "role": "EDITOR"}
    )
    assert added.status_code == 201, added.text
    return token


async def test_blind_double_coding_to_gold_and_into_the_export(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, db: Database
) -> None:
    client = runner_client
    project = (await create_project(client, name="Designs"))["id"]
    design = (await create_variable(client, project, **category_payload()))["id"]
    texts = [f"Report {i}. Design: {written}." for i, written in enumerate(WRITTEN)]
    documents = await seed_documents(db, uuid.UUID(project), texts)
    fake_llm.add_fact("design", r"Design: (?P<value>[A-Za-z-]+)\.", confidence=0.9)
    created = await client.post(
        f"/projects/{project}/jobs",
        json={"jobType": "SAMPLE", "documentIds": [str(d) for d in documents]},
    )
    assert created.status_code == 201, created.text
    job = await wait_for(client, created.json()["id"])
    assert job["status"] == "COMPLETE", job
    results = (await client.get(f"/jobs/{job['id']}/results")).json()
    model = {uuid.UUID(r["documentId"]): r["typedValue"] for r in results}
    assert [model[d] for d in documents] == WRITTEN
    extraction = {uuid.UUID(r["documentId"]): r["id"] for r in results}

    # The usual review: a verdict on documents 20 and 21 (right), and a mistaken CORRECT on
    # document 18, which the gold value will overrule.
    for index in (18, 20, 21):
        given = await client.post(
            f"/extractions/{extraction[documents[index]]}/feedback", json={"isCorrect": True}
        )
        assert given.status_code == 201, given.text

    ann = bearer(await _member(client, db, project, "ann"))
    bob = bearer(await _member(client, db, project, "bob"))
    opened = await client.post(
        f"/jobs/{job['id']}/assignments",
        json={
            "mode": "BLIND",
            "coderEmails": ["ann@example.org", "bob@example.org"],
            "documentIds": [str(d) for d in documents[:20]],
            "seed": SEED,
        },
    )
    assert opened.status_code == 201, opened.text
    study = opened.json()["id"]
    queue = (await client.get(f"/studies/{study}/queue", headers=bob)).json()
    assert (queue["done"], queue["total"]) == (0, 20)
    index_of = {uuid.UUID(u["documentId"]): u["unitIndex"] for u in queue["units"]}

    # Blind: Bob's unit shows no model value, and the job's results hide the study's units.
    unit = (await client.get(f"/studies/{study}/units/18", headers=bob)).json()
    assert unit["modelValues"] == []
    assert (await client.get(f"/jobs/{job['id']}/results", headers=bob)).headers[
        "X-Total-Count"
    ] == "2"
    # Nor does an export or the coders' table reach a coder of the open blind study.
    refused = await client.post(
        f"/projects/{project}/export", json={"format": "EXCEL", "jobId": job["id"]}, headers=ann
    )
    assert refused.status_code == 403, refused.text
    assert (await client.get(f"/studies/{study}/codings.csv", headers=ann)).status_code == 403

    coded: dict[str, list[str]] = {"ann": [""] * 20, "bob": [""] * 20}
    for document in documents[:20]:
        i = documents.index(document)
        for name, headers in (("ann", ann), ("bob", bob)):
            value = "Cohort" if name == "bob" and i in BOB_DIFFERS else TRUTH[i]
            coded[name][index_of[document]] = value
            saved = await client.put(
                f"/studies/{study}/units/{index_of[document]}/codings",
                json={"codings": [{"variableId": design, "value": value, "quote": texts[i]}]},
                headers=headers,
            )
            assert saved.status_code == 200, saved.text
    progress = (await client.get(f"/studies/{study}")).json()["coders"]
    assert [c["progress"] for c in progress] == ["20 of 20 done", "20 of 20 done"]

    # Adjudication: the three disagreements side by side; the majority (both coders agree)
    # settles the other 17 units, the editor settles the three as Ann coded them.
    disagreements = (await client.get(f"/studies/{study}/disagreements")).json()
    assert sorted(d["unitIndex"] for d in disagreements) == sorted(
        index_of[documents[i]] for i in BOB_DIFFERS
    )
    assert [(c["value"], c["quote"]) for c in disagreements[0]["codings"]] == [
        ("RCT", texts[documents.index(uuid.UUID(disagreements[0]["documentId"]))]),
        ("Cohort", texts[documents.index(uuid.UUID(disagreements[0]["documentId"]))]),
    ]
    majority = await client.put(f"/studies/{study}/gold", json={"acceptMajority": True})
    assert majority.json()["changed"] == 17
    by_hand = await client.put(
        f"/studies/{study}/gold",
        json={
            "items": [
                {"unitIndex": d["unitIndex"], "variableId": design, "value": "RCT"}
                for d in disagreements
            ]
        },
    )
    assert by_hand.status_code == 200, by_hand.text
    assert len(by_hand.json()["gold"]) == 20

    report = (await client.get(f"/jobs/{job['id']}/reliability")).json()
    (variable,) = report["studies"][0]["variables"]
    humans = variable["humans"]
    # By hand: Ann and Bob agree on 17 of 20 units and differ RCT/Cohort on 3. Values: RCT
    # 10 + 7 = 17, Cohort 7 + 10 = 17, Case-control 6; n = 40.
    # alpha = 1 - 39 * 6 / (1600 - (17^2 + 17^2 + 6^2)) = 1 - 234/986 = 0.7627.
    pairs = list(zip(coded["ann"], coded["bob"], strict=True))
    assert abs(hand_alpha(pairs) - (1 - 234 / 986)) < 1e-12
    assert abs(humans["alpha"] - (1 - 234 / 986)) < 1e-9
    assert (humans["level"], humans["reading"]) == ("NOMINAL", "tentative conclusions only")
    assert (humans["units"], humans["pairableValues"]) == (20, 40)
    # The interval: 200 resamples of the 20 units with replacement, drawn with the study's
    # seed (Hayes & Krippendorff 2007), alpha of each by the same hand formula, and the
    # 2.5th and 97.5th percentiles.
    picks = np.random.default_rng(SEED).integers(0, 20, size=(humans["draws"], 20))
    resampled = [hand_alpha([pairs[i] for i in pick]) for pick in picks]
    low, high = np.quantile(resampled, [0.025, 0.975])
    assert abs(humans["intervalLow"] - low) < 1e-9
    assert abs(humans["intervalHigh"] - high) < 1e-9
    assert low < humans["alpha"] < high
    # The model against the gold: right on 18 of 20 units, Cohort for Case-control on two.
    # Values: RCT 20, Cohort 9 + 7 = 16, Case-control 1 + 3 = 4; two disagreeing units.
    # alpha = 1 - 39 * 4 / (1600 - (400 + 256 + 16)) = 1 - 156/928 = 0.8319.
    against_gold = variable["modelAgainstGold"]
    assert variable["goldUnits"] == 20
    assert against_gold["percentAgreement"] == 18 / 20
    assert abs(against_gold["alpha"] - (1 - 156 / 928)) < 1e-9

    # Gold drives accuracy and calibration: the 20 gold units (18 right; document 18's
    # mistaken CORRECT is overruled) and the two verdicts of documents 20 and 21 (right).
    analysis = (await client.get(f"/variables/{design}/feedback-analysis")).json()
    assert (analysis["reviewed"], analysis["correct"], analysis["againstGold"]) == (22, 20, 20)
    assert analysis["accuracy"] == 20 / 22
    (top,) = [b for b in analysis["calibration"]["bins"] if b["count"]]
    assert (top["lower"], top["count"], top["accuracy"]) == (0.9, 22, 20 / 22)
    wrong = {e["documentId"] for k in analysis["errors"] for e in k["examples"]}
    assert wrong == {str(documents[18]), str(documents[19])}
    (statistics,) = (await client.get(f"/jobs/{job['id']}/statistics")).json()["variables"]
    assert (statistics["reviewed"], statistics["accuracy"]) == (22, round(20 / 22, 4))

    # After adjudication and closing, the export carries the gold and the Reliability sheet.
    closed = await client.post(f"/studies/{study}/close")
    assert closed.status_code == 200, closed.text
    exported = await client.post(
        f"/projects/{project}/export", json={"format": "EXCEL", "jobId": job["id"]}, headers=ann
    )
    assert exported.status_code == 200, exported.text
    download = await client.get(exported.json()["downloadUrl"])
    sheets = pd.read_excel(io.BytesIO(download.content), sheet_name=None)
    assert set(sheets) >= {"Data", "Codebook", "Quality", "Reliability"}
    data = sheets["Data"].set_index("document_id")
    for i, document in enumerate(documents):
        assert data.loc[str(document), "design"] == TRUTH[i]
    # *_corrected means changed by a reviewer: the gold changed the model's answer on 18, 19.
    assert data["design_corrected"].tolist() == [i in (18, 19) for i in range(22)]
    quality = sheets["Quality"].iloc[0]
    assert (quality["Reviewed"], quality["Agreement with reviewers %"]) == (22, 90.9)
    (row,) = sheets["Reliability"].to_dict("records")
    assert (row["Variable"], row["Level"], row["Units"], row["Coders"]) == (
        "design",
        "NOMINAL",
        20,
        2,
    )
    assert abs(row["Alpha"] - (1 - 234 / 986)) < 1e-9
    assert abs(row["95% interval low"] - humans["intervalLow"]) < 1e-12
    assert abs(row["95% interval high"] - humans["intervalHigh"]) < 1e-12
    assert row["Gold units"] == 20
    assert row["Model vs gold agreement %"] == 90.0

    # The long table of every coder's value, for R or Stata.
    table = await client.get(f"/studies/{study}/codings.csv")
    assert table.status_code == 200, table.text
    assert table.headers["content-type"].startswith("text/csv")
    rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(table.text)))
    assert len(rows) == 40
    assert list(rows[0]) == [
        "unit",
        "document_id",
        "document",
        "entity_index",
        "entity_key",
        "variable",
        "coder",
        "value",
        "quote",
        "coded_at",
    ]
    first_bob = next(
        r for r in rows if r["coder"] == "bob@example.org" and r["document_id"] == str(documents[0])
    )
    assert (first_bob["variable"], first_bob["value"], first_bob["quote"]) == (
        "design",
        "Cohort",
        texts[0],
    )
