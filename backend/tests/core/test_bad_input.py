"""Every malformed or rule-breaking request gets a problem+json 4xx and writes nothing."""

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from coderai.core.database import Database
from coderai.models import Project, Prompt, Variable
from tests.support.factories import (
    category_payload,
    create_project,
    create_variable,
    variable_payload,
)

UNKNOWN = str(uuid.uuid4())


async def _counts(db: Database) -> tuple[int, int, int]:
    async with db.sessionmaker() as session:
        return (
            await session.scalar(select(func.count()).select_from(Project)) or 0,
            await session.scalar(select(func.count()).select_from(Variable)) or 0,
            await session.scalar(select(func.count()).select_from(Prompt)) or 0,
        )


def _assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    assert body["instance"].startswith("/api/v1/")
    return body


PROJECT_CASES: list[tuple[str, Any, int, str]] = [
    ("empty name", {"name": "", "scale": "SMALL"}, 422, "name"),
    ("blank name", {"name": "   ", "scale": "SMALL"}, 422, "name"),
    ("name too long", {"name": "x" * 256, "scale": "SMALL"}, 422, "name"),
    ("missing scale", {"name": "P"}, 422, "scale"),
    ("unknown scale", {"name": "P", "scale": "HUGE"}, 422, "scale"),
    ("name wrong type", {"name": 42, "scale": "SMALL"}, 422, "name"),
    (
        "entity mode without pattern",
        {"name": "P", "scale": "SMALL", "unitOfObservation": {"mode": "ENTITY"}},
        422,
        "unitOfObservation",
    ),
    (
        "unknown observation mode",
        {"name": "P", "scale": "SMALL", "unitOfObservation": {"mode": "PAGE"}},
        422,
        "unitOfObservation.mode",
    ),
    (
        "typo in unit of observation",
        {"name": "P", "scale": "SMALL", "unitOfObservation": {"whatEachRowRepresent": "x"}},
        422,
        "unitOfObservation.whatEachRowRepresent",
    ),
    ("body is a list", [{"name": "P"}], 422, "body"),
    # Values PostgreSQL cannot store are refused here, not at INSERT.
    ("NUL in the name", {"name": "a\x00b", "scale": "SMALL"}, 422, "name"),
    (
        "NUL in a nested field",
        {"name": "P", "scale": "SMALL", "unitOfObservation": {"whatEachRowRepresents": "\x00"}},
        422,
        "unitOfObservation.whatEachRowRepresents",
    ),
    ("language too long", {"name": "P", "scale": "SMALL", "language": "l" * 65}, 422, "language"),
]


@pytest.mark.parametrize(
    ("case", "payload", "status", "field"), PROJECT_CASES, ids=[c[0] for c in PROJECT_CASES]
)
async def test_bad_project_create(
    client: httpx.AsyncClient, db: Database, case: str, payload: Any, status: int, field: str
) -> None:
    before = await _counts(db)
    body = _assert_problem(await client.post("/projects", json=payload), status)
    assert field in [e["field"] for e in body["errors"]], body["errors"]
    assert all(e["message"] for e in body["errors"])
    assert await _counts(db) == before


async def test_malformed_json_is_400(client: httpx.AsyncClient, db: Database) -> None:
    before = await _counts(db)
    response = await client.post(
        "/projects",
        content=b'{"name": "P", "scale": ',
        headers={"content-type": "application/json"},
    )
    _assert_problem(response, 400)
    assert await _counts(db) == before


def _variable_cases() -> list[tuple[str, dict[str, Any], str]]:
    return [
        ("name starts with digit", variable_payload(name="1st"), "name"),
        ("name with dash", variable_payload(name="sample-size"), "name"),
        ("instructions too short", variable_payload(instructions="short"), "instructions"),
        ("instructions too long", variable_payload(instructions="x" * 5001), "instructions"),
        ("unknown type", variable_payload(type="INTEGER"), "type"),
        ("category without categories", variable_payload(type="CATEGORY"), "body"),
        (
            "category with one category",
            category_payload(classificationRules={"categories": [{"value": "Only"}]}),
            "body",
        ),
        (
            "duplicate categories",
            category_payload(classificationRules={"categories": ["Yes", "yes "]}),
            "classificationRules.categories",
        ),
        (
            "threshold above 1",
            variable_payload(uncertaintyHandling={"confidenceThreshold": 1.5}),
            "uncertaintyHandling.confidenceThreshold",
        ),
        (
            "maxValues zero",
            variable_payload(uncertaintyHandling={"ifMultipleValues": "ALL", "maxValues": 0}),
            "uncertaintyHandling.maxValues",
        ),
        (
            "unknown uncertain action",
            variable_payload(uncertaintyHandling={"ifUncertain": "GUESS_WILDLY"}),
            "uncertaintyHandling.ifUncertain",
        ),
        (
            "min above max",
            variable_payload(validationRules={"min": 10, "max": 1}),
            "validationRules",
        ),
        (
            "min/max on a TEXT variable",
            variable_payload(type="TEXT", validationRules={"min": 1}),
            "body",
        ),
        (
            "invalid regex",
            variable_payload(type="TEXT", validationRules={"pattern": "(unclosed"}),
            "validationRules.pattern",
        ),
        ("default of wrong type", variable_payload(defaultValue="many"), "body"),
        (
            "NUL in instructions",
            variable_payload(instructions="Count\x00 them all."),
            "instructions",
        ),
        (
            "NUL in a category",
            category_payload(classificationRules={"categories": ["Yes\x00", "No"]}),
            "classificationRules.categories.0.value",
        ),
        ("order zero", variable_payload(order=0), "order"),
        (
            "edge case without action",
            variable_payload(edgeCases=[{"situation": "no table"}]),
            "edgeCases.0.action",
        ),
    ]


@pytest.mark.parametrize(
    ("case", "payload", "field"), _variable_cases(), ids=[c[0] for c in _variable_cases()]
)
async def test_bad_variable_create(
    client: httpx.AsyncClient, db: Database, case: str, payload: dict[str, Any], field: str
) -> None:
    project = await create_project(client)
    before = await _counts(db)
    body = _assert_problem(
        await client.post(f"/projects/{project['id']}/variables", json=payload), 422
    )
    assert field in [e["field"] for e in body["errors"]], body["errors"]
    assert await _counts(db) == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [('"defaultValue": Infinity', "defaultValue"), ('"validationRules": {"min": NaN}', "min")],
)
async def test_non_finite_numbers_are_422(
    client: httpx.AsyncClient, db: Database, extra: str, field: str
) -> None:
    """JSON parsers accept Infinity and NaN; PostgreSQL's JSON does not store them."""
    project = await create_project(client)
    before = await _counts(db)
    body = json.dumps(variable_payload())[:-1] + ", " + extra + "}"
    response = await client.post(
        f"/projects/{project['id']}/variables",
        content=body,
        headers={"content-type": "application/json"},
    )
    problem = _assert_problem(response, 422)
    assert any(e["field"].endswith(field) for e in problem["errors"]), problem["errors"]
    assert await _counts(db) == before


async def test_duplicate_variable_name_is_409_and_writes_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    project = await create_project(client)
    await create_variable(client, project["id"])
    before = await _counts(db)
    _assert_problem(
        await client.post(f"/projects/{project['id']}/variables", json=variable_payload()), 409
    )
    assert await _counts(db) == before


async def test_invalid_update_leaves_variable_and_prompts_unchanged(
    client: httpx.AsyncClient, db: Database
) -> None:
    project = await create_project(client)
    variable = await create_variable(client, project["id"])
    before = await _counts(db)
    body = _assert_problem(
        await client.put(f"/variables/{variable['id']}", json={"type": "CATEGORY"}), 422
    )
    assert body["errors"]
    assert await _counts(db) == before
    assert (await client.get(f"/variables/{variable['id']}")).json()["type"] == "NUMBER"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/projects/{UNKNOWN}"),
        ("PUT", f"/projects/{UNKNOWN}"),
        ("DELETE", f"/projects/{UNKNOWN}"),
        ("GET", f"/projects/{UNKNOWN}/variables"),
        ("POST", f"/projects/{UNKNOWN}/variables"),
        ("GET", f"/variables/{UNKNOWN}"),
        ("DELETE", f"/variables/{UNKNOWN}"),
        ("GET", f"/projects/{UNKNOWN}/schema"),
    ],
)
async def test_unknown_ids_are_404(client: httpx.AsyncClient, method: str, path: str) -> None:
    payload = (
        variable_payload() if method == "POST" else ({"name": "x"} if method == "PUT" else None)
    )
    response = await client.request(method, path, json=payload)
    body = _assert_problem(response, 404)
    assert UNKNOWN in body["detail"]


async def test_malformed_uuid_and_query_are_422(client: httpx.AsyncClient) -> None:
    body = _assert_problem(await client.get("/projects/not-a-uuid"), 422)
    assert body["errors"][0]["field"] == "projectId"
    _assert_problem(await client.get("/projects", params={"limit": 0}), 422)
    _assert_problem(await client.get("/projects", params={"limit": 101}), 422)
    _assert_problem(await client.get("/projects", params={"status": "DONE"}), 422)
    _assert_problem(await client.get("/projects", params={"offset": 2**63}), 422)


async def test_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    _assert_problem(await client.get("/nothing-here"), 404)
