"""Every free-text and list field of the schema is bounded, and the OpenAPI document says so:
no variable can carry a prompt of millions of characters."""

from typing import Any

import httpx
import pytest

from tests.support.factories import create_project


def category_variable(**category: Any) -> dict[str, Any]:
    return {
        "name": "design",
        "type": "CATEGORY",
        "instructions": "The design of the study.",
        "classificationRules": {"categories": [{"value": "RCT", **category}, {"value": "Cohort"}]},
    }


@pytest.mark.parametrize(
    ("category", "field"),
    [
        ({"synonyms": ["s" * 201]}, "synonyms"),
        ({"synonyms": ["s"] * 51}, "synonyms"),
        ({"examples": ["e" * 1001]}, "examples"),
        ({"definition": "d" * 2001}, "definition"),
    ],
)
async def test_oversized_category_fields_are_refused(
    client: httpx.AsyncClient, category: dict[str, Any], field: str
) -> None:
    project = await create_project(client)
    response = await client.post(
        f"/projects/{project['id']}/variables", json=category_variable(**category)
    )
    assert response.status_code == 422, response.text
    assert any(field in error["field"] for error in response.json()["errors"])


async def test_oversized_edge_cases_and_defaults_are_refused(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    base = {"name": "notes", "type": "TEXT", "instructions": "Notes about the trial."}
    many = [{"situation": "s", "action": "a"}] * 51
    for extra in ({"edgeCases": many}, {"defaultValue": "x" * 5001}):
        response = await client.post(f"/projects/{project['id']}/variables", json=base | extra)
        assert response.status_code == 422, response.text
    created = await client.post(f"/projects/{project['id']}/variables", json=base)
    assert created.status_code == 201
    update = await client.put(f"/variables/{created.json()['id']}", json={"edgeCases": many})
    assert update.status_code == 422


async def test_the_limits_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    category = schemas["Category"]["properties"]
    assert category["synonyms"]["maxItems"] == 50
    assert category["synonyms"]["items"]["maxLength"] == 200
    assert category["examples"]["items"]["maxLength"] == 1000
    assert schemas["EdgeCase"]["properties"]["situation"]["maxLength"] == 1000
    variable = schemas["VariableCreate"]["properties"]
    assert variable["edgeCases"]["maxItems"] == 50
    assert variable["instructions"]["maxLength"] == 5000
