"""Schema as code: export, import (JSON and YAML), all or nothing."""

import httpx
import yaml

from tests.support.factories import category_payload, create_project, create_variable


async def _seed(client: httpx.AsyncClient) -> dict:  # type: ignore[type-arg]
    project = await create_project(client, domain="education")
    await create_variable(client, project["id"], name="pupils", order=1)
    await create_variable(client, project["id"], **category_payload(order=2))
    await create_variable(
        client,
        project["id"],
        name="adopted",
        type="BOOLEAN",
        instructions="Was the policy adopted by vote?",
        order=3,
    )
    return project


async def test_export_import_round_trip_json(client: httpx.AsyncClient) -> None:
    source = await _seed(client)
    exported = (await client.get(f"/projects/{source['id']}/schema")).json()
    assert exported["formatVersion"] == 1
    assert [v["name"] for v in exported["variables"]] == ["pupils", "design", "adopted"]

    target = await create_project(client, name="Copy", domain=None)
    response = await client.post(f"/projects/{target['id']}/schema", json=exported)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 3

    again = (await client.get(f"/projects/{target['id']}/schema")).json()
    assert again["variables"] == exported["variables"]
    assert {**again["project"], "name": None} == {**exported["project"], "name": None}
    assert again["project"]["name"] == "Copy"


async def test_yaml_export_and_import(client: httpx.AsyncClient) -> None:
    source = await _seed(client)
    response = await client.get(f"/projects/{source['id']}/schema", params={"format": "yaml"})
    assert response.headers["content-type"].startswith("application/yaml")
    document = yaml.safe_load(response.text)
    assert document["variables"][1]["classificationRules"]["categories"][0]["value"] == "RCT"

    target = await create_project(client, name="From YAML")
    imported = await client.post(
        f"/projects/{target['id']}/schema",
        content=response.text.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 3


async def test_reimport_updates_by_name_and_replace_deletes(client: httpx.AsyncClient) -> None:
    project = await _seed(client)
    document = (await client.get(f"/projects/{project['id']}/schema")).json()
    document["variables"] = document["variables"][:2]
    document["variables"][0]["instructions"] = "Number of pupils enrolled on the census day."

    response = await client.post(
        f"/projects/{project['id']}/schema", params={"replace": "true"}, json=document
    )
    body = response.json()
    assert (body["created"], body["updated"], body["deleted"]) == (0, 1, 1)
    names = [v["name"] for v in (await client.get(f"/projects/{project['id']}/variables")).json()]
    assert names == ["pupils", "design"]


async def test_invalid_import_writes_nothing(client: httpx.AsyncClient) -> None:
    project = await _seed(client)
    before = (await client.get(f"/projects/{project['id']}/schema")).json()
    document = {
        "variables": [
            {"name": "fresh", "type": "TEXT", "instructions": "A perfectly valid new variable."},
            {
                "name": "broken",
                "type": "CATEGORY",
                "instructions": "Only one category is given here.",
                "classificationRules": {"categories": ["A"]},
            },
        ]
    }
    response = await client.post(f"/projects/{project['id']}/schema", json=document)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("variables.1")
    assert (await client.get(f"/projects/{project['id']}/schema")).json() == before

    dupes = {"variables": [document["variables"][0], document["variables"][0]]}
    response = await client.post(f"/projects/{project['id']}/schema", json=dupes)
    assert response.status_code == 422
    assert "duplicate name 'fresh'" in response.json()["errors"][0]["message"]

    broken_yaml = await client.post(
        f"/projects/{project['id']}/schema",
        content=b"variables: [unclosed",
        headers={"content-type": "application/yaml"},
    )
    assert broken_yaml.status_code == 422
    assert (await client.get(f"/projects/{project['id']}/schema")).json() == before


async def test_a_deeply_nested_document_is_a_422(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    response = await client.post(
        f"/projects/{project['id']}/schema",
        content="[" * 3000 + "]" * 3000,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get(f"/projects/{project['id']}/schema")).json()["variables"] == []
