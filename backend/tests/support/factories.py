"""Plain async factories that go through the API, as a client would, and engine inputs built
without a database."""

import uuid
from typing import Any

import httpx

from coderai.extraction.types import VariablePrompt
from coderai.prompts.generator import ProjectContext, generate_prompt
from coderai.variables.definition import VariableFields


def project_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": "Clinical trials 2020-2024",
        "scale": "SMALL",
        "language": "English",
        "domain": "public health",
        "documentType": "clinical trial reports",
    }
    payload.update(overrides)
    return payload


def variable_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": "participants",
        "type": "NUMBER",
        "instructions": "Number of participants enrolled in the trial at baseline.",
        "order": 1,
    }
    payload.update(overrides)
    return payload


def category_payload(**overrides: Any) -> dict[str, Any]:
    payload = variable_payload(
        name="design",
        type="CATEGORY",
        instructions="The study design of the trial as described in the methods section.",
        classificationRules={
            "categories": [
                {"value": "RCT", "definition": "Participants randomly assigned to arms."},
                {
                    "value": "Cohort",
                    "definition": "Groups followed over time without randomisation.",
                },
                {"value": "Case-control", "definition": "Cases compared with matched controls."},
            ]
        },
    )
    payload.update(overrides)
    return payload


async def create_project(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/projects", json=project_payload(**overrides))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def create_variable(
    client: httpx.AsyncClient, project_id: str, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/projects/{project_id}/variables", json=variable_payload(**overrides)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def generated_prompt(
    context: ProjectContext, definition: VariableFields, *, model: str = "fake-gpt"
) -> VariablePrompt:
    """A variable's first generated prompt, as a job would run it (no database)."""
    generated = generate_prompt(context, definition, model=model)
    return VariablePrompt(
        variable_id=uuid.uuid4(),
        definition=definition,
        prompt_id=uuid.uuid4(),
        prompt_version=1,
        prompt_text=generated.prompt_text,
        llm_config=generated.llm_config,
        response_schema=generated.response_schema,
    )
