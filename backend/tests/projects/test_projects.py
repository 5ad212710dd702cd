"""Project CRUD as a client uses it."""

import uuid

import httpx

from tests.support.factories import create_project, create_variable


async def test_create_and_read_project(client: httpx.AsyncClient) -> None:
    created = await create_project(
        client,
        unitOfObservation={
            "mode": "ENTITY",
            "whatEachRowRepresents": "one trial arm",
            "entityIdentificationPattern": "Each arm is introduced as 'Arm A', 'Arm B', …",
        },
    )
    assert created["status"] == "CREATED"
    assert created["scale"] == "SMALL"
    assert created["unitOfObservation"]["mode"] == "ENTITY"
    uuid.UUID(created["id"])

    detail = (await client.get(f"/projects/{created['id']}")).json()
    assert detail["name"] == "Clinical trials 2020-2024"
    assert detail["variables"] == []
    assert detail["variableCount"] == 0
    assert detail["documentCount"] == 0
    assert detail["createdAt"] and detail["updatedAt"]


async def test_unit_of_observation_defaults_to_document_mode(client: httpx.AsyncClient) -> None:
    # A client written against the user's contract does not know unitOfObservation.
    response = await client.post("/projects", json={"name": "Contract client", "scale": "LARGE"})
    assert response.status_code == 201
    body = response.json()
    assert body["language"] == "en"
    assert body["unitOfObservation"]["mode"] == "DOCUMENT"


async def test_list_paginates_and_filters_by_status(client: httpx.AsyncClient) -> None:
    ids = [(await create_project(client, name=f"Project {i}"))["id"] for i in range(5)]
    await create_variable(client, ids[0])  # moves it to SCHEMA_DEFINED

    page = (await client.get("/projects", params={"offset": 1, "limit": 2})).json()
    assert page["total"] == 5
    assert page["offset"] == 1 and page["limit"] == 2
    assert len(page["items"]) == 2

    defined = (await client.get("/projects", params={"status": "SCHEMA_DEFINED"})).json()
    assert [p["id"] for p in defined["items"]] == [ids[0]]
    assert defined["items"][0]["variableCount"] == 1


async def test_get_project_includes_variables_in_order(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    await create_variable(client, project["id"], name="second", order=1)
    await create_variable(client, project["id"], name="first", order=1)
    detail = (await client.get(f"/projects/{project['id']}")).json()
    assert [v["name"] for v in detail["variables"]] == ["first", "second"]
    assert [v["order"] for v in detail["variables"]] == [1, 2]
    assert detail["variableCount"] == 2
    assert detail["status"] == "SCHEMA_DEFINED"


async def test_update_project(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    response = await client.put(
        f"/projects/{project['id']}", json={"name": "Renamed", "domain": None}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Renamed"
    assert body["domain"] is None
    assert body["documentType"] == project["documentType"]


async def test_delete_project_removes_its_variables(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    variable = await create_variable(client, project["id"])
    assert (await client.delete(f"/projects/{project['id']}")).status_code == 204
    assert (await client.get(f"/projects/{project['id']}")).status_code == 404
    assert (await client.get(f"/variables/{variable['id']}")).status_code == 404
