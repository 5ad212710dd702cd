"""The extraction engine over real HTTP (LangChain client → fake OpenAI server), exercised
through the preview endpoint, which runs the same pipeline as a job without storing anything."""

from typing import Any

import httpx
import pytest

from tests.support.factories import create_project, create_variable
from tests.support.fake_llm import FakeLLM
from tests.support.files import pdf_bytes

FILLER = (
    "This section restates the background of the programme in general terms, without any "
    "figures, so that the reader can follow the argument of the report. "
)


async def upload(
    client: httpx.AsyncClient, project_id: str, name: str, data: bytes
) -> dict[str, Any]:
    response = await client.post(
        f"/projects/{project_id}/documents",
        files={"file": (name, data, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def preview(
    client: httpx.AsyncClient, project_id: str, document_id: str, **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/projects/{project_id}/extract-preview", json={"documentId": document_id, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {value["variableName"]: value for value in result["values"]}


async def policy_project(client: httpx.AsyncClient) -> dict[str, Any]:
    project = await create_project(client)
    await create_variable(
        client,
        project["id"],
        name="budget",
        type="NUMBER",
        instructions="Total budget of the programme in euros.",
    )
    await create_variable(
        client,
        project["id"],
        name="adopted",
        type="BOOLEAN",
        instructions="Was the policy formally adopted?",
        order=2,
    )
    await create_variable(
        client,
        project["id"],
        name="start",
        type="DATE",
        instructions="When did the programme start?",
        order=3,
    )
    return project


def plant_policy_facts(fake: FakeLLM) -> None:
    fake.add_fact("budget", r"budget of (?P<value>[€$][\d.]+ ?m)")
    fake.add_fact("adopted", r"the council (?P<value>adopted) the policy", value=True)
    fake.add_fact("start", r"started in (?P<value>March \d{4})")


async def test_document_mode_values_quotes_offsets_and_pages(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    project = await policy_project(runner_client)
    plant_policy_facts(fake_llm)
    data = pdf_bytes(
        [
            "Summary. The programme started in March 2021 in three regions.",
            "Page two discusses methods only.",
            # The PDF's built-in font has no euro sign.
            "Finance: it had a budget of $3.5m. In June the council adopted the policy.",
        ]
    )
    document = await upload(runner_client, project["id"], "policy.pdf", data)
    content = (await runner_client.get(f"/documents/{document['id']}")).json()["content"]
    result = await preview(runner_client, project["id"], document["id"])
    values = by_name(result)
    assert result["llmCalls"] == 1 and result["failures"] == []

    budget = values["budget"]
    assert budget["typedValue"] == 3_500_000
    assert budget["unit"] == "USD"
    assert budget["sourceText"] == "budget of $3.5m"
    assert content[budget["charStart"] : budget["charEnd"]] == "budget of $3.5m"
    assert budget["page"] == 3 and budget["grounding"] == "EXACT"

    assert values["adopted"]["typedValue"] is True and values["adopted"]["page"] == 3
    start = values["start"]
    assert (start["typedValue"], start["value"], start["page"]) == ("2021-03", "2021-03", 1)
    assert content[start["charStart"] : start["charEnd"]] == "started in March 2021"


@pytest.mark.runner(chunk_tokens=150, chunk_overlap_tokens=20)
async def test_long_document_facts_in_different_chunks_are_merged(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    project = await policy_project(runner_client)
    plant_policy_facts(fake_llm)
    text = (
        "The programme started in March 2019.\n\n"
        + FILLER * 12
        + "\n\nLater that year the council adopted the policy.\n\n"
        + FILLER * 12
        + "\n\nIt ran with a budget of €2m overall."
    )
    document = await upload(runner_client, project["id"], "long.txt", text.encode())
    result = await preview(runner_client, project["id"], document["id"])
    assert result["llmCalls"] >= 3  # one call per chunk
    values = by_name(result)
    assert values["start"]["typedValue"] == "2019-03"
    assert values["adopted"]["typedValue"] is True
    assert values["budget"]["typedValue"] == 2_000_000
    for value in values.values():
        assert text[value["charStart"] : value["charEnd"]] == value["sourceText"]


async def test_several_values_come_as_answers_and_follow_each_variables_rule(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    """The reply lists one answer per value found; ALL keeps every value, FIRST the first,
    FLAG_FOR_REVIEW the first and sends it to review — each with the quote it rests on."""
    project = await create_project(runner_client)
    rules = {"funders": "ALL", "lead_funder": "FIRST", "checked_funder": "FLAG_FOR_REVIEW"}
    for order, (name, rule) in enumerate(rules.items(), start=1):
        await create_variable(
            runner_client,
            project["id"],
            name=name,
            type="TEXT",
            instructions="Organisations that funded the programme.",
            uncertaintyHandling={"ifMultipleValues": rule},
            order=order,
        )
        fake_llm.add_fact(name, r"(?:funded by|funds from) the (?P<value>[A-Z][A-Za-z ]+?)[,.]")
    text = (
        "The programme was funded by the World Bank, with matching funds from the Gates "
        "Foundation. A later phase was again funded by the World Bank."
    )
    document = await upload(runner_client, project["id"], "funding.txt", text.encode())
    result = await preview(runner_client, project["id"], document["id"])
    assert result["llmCalls"] == 1 and result["failures"] == []
    sent = fake_llm.last_request
    assert sent is not None
    answer = sent["response_format"]["json_schema"]["schema"]["properties"]["answers"]["items"]
    assert answer["properties"]["variable"]["enum"] == list(rules)
    values = by_name(result)
    assert values["funders"]["typedValue"] == ["World Bank", "Gates Foundation"]
    lead = values["lead_funder"]
    assert (lead["typedValue"], lead["sourceText"]) == ("World Bank", "funded by the World Bank,")
    assert text[lead["charStart"] : lead["charEnd"]] == lead["sourceText"]
    assert lead["needsReview"] is False
    checked = values["checked_funder"]
    assert checked["typedValue"] == "World Bank"
    assert "MULTIPLE_VALUES" in checked["flags"] and checked["needsReview"] is True


async def arm_schema(client: httpx.AsyncClient, fake: FakeLLM, project_id: str) -> None:
    """Two variables per trial arm, and facts that make the fake answer one record per arm."""
    await create_variable(
        client,
        project_id,
        name="participants",
        type="NUMBER",
        instructions="Participants in this arm.",
    )
    await create_variable(
        client,
        project_id,
        name="dose",
        type="TEXT",
        instructions="The dose given in this arm.",
        order=2,
    )
    fake.set_entity_pattern(r"Arm [A-Z]:")
    fake.add_fact("entity_id", r"(?P<value>Arm [A-Z]):")
    fake.add_fact("participants", r"(?P<value>\d+) participants")
    fake.add_fact("dose", r"dose of (?P<value>\d+ mg)")


async def test_entity_mode_records_merge_by_identifier(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    project = await create_project(
        runner_client,
        unitOfObservation={
            "mode": "ENTITY",
            "whatEachRowRepresents": "one trial arm",
            "entityIdentificationPattern": "Arms are introduced as 'Arm A', 'Arm B', …",
        },
    )
    await arm_schema(runner_client, fake_llm, project["id"])
    text = (
        "Arm A: 40 participants received a dose of 10 mg.\n"
        "Arm B: 35 participants received a dose of 20 mg.\n"
        "Arm C: 40 participants received placebo.\n"
    )
    document = await upload(runner_client, project["id"], "arms.txt", text.encode())
    result = await preview(runner_client, project["id"], document["id"])
    rows: dict[str, dict[str, Any]] = {}
    for value in result["values"]:
        rows.setdefault(value["entityKey"], {})[value["variableName"]] = value
    assert list(rows) == ["Arm A", "Arm B", "Arm C"]
    assert [rows[k]["participants"]["typedValue"] for k in rows] == [40, 35, 40]
    assert [rows[k]["dose"]["typedValue"] for k in rows] == ["10 mg", "20 mg", None]
    assert [rows[k]["participants"]["entityIndex"] for k in rows] == [0, 1, 2]
    arm_b = rows["Arm B"]["participants"]
    assert text[arm_b["charStart"] : arm_b["charEnd"]] == "35 participants"
    # Arm C's quote is also Arm A's: it is located in Arm C's own passage.
    arm_c = rows["Arm C"]["participants"]
    assert arm_c["charStart"] == text.index("Arm C") + len("Arm C: ")


@pytest.mark.runner(entity_chunk_tokens=120, chunk_overlap_tokens=20)
async def test_entity_split_across_chunks_is_one_record(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    project = await create_project(
        runner_client,
        unitOfObservation={
            "mode": "ENTITY",
            "whatEachRowRepresents": "one arm",
            "entityIdentificationPattern": "Arm X",
        },
    )
    await arm_schema(runner_client, fake_llm, project["id"])
    text = (
        "Arm A: 40 participants were enrolled.\n\n"
        + FILLER * 10
        + "\n\nArm A: they took a dose of 10 mg.\n"
    )
    document = await upload(runner_client, project["id"], "split.txt", text.encode())
    result = await preview(runner_client, project["id"], document["id"])
    assert result["llmCalls"] >= 2
    keys = {v["entityKey"] for v in result["values"]}
    assert keys == {"Arm A"}
    values = by_name(result)
    assert values["participants"]["typedValue"] == 40
    assert values["dose"]["typedValue"] == "10 mg"


async def test_ungrounded_quote_is_capped_and_flagged(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    project = await policy_project(runner_client)
    plant_policy_facts(fake_llm)
    document = await upload(
        runner_client,
        project["id"],
        "p.txt",
        "The programme started in March 2020. It had a budget of €1m.".encode(),
    )
    fake_llm.inject("bad_quote")
    values = by_name(await preview(runner_client, project["id"], document["id"]))
    start = values["start"]
    assert start["grounding"] == "NONE"
    assert start["charStart"] is None
    assert start["confidence"] <= 0.3
    assert "UNGROUNDED" in start["flags"] and start["needsReview"] is True


@pytest.mark.parametrize(
    ("fault", "calls"),
    [("malformed", 2), ("truncated", 2), ("misshapen", 2), ("500", 1), ("429", 1)],
)
async def test_faults_are_recovered(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM, fault: str, calls: int
) -> None:
    project = await policy_project(runner_client)
    plant_policy_facts(fake_llm)
    document = await upload(
        runner_client, project["id"], f"{fault}.txt", b"The programme started in March 2020."
    )
    fake_llm.inject(fault, **({"retry_after": 0.2} if fault == "429" else {}))
    result = await preview(runner_client, project["id"], document["id"])
    assert result["failures"] == []
    assert result["llmCalls"] == calls  # a repair re-ask counts as a call; transport retries do not
    assert by_name(result)["start"]["typedValue"] == "2020-03"


@pytest.mark.runner(llm_max_retries=1, llm_timeout_seconds=0.5)
async def test_unrecoverable_faults_are_recorded_per_call(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    project = await policy_project(runner_client)
    plant_policy_facts(fake_llm)
    document = await upload(
        runner_client, project["id"], "x.txt", b"The programme started in March 2020."
    )
    fake_llm.inject("malformed", times=2)
    result = await preview(runner_client, project["id"], document["id"])
    assert result["values"] == []
    assert [(f["kind"], f["variables"]) for f in result["failures"]] == [
        ("malformed", ["budget", "adopted", "start"])
    ]

    fake_llm.inject("misshapen", times=2)
    result = await preview(runner_client, project["id"], document["id"])
    assert [(f["kind"], f["message"]) for f in result["failures"]] == [
        ("malformed", "the reply does not follow the answer schema")
    ]

    fake_llm.inject("timeout", times=2)
    result = await preview(runner_client, project["id"], document["id"])
    assert [f["kind"] for f in result["failures"]] == ["timeout"]

    fake_llm.inject("500", times=2)
    result = await preview(runner_client, project["id"], document["id"])
    assert [f["kind"] for f in result["failures"]] == ["server_error"]


async def test_a_failed_call_leaves_its_variable_unknown_not_absent(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    project = await policy_project(runner_client)
    plant_policy_facts(fake_llm)
    text = b"The programme started in March 2020. It had a budget of $1m."
    document = await upload(runner_client, project["id"], "p.txt", text)
    fake_llm.inject("400")  # not retried: the first call (budget) fails for good
    result = await preview(runner_client, project["id"], document["id"], callMode="per_variable")
    assert [(f["kind"], f["variables"]) for f in result["failures"]] == [
        ("bad_request", ["budget"])
    ]
    values = by_name(result)
    budget = values["budget"]
    assert (budget["typedValue"], budget["flags"], budget["needsReview"]) == (
        None,
        ["CALL_FAILED"],
        True,
    )
    assert values["start"]["typedValue"] == "2020-03" and values["start"]["flags"] == []


async def test_preview_bad_input(runner_client: httpx.AsyncClient) -> None:
    project = await policy_project(runner_client)
    other = await create_project(runner_client, name="Other")
    document = await upload(runner_client, other["id"], "o.txt", b"Other project's text.")
    wrong_project = await runner_client.post(
        f"/projects/{project['id']}/extract-preview", json={"documentId": document["id"]}
    )
    assert wrong_project.status_code == 422
    unknown = await runner_client.post(
        f"/projects/{project['id']}/extract-preview",
        json={"documentId": "6f1c1a52-0000-4000-8000-000000000000"},
    )
    assert unknown.status_code == 404
    mine = await upload(runner_client, project["id"], "m.txt", b"My text.")
    bad_variable = await runner_client.post(
        f"/projects/{project['id']}/extract-preview",
        json={"documentId": mine["id"], "variableIds": [document["id"]]},
    )
    assert bad_variable.status_code == 422
