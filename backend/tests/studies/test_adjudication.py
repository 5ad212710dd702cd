"""Adjudication: the disagreements side by side, gold values by hand or by majority, and the
model measured against the gold."""

import csv
import io

import httpx

from coderai.core.database import Database
from tests.studies.conftest import make_team, open_study
from tests.support.factories import category_payload

CODERS = ["ann", "bob", "cat"]
# Per unit, each coder's design (None: not coded).
CODED = [
    ["RCT", "RCT", "RCT"],  # agreed
    ["RCT", "RCT", "Cohort"],  # a majority
    ["RCT", "Cohort", "Case-control"],  # no majority
    ["Cohort", None, None],  # one coder only: nothing to disagree about
]


async def test_disagreements_and_gold(client: httpx.AsyncClient, db: Database) -> None:
    team = await make_team(
        client,
        db,
        [category_payload()],
        lambda doc, name: {"value": "RCT", "quote": "randomised"},
        documents=4,
        members={name: "CODER" for name in CODERS},
    )
    study = await open_study(client, team, CODERS, unitCount=4)
    design = team.variables["design"]
    for unit, row in enumerate(CODED):
        for coder, value in zip(CODERS, row, strict=True):
            if value is not None:
                saved = await client.put(
                    f"/studies/{study['id']}/units/{unit}/codings",
                    json={"codings": [{"variableId": design, "value": value, "quote": coder}]},
                    headers=team.as_(coder),
                )
                assert saved.status_code == 200, saved.text

    listed = await client.get(f"/studies/{study['id']}/disagreements")
    assert listed.status_code == 200, listed.text
    found = listed.json()
    assert [d["unitIndex"] for d in found] == [1, 2]
    assert [(c["coderEmail"], c["value"], c["quote"]) for c in found[0]["codings"]] == [
        ("ann@example.org", "RCT", "ann"),
        ("bob@example.org", "RCT", "bob"),
        ("cat@example.org", "Cohort", "cat"),
    ]
    assert not found[0]["hasGold"]

    url = f"/studies/{study['id']}/gold"
    neither = await client.put(url, json={})
    assert neither.status_code == 422
    majority = await client.put(url, json={"acceptMajority": True})
    assert majority.status_code == 200, majority.text
    assert [(g["unitIndex"], g["value"]) for g in majority.json()["gold"]] == [
        (0, "RCT"),
        (1, "RCT"),
    ]

    wrong = await client.put(
        url, json={"items": [{"unitIndex": 2, "variableId": design, "value": "Survey"}]}
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "items[0].value"
    by_hand = await client.put(
        url, json={"items": [{"unitIndex": 2, "variableId": design, "value": "cohort"}]}
    )
    assert by_hand.status_code == 200, by_hand.text
    assert [(g["unitIndex"], g["value"]) for g in by_hand.json()["gold"]] == [
        (0, "RCT"),
        (1, "RCT"),
        (2, "Cohort"),
    ]
    # Accepting the majority again leaves a decision by hand alone.
    again = await client.put(url, json={"acceptMajority": True})
    assert again.json()["changed"] == 0
    after = (await client.get(f"/studies/{study['id']}/disagreements")).json()
    assert [(d["unitIndex"], d["hasGold"], d["gold"]) for d in after] == [
        (1, True, "RCT"),
        (2, True, "Cohort"),
    ]

    report = (await client.get(f"/jobs/{team.job_id}/reliability", params={"draws": 0})).json()
    (variable,) = report["studies"][0]["variables"]
    assert variable["goldUnits"] == 3
    # The model said RCT on every unit; the gold is RCT, RCT, Cohort.
    against_gold = variable["modelAgainstGold"]
    assert (against_gold["pairableUnits"], against_gold["percentAgreement"]) == (3, 2 / 3)

    # The export carries the gold, a gold "no value" blank.
    empty = await client.put(
        url, json={"items": [{"unitIndex": 3, "variableId": design, "value": None}]}
    )
    assert empty.status_code == 200, empty.text
    exported = await client.post(
        f"/projects/{team.project_id}/export", json={"format": "CSV_LONG", "jobId": team.job_id}
    )
    assert exported.status_code == 200, exported.text
    download = await client.get(exported.json()["downloadUrl"])
    rows = {r["document_id"]: r for r in csv.DictReader(io.StringIO(download.text))}
    units = (await client.get(f"/studies/{study['id']}/queue", headers=team.as_("ann"))).json()
    cells = [rows[u["documentId"]] for u in units["units"]]
    # The model said RCT everywhere: *_corrected marks the gold values that changed it.
    assert [(c["value"], c["status"], c["corrected"]) for c in cells] == [
        ("RCT", "OK", "false"),
        ("RCT", "OK", "false"),
        ("Cohort", "OK", "true"),
        ("", "NOT_FOUND", "true"),
    ]
    codebook = (await client.get(exported.json()["codebookUrl"])).json()
    assert codebook["export"]["goldApplied"] == 4
    (entry,) = codebook["reliability"]["variables"]
    # Alpha keeps a missing value missing: the gold "no value" is no unit for the model to match.
    assert (entry["variable"], entry["level"], entry["goldUnits"]) == ("design", "NOMINAL", 3)
