"""Reliability through the API: studies coded by several coders give Krippendorff's alpha as
published and as computed by hand, with the model counted against each coder."""

from typing import Any

import httpx

from coderai.core.database import Database
from tests.studies.conftest import Team, make_team, open_study
from tests.support.factories import category_payload, variable_payload

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section E: coders A-D,
# 12 units, values 1-5, None where a coder gave no value. Published: nominal 0.743, ordinal
# 0.815, interval 0.849 (and ratio 0.797, a level no variable type maps to).
PAPER = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
LABELS = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
LEVEL = category_payload(
    name="level",
    order=2,
    classificationRules={"categories": [{"value": label} for label in LABELS.values()]},
)
# The same labels declared ordered, from lowest to highest: an ordinal scale.
RANK = category_payload(
    name="rank",
    order=3,
    classificationRules={
        "categories": [{"value": label} for label in LABELS.values()],
        "ordered": True,
    },
)


async def _code(
    client: httpx.AsyncClient, team: Team, study: str, coder: str, unit: int, values: dict[str, Any]
) -> None:
    codings = [{"variableId": team.variables[name], "value": v} for name, v in values.items()]
    response = await client.put(
        f"/studies/{study}/units/{unit}/codings", json={"codings": codings}, headers=team.as_(coder)
    )
    assert response.status_code == 200, response.text


async def test_the_published_example_through_the_api(
    client: httpx.AsyncClient, db: Database
) -> None:
    coders = ["ann", "bob", "cat", "dan"]
    team = await make_team(
        client,
        db,
        [variable_payload(name="score"), LEVEL, RANK],
        lambda doc, name: {"value": 3 if name == "score" else "mid"},
        documents=12,
        members={name: "CODER" for name in coders},
    )
    study = await open_study(client, team, coders, unitCount=12, seed=5)
    for coder, row in zip(coders, PAPER, strict=True):
        for unit, value in enumerate(row):
            if value is not None:
                labels = {"level": LABELS[value], "rank": LABELS[value]}
                await _code(client, team, study["id"], coder, unit, {"score": value, **labels})
    response = await client.get(f"/jobs/{team.job_id}/reliability", params={"draws": 100})
    assert response.status_code == 200, response.text
    (report,) = response.json()["studies"]
    figures = {v["name"]: v["humans"] for v in report["variables"]}
    assert figures["level"]["level"] == "NOMINAL"
    assert round(figures["level"]["alpha"], 3) == 0.743
    assert figures["rank"]["level"] == "ORDINAL"
    assert round(figures["rank"]["alpha"], 3) == 0.815
    assert figures["score"]["level"] == "INTERVAL"
    assert round(figures["score"]["alpha"], 3) == 0.849
    for humans in figures.values():
        counted = (humans["coders"], humans["units"], humans["pairableUnits"])
        assert counted == (4, 12, 11)
        assert humans["pairableValues"] == 40
        assert humans["intervalLow"] < humans["alpha"] < humans["intervalHigh"]
        assert humans["draws"] > 0
    assert figures["score"]["reading"] == "reliable"
    assert figures["level"]["reading"] == "tentative conclusions only"


async def test_two_coders_twenty_units_one_disagreeing_on_three(
    client: httpx.AsyncClient, db: Database
) -> None:
    designs = ["RCT"] * 10 + ["Cohort"] * 7 + ["Case-control"] * 3
    team = await make_team(
        client,
        db,
        [category_payload()],
        lambda doc, name: {"value": designs[doc], "quote": "design"},
    )
    study = await open_study(client, team, ["ann", "bob"], unitCount=20)
    for unit, design in enumerate(designs):
        await _code(client, team, study["id"], "ann", unit, {"design": design})
        # Bob says Cohort where Ann says RCT on the first three units.
        await _code(
            client, team, study["id"], "bob", unit, {"design": "Cohort" if unit < 3 else design}
        )
    report = (await client.get(f"/jobs/{team.job_id}/reliability")).json()
    (variable,) = report["studies"][0]["variables"]
    humans = variable["humans"]
    # By hand: 40 pairable values; coincidences RCT-RCT 14, Cohort-Cohort 14, Case-control 6,
    # RCT-Cohort 3 + 3. Marginals n = 17, 17, 6. alpha = 1 - (n - 1) * (sum of disagreeing
    # coincidences) / (n^2 - sum n_c^2) = 1 - 39 * 6 / (1600 - 614) = 1 - 234/986 = 0.7627.
    assert abs(humans["alpha"] - (1 - 234 / 986)) < 1e-9
    assert humans["percentAgreement"] == 17 / 20
    # Cohen: p_o = .85, p_e = .5 * .35 + .35 * .5 + .15 * .15 = .3725.
    assert abs(humans["cohensKappa"] - (0.85 - 0.3725) / (1 - 0.3725)) < 1e-9
    assert humans["reading"] == "tentative conclusions only"
    # The model gave Ann's values: perfect against her, Bob's alpha against him.
    against = {a["coderEmail"]: a["result"]["alpha"] for a in variable["modelAgainstCoders"]}
    assert against["ann@example.org"] == 1.0
    assert abs(against["bob@example.org"] - (1 - 234 / 986)) < 1e-9
    assert variable["goldUnits"] == 0 and variable["modelAgainstGold"] is None
