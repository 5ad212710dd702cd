"""Generated prompts carry the project context and the variable's rules, and are versioned."""

import httpx

from tests.support.factories import category_payload, create_project, create_variable


async def _current_prompt(client: httpx.AsyncClient, variable_id: str) -> dict:  # type: ignore[type-arg]
    return (await client.get(f"/variables/{variable_id}")).json()["currentPrompt"]  # type: ignore[no-any-return]


async def test_prompt_carries_context_unit_categories_and_rules(client: httpx.AsyncClient) -> None:
    project = await create_project(
        client,
        domain="health policy",
        language="French",
        documentType="parliamentary debates",
        unitOfObservation={
            "mode": "ENTITY",
            "whatEachRowRepresents": "one speaker",
            "entityIdentificationPattern": "A speaker's name followed by a colon at line start",
        },
    )
    variable = await create_variable(
        client,
        project["id"],
        **category_payload(
            uncertaintyHandling={
                "confidenceThreshold": 0.8,
                "ifUncertain": "LEAVE_EMPTY",
                "ifMultipleValues": "ALL",
                "maxValues": 3,
            },
            edgeCases=[
                {
                    "situation": "the design is described as quasi-experimental",
                    "action": "choose Cohort",
                }
            ],
        ),
    )
    prompt = await _current_prompt(client, variable["id"])
    text = prompt["promptText"]
    for expected in [
        "parliamentary debates",
        "health policy",
        "French",
        "Each dataset row is one speaker",
        "A speaker's name followed by a colon",
        "never merge two entities' values",
        "- RCT: Participants randomly assigned to arms.",
        "- Case-control: Cases compared with matched controls.",
        "Below 0.80 confidence, answer null rather than guess",
        "Several values: give one answer per value, at most 3 values.",
        "If the design is described as quasi-experimental: choose Cohort",
        "verbatim",
    ]:
        assert expected in text, expected
    assert prompt["modelConfig"]["temperature"] == 0.1
    schema = prompt["responseSchema"]
    # Evidence before the value; several values come as several answers of one value each.
    assert schema["required"] == ["quote", "reasoning", "value", "confidence"]
    assert schema["properties"]["value"]["enum"] == ["RCT", "Cohort", "Case-control", None]


async def test_document_mode_prompt_and_type_configs(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    expectations = {
        "TEXT": (0.2, "text"),
        "NUMBER": (0.15, "number"),
        "DATE": (0.15, "date"),
        "BOOLEAN": (0.1, "true/false"),
    }
    for index, (kind, (temperature, label)) in enumerate(expectations.items()):
        variable = await create_variable(client, project["id"], name=f"v{index}", type=kind)
        prompt = await _current_prompt(client, variable["id"])
        assert prompt["modelConfig"]["temperature"] == temperature
        assert prompt["modelConfig"]["maxTokens"] >= 300
        assert "answer once per document." in prompt["promptText"]
        assert f"Variable v{index}: {label}" in prompt["promptText"]


async def test_changed_update_creates_v2_and_deactivates_v1(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    variable = await create_variable(client, project["id"])
    v1 = await _current_prompt(client, variable["id"])

    response = await client.put(
        f"/variables/{variable['id']}",
        json={"instructions": "Number of participants randomised, excluding screening failures."},
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2
    v2 = response.json()["currentPrompt"]
    assert v2["version"] == 2 and v2["isActive"]
    assert "excluding screening failures" in v2["promptText"]
    assert v2["contentHash"] != v1["contentHash"]

    history = (await client.get(f"/variables/{variable['id']}/prompts")).json()
    assert [(p["version"], p["isActive"]) for p in history] == [(2, True), (1, False)]


async def test_unchanged_update_creates_no_version(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    variable = await create_variable(client, project["id"])
    same = {"instructions": variable["instructions"], "type": "NUMBER", "order": 1}
    response = await client.put(f"/variables/{variable['id']}", json=same)
    assert response.status_code == 200
    assert response.json()["version"] == 1
    history = (await client.get(f"/variables/{variable['id']}/prompts")).json()
    assert [p["version"] for p in history] == [1]


async def test_project_context_change_regenerates_prompts(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    a = await create_variable(client, project["id"], name="a")
    b = await create_variable(client, project["id"], name="b", type="TEXT")
    await client.put(f"/projects/{project['id']}", json={"domain": "oncology"})
    for variable in (a, b):
        prompt = await _current_prompt(client, variable["id"])
        assert prompt["version"] == 2
        assert "(oncology, written in English)" in prompt["promptText"]
    # A rename is not context: no new prompt versions.
    await client.put(f"/projects/{project['id']}", json={"name": "Renamed"})
    assert (await _current_prompt(client, a["id"]))["version"] == 2
