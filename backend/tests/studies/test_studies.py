"""Opening a study, the coder's queue and unit, and saving codings: who may, what they see,
what is refused."""

import httpx
from sqlalchemy import func, select

from coderai.core.database import Database
from coderai.models import StudyCoding
from tests.studies.conftest import make_team, open_study
from tests.support.factories import category_payload, variable_payload

VARIABLES = [variable_payload(), category_payload(order=2)]


def _answer(doc: int, name: str) -> dict[str, object]:
    if name == "participants":
        return {"value": 10 * (doc + 1), "quote": f"{10 * (doc + 1)} pupils"}
    return {"value": "RCT", "quote": "a trial"}


async def test_a_study_samples_units_reproducibly_and_reports_progress(
    client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(client, db, VARIABLES, _answer)
    first = await open_study(client, team, ["ann", "bob"], unitCount=5, seed=7)
    again = await open_study(client, team, ["ann", "bob"], unitCount=5, seed=7)
    other = await open_study(client, team, ["ann", "bob"], unitCount=5, seed=8)
    assert first["unitCount"] == 5 and first["seed"] == 7
    assert [c["progress"] for c in first["coders"]] == ["0 of 5 done", "0 of 5 done"]
    assert first["variableIds"] == list(team.variables.values())

    async def documents(study: dict[str, object]) -> list[str]:
        queue = await client.get(f"/studies/{study['id']}/queue", headers=team.as_("ann"))
        assert queue.status_code == 200, queue.text
        return [unit["documentId"] for unit in queue.json()["units"]]

    assert await documents(first) == await documents(again)
    assert await documents(first) != await documents(other)
    listed = await client.get(f"/jobs/{team.job_id}/assignments")
    assert [s["id"] for s in listed.json()] == [first["id"], again["id"], other["id"]]

    unit = await client.put(
        f"/studies/{first['id']}/units/0/codings",
        json={
            "codings": [
                {"variableId": team.variables["participants"], "value": "10", "quote": "10"},
                {"variableId": team.variables["design"], "value": "RCT"},
            ]
        },
        headers=team.as_("ann"),
    )
    assert unit.status_code == 200, unit.text
    study = (await client.get(f"/studies/{first['id']}")).json()
    assert [c["progress"] for c in study["coders"]] == ["1 of 5 done", "0 of 5 done"]


async def test_a_study_needs_two_coders_who_may_code(
    client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(
        client, db, VARIABLES, _answer, members={"ann": "CODER", "bob": "CODER", "vic": "VIEWER"}
    )
    url = f"/jobs/{team.job_id}/assignments"
    alone = await client.post(url, json={"mode": "BLIND", "coderEmails": ["ann@example.org"]})
    assert alone.status_code == 422
    twice = await client.post(
        url,
        json={
            "mode": "BLIND",
            "coderEmails": ["ann@example.org"],
            "coderIds": [str(team.user_ids["ann"])],
        },
    )
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["field"] == "coderIds"
    viewer = await client.post(
        url, json={"mode": "BLIND", "coderEmails": ["ann@example.org", "vic@example.org"]}
    )
    assert viewer.status_code == 422
    assert viewer.json()["errors"][0]["field"] == "coderEmails[1]"
    too_many = await client.post(
        url,
        json={
            "mode": "BLIND",
            "coderEmails": ["ann@example.org", "bob@example.org"],
            "unitCount": 21,
        },
    )
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "unitCount"
    by_coder = await client.post(
        url,
        json={"mode": "BLIND", "coderEmails": ["ann@example.org", "bob@example.org"]},
        headers=team.as_("ann"),
    )
    assert by_coder.status_code == 403


async def test_only_the_study_coders_reach_its_units(
    client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(
        client, db, VARIABLES, _answer, members={"ann": "CODER", "bob": "CODER", "eve": "EDITOR"}
    )
    study = await open_study(client, team, ["ann", "bob"], unitCount=3, seed=1)
    for path in ("queue", "units/0"):
        assert (
            await client.get(f"/studies/{study['id']}/{path}", headers=team.as_("eve"))
        ).status_code == 404
        assert (
            await client.get(f"/studies/{study['id']}/{path}", headers=team.as_("bob"))
        ).status_code == 200
    saved = await client.put(
        f"/studies/{study['id']}/units/0/codings",
        json={"codings": [{"variableId": team.variables["design"], "value": "RCT"}]},
        headers=team.as_("eve"),
    )
    assert saved.status_code == 404
    missing = await client.get(f"/studies/{study['id']}/units/3", headers=team.as_("ann"))
    assert missing.status_code == 404


async def test_codings_are_typed_and_coding_again_replaces(
    client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(client, db, VARIABLES, _answer)
    study = await open_study(client, team, ["ann", "bob"], unitCount=2, seed=3)
    url = f"/studies/{study['id']}/units/1/codings"
    participants, design = team.variables["participants"], team.variables["design"]
    wrong = await client.put(
        url,
        json={
            "codings": [
                {"variableId": participants, "value": 12},
                {"variableId": design, "value": "Survey"},
            ]
        },
        headers=team.as_("ann"),
    )
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["errors"][0]["field"] == "codings[1].value"
    not_a_number = await client.put(
        url,
        json={"codings": [{"variableId": participants, "value": "many"}]},
        headers=team.as_("ann"),
    )
    assert not_a_number.status_code == 422
    assert not_a_number.json()["errors"][0]["field"] == "codings[0].value"
    for value in ("12", "13"):
        saved = await client.put(
            url,
            json={"codings": [{"variableId": participants, "value": value, "quote": "pupils"}]},
            headers=team.as_("ann"),
        )
        assert saved.status_code == 200, saved.text
    unit = saved.json()
    assert [(c["value"], c["quote"]) for c in unit["codings"]] == [(13, "pupils")]
    async with db.transaction() as session:
        stored = await session.scalar(select(func.count()).select_from(StudyCoding))
    assert stored == 1
    # Bob's unit shows none of Ann's values, and a blind study none of the model's.
    bob = (await client.get(f"/studies/{study['id']}/units/1", headers=team.as_("bob"))).json()
    assert bob["codings"] == [] and bob["modelValues"] == []
    assert {q["name"] for q in bob["questions"]} == {"participants", "design"}
    assert "RCT" in next(q for q in bob["questions"] if q["name"] == "design")["categories"]
    assert bob["text"].startswith("Report")


async def test_a_verify_study_shows_the_model_values(
    client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(client, db, VARIABLES, _answer)
    study = await open_study(
        client, team, ["ann", "bob"], mode="VERIFY", documentIds=[str(team.job.document_ids[4])]
    )
    assert study["unitCount"] == 1
    unit = (await client.get(f"/studies/{study['id']}/units/0", headers=team.as_("ann"))).json()
    assert {(v["value"], v["quote"]) for v in unit["modelValues"]} == {
        (50, "50 pupils"),
        ("RCT", "a trial"),
    }
