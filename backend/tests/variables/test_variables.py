"""Variable CRUD, ordering and the current prompt."""

import asyncio

import httpx

from tests.support.factories import (
    category_payload,
    create_project,
    create_variable,
    variable_payload,
)


async def test_create_variable_generates_prompt_v1(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    created = await create_variable(client, project["id"])
    assert created["type"] == "NUMBER"
    assert created["order"] == 1
    assert created["version"] == 1

    detail = (await client.get(f"/variables/{created['id']}")).json()
    prompt = detail["currentPrompt"]
    assert prompt["version"] == 1
    assert prompt["isActive"] is True
    assert prompt["origin"] == "GENERATED"
    assert prompt["modelConfig"]["temperature"] == 0.15
    assert "Number of participants enrolled" in prompt["promptText"]
    assert len(prompt["contentHash"]) == 64


async def test_list_variables_is_a_bare_array_in_order(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    await create_variable(client, project["id"], name="a", order=1)
    await create_variable(client, project["id"], name="b", order=2)
    await create_variable(client, project["id"], name="c", order=2)
    response = await client.get(f"/projects/{project['id']}/variables")
    assert response.status_code == 200
    assert [(v["name"], v["order"]) for v in response.json()] == [("a", 1), ("c", 2), ("b", 3)]


async def test_move_variable_by_updating_order(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    a = await create_variable(client, project["id"], name="a")
    await create_variable(client, project["id"], name="b", order=2)
    await create_variable(client, project["id"], name="c", order=3)
    response = await client.put(f"/variables/{a['id']}", json={"order": 3})
    assert response.status_code == 200
    assert response.json()["version"] == 1  # order is layout, not definition
    names = [v["name"] for v in (await client.get(f"/projects/{project['id']}/variables")).json()]
    assert names == ["b", "c", "a"]


async def test_reorder_whole_schema(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    ids = [
        (await create_variable(client, project["id"], name=n, order=i + 1))["id"]
        for i, n in enumerate("xyz")
    ]
    response = await client.put(
        f"/projects/{project['id']}/variables/order", json={"variableIds": ids[::-1]}
    )
    assert response.status_code == 200
    assert [v["name"] for v in response.json()] == ["z", "y", "x"]

    missing = await client.put(
        f"/projects/{project['id']}/variables/order", json={"variableIds": ids[:2]}
    )
    assert missing.status_code == 422


async def test_delete_variable_renumbers_and_resets_status(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    a = await create_variable(client, project["id"], name="a")
    b = await create_variable(client, project["id"], name="b", order=2)
    assert (await client.delete(f"/variables/{a['id']}")).status_code == 204
    assert (await client.get(f"/variables/{b['id']}")).json()["order"] == 1
    assert (await client.delete(f"/variables/{b['id']}")).status_code == 204
    assert (await client.get(f"/projects/{project['id']}")).json()["status"] == "CREATED"


async def test_category_variable_accepts_contract_style_category_names(
    client: httpx.AsyncClient,
) -> None:
    project = await create_project(client)
    response = await client.post(
        f"/projects/{project['id']}/variables",
        json=category_payload(classificationRules={"categories": ["Yes", "No", "Unclear"]}),
    )
    assert response.status_code == 201, response.text
    categories = response.json()["classificationRules"]["categories"]
    assert [c["value"] for c in categories] == ["Yes", "No", "Unclear"]


async def test_rename_to_taken_name_conflicts(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    await create_variable(client, project["id"], name="a")
    b = await create_variable(client, project["id"], name="b")
    response = await client.put(f"/variables/{b['id']}", json={"name": "a"})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get(f"/variables/{b['id']}")).json()["name"] == "b"


async def test_concurrent_creates_take_turns(client: httpx.AsyncClient) -> None:
    """Same name at once: one is created, the others are told it exists (409, not 500);
    different names at once: each gets its own position."""
    project = await create_project(client)
    url = f"/projects/{project['id']}/variables"
    same = await asyncio.gather(
        *(client.post(url, json=variable_payload(name="dup")) for _ in range(6))
    )
    assert sorted(r.status_code for r in same) == [201] + [409] * 5
    different = await asyncio.gather(
        *(client.post(url, json=variable_payload(name=f"v{i}")) for i in range(6))
    )
    assert all(r.status_code == 201 for r in different), [r.text for r in different]
    listed = (await client.get(url)).json()
    orders = [v["order"] for v in (listed["items"] if isinstance(listed, dict) else listed)]
    assert sorted(orders) == list(range(1, 8))


async def test_an_invalid_name_is_answered_with_a_valid_one(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    response = await client.post(
        f"/projects/{project['id']}/variables",
        json=variable_payload(name="Country of protest"),
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "name"
    assert "'country_of_protest'" in error["message"]
    digits = await client.post(
        f"/projects/{project['id']}/variables", json=variable_payload(name="2020 turnout %")
    )
    assert "'v_2020_turnout'" in digits.json()["errors"][0]["message"]
