"""Refinement drafts from review, manual drafts, activation, and refinements that survive a
regenerated prompt."""

import uuid
from typing import Any

import httpx

from coderai.core.database import Database
from tests.support.review_scenario import (
    Scenario,
    give_feedback,
    review_everything,
    review_scenario,
)


async def _prompts(client: httpx.AsyncClient, variable_id: str) -> list[dict[str, Any]]:
    return (await client.get(f"/variables/{variable_id}/prompts")).json()  # type: ignore[no-any-return]


async def _current(client: httpx.AsyncClient, variable_id: str) -> dict[str, Any]:
    return (await client.get(f"/variables/{variable_id}")).json()["currentPrompt"]  # type: ignore[no-any-return]


async def _refine(client: httpx.AsyncClient, variable_id: str, **body: Any) -> dict[str, Any]:
    """A draft learnt from every reviewed answer (no hold-out), so its lessons are known."""
    body.setdefault("holdOut", False)
    response = await client.post(f"/variables/{variable_id}/refine", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_refine_proposes_an_inactive_draft_with_diff_and_examples(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await review_everything(client, scenario)
    variable = scenario.variables["participants"]
    result = await _refine(client, variable, jobId=scenario.job_id)

    draft = result["draft"]
    assert (draft["version"], draft["isActive"], draft["origin"]) == (2, False, "REFINED")
    assert result["activeVersion"] == 1
    assert (await _current(client, variable))["version"] == 1  # nothing adopted yet
    text = draft["promptText"]
    # The correction of document 0 becomes a few-shot example: quote -> correct value.
    assert '"120 participants" → 120, not 12' in text
    assert '"30 cases" → 90, not 30' in text
    # The invented value gives a leave-empty rule.
    assert "Leave `participants` empty (null)" in text
    assert "Lessons from reviewed answers:" in text
    # The generated text is kept as the start of the draft (the project preamble stays a prefix).
    v1 = await _current(client, variable)
    assert text.startswith(v1["promptText"])
    # The diff goes from the active version to the draft.
    diff = result["diff"]
    assert diff.startswith("--- v1 (active)\n+++ v2 (draft)\n")
    assert '+- "120 participants" → 120, not 12\n' in diff
    # The analysis it was built from, and no LLM in this app.
    assert result["analysis"]["reviewed"] == 4
    assert {e["kind"] for e in result["analysis"]["errors"]} >= {"WRONG_VALUE", "INVENTED"}
    assert result["llm"]["used"] is False
    assert result["llm"]["refinerPromptVersion"]
    assert len(draft["contentHash"]) == 64
    # The refinement is logged on the job it came from.
    logs = (await client.get(f"/jobs/{scenario.job_id}/logs")).json()
    assert any(log["event"] == "prompt_refined" for log in logs)


async def test_refine_a_category_sharpens_the_confused_definitions(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await review_everything(client, scenario)
    result = await _refine(client, scenario.variables["design"])
    text = result["draft"]["promptText"]
    assert "Reviewers corrected `RCT` to `Cohort` (once)." in text
    assert "Cohort means: Groups followed over time without randomisation." in text
    assert (
        '"randomly assigned" → "Cohort", not "RCT" (reviewer: Randomisation only in phase two; '
        "the design is a cohort.)"
    ) in text
    assert result["refinements"]["categoryClarifications"] == [
        {"modelValue": "RCT", "correctValue": "Cohort", "count": 1}
    ]


async def test_refining_twice_gives_the_same_draft(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await review_everything(client, scenario)
    variable = scenario.variables["participants"]
    first = await _refine(client, variable)
    again = await _refine(client, variable)
    assert again["draft"]["id"] == first["draft"]["id"]
    assert len(await _prompts(client, variable)) == 2


async def test_nothing_to_refine_is_a_conflict(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    variable = scenario.variables["design"]
    response = await client.post(f"/variables/{variable}/refine")
    assert response.status_code == 409
    assert "No reviewed answers" in response.json()["detail"]
    await give_feedback(client, scenario.extraction(0, "design"), isCorrect=True)
    response = await client.post(f"/variables/{variable}/refine")
    assert response.status_code == 409
    assert "nothing to refine" in response.json()["detail"]


async def test_activate_switches_the_active_version(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await review_everything(client, scenario)
    variable = scenario.variables["participants"]
    draft = (await _refine(client, variable))["draft"]
    response = await client.post(f"/prompts/{draft['id']}/activate")
    assert response.status_code == 200, response.text
    assert response.json()["isActive"] is True
    current = await _current(client, variable)
    assert (current["id"], current["version"]) == (draft["id"], 2)
    assert [(p["version"], p["isActive"]) for p in await _prompts(client, variable)] == [
        (2, True),
        (1, False),
    ]
    # Activating the active version again changes nothing; an unknown prompt is a 404.
    assert (await client.post(f"/prompts/{draft['id']}/activate")).status_code == 200
    assert (await client.post(f"/prompts/{uuid.uuid4()}/activate")).status_code == 404


async def test_a_later_variable_update_keeps_the_refinement(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await review_everything(client, scenario)
    variable = scenario.variables["participants"]
    draft = (await _refine(client, variable))["draft"]
    await client.post(f"/prompts/{draft['id']}/activate")

    new_instructions = "Number of participants randomised at baseline (all arms together)."
    response = await client.put(f"/variables/{variable}", json={"instructions": new_instructions})
    assert response.status_code == 200, response.text
    current = response.json()["currentPrompt"]
    assert new_instructions in current["promptText"]  # regenerated from the new definition
    assert '"120 participants" → 120, not 12' in current["promptText"]  # refinement kept
    assert "Leave `participants` empty (null)" in current["promptText"]
    assert current["origin"] == "REFINED"
    assert current["promptText"].count("Lessons from reviewed answers:") == 1
    # A second update carries it again.
    response = await client.put(
        f"/variables/{variable}", json={"description": "Enrolled participants."}
    )
    assert '"120 participants" → 120, not 12' in response.json()["currentPrompt"]["promptText"]


async def test_an_update_drops_lessons_the_new_definition_makes_wrong(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await review_everything(client, scenario)
    variable = scenario.variables["design"]
    draft = (await _refine(client, variable))["draft"]
    await client.post(f"/prompts/{draft['id']}/activate")
    rules = {
        "categories": [
            {"value": "RCT", "definition": "Participants randomly assigned to arms."},
            {"value": "Observational", "definition": "No assignment by the investigators."},
        ]
    }
    response = await client.put(f"/variables/{variable}", json={"classificationRules": rules})
    assert response.status_code == 200, response.text
    text = response.json()["currentPrompt"]["promptText"]
    # "Cohort" is no longer a category: its example and confusion pair are gone.
    assert "Cohort" not in text


async def test_a_draft_for_an_earlier_definition_cannot_be_activated(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await review_everything(client, scenario)
    variable = scenario.variables["design"]
    draft = (await _refine(client, variable))["draft"]
    rules = {"categories": [{"value": "RCT"}, {"value": "Cohort"}], "allowOther": True}
    await client.put(f"/variables/{variable}", json={"classificationRules": rules})
    response = await client.post(f"/prompts/{draft['id']}/activate")
    assert response.status_code == 409
    assert "earlier definition" in response.json()["detail"]


async def test_manual_draft(client: httpx.AsyncClient, scenario: Scenario) -> None:
    variable = scenario.variables["participants"]
    v1 = await _current(client, variable)
    edited = v1["promptText"] + "\nCount people, not sites."
    response = await client.post(
        f"/variables/{variable}/prompts",
        json={"promptText": edited, "modelConfig": {"temperature": 0}, "note": "tighter"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    draft = body["draft"]
    assert (draft["version"], draft["isActive"], draft["origin"]) == (2, False, "MANUAL")
    assert draft["note"] == "tighter"
    assert draft["modelConfig"]["temperature"] == 0
    assert draft["modelConfig"]["maxTokens"] == v1["modelConfig"]["maxTokens"]
    assert "+Count people, not sites.\n" in body["diff"]
    assert '# modelConfig: {"maxTokens"' in body["diff"]
    assert (await _current(client, variable))["version"] == 1

    activated = await client.post(f"/prompts/{draft['id']}/activate")
    assert activated.status_code == 200
    assert (await _current(client, variable))["promptText"] == edited

    # The model config defaults to the active version's, so this is the active prompt again.
    same = await client.post(f"/variables/{variable}/prompts", json={"promptText": edited})
    assert same.status_code == 409
    assert "identical to the active version (v2)" in same.json()["detail"]


async def test_manual_draft_validation(client: httpx.AsyncClient, scenario: Scenario) -> None:
    variable = scenario.variables["participants"]
    response = await client.post(
        f"/variables/{variable}/prompts",
        json={"promptText": "too short", "modelConfig": {"temperature": 5}},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"promptText", "modelConfig.temperature"}


async def test_a_project_context_change_keeps_the_refinement(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await review_everything(client, scenario)
    variable = scenario.variables["participants"]
    draft = (await _refine(client, variable))["draft"]
    await client.post(f"/prompts/{draft['id']}/activate")
    response = await client.put(f"/projects/{scenario.project_id}", json={"domain": "oncology"})
    assert response.status_code == 200, response.text
    current = await _current(client, variable)
    assert "oncology" in current["promptText"]
    assert '"120 participants" → 120, not 12' in current["promptText"]


async def test_a_draft_is_learnt_without_its_held_out_answers_and_scored_only_on_them(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await review_everything(client, scenario)
    variable = scenario.variables["participants"]
    response = await client.post(f"/variables/{variable}/refine", json={"jobId": scenario.job_id})
    assert response.status_code == 201, response.text
    result = response.json()
    # Three wrong answers and one right: every third of each kind is held out, so one of
    # the wrong answers is kept out of the lessons and the draft learns from three.
    [held] = result["heldOut"]
    assert result["analysis"]["reviewed"] == 3
    texts = scenario.texts
    held_index = scenario.job.document_ids.index(uuid.UUID(held["documentId"]))
    assert held_index != 1  # document 1's answer was right: the other group
    quote = {0: "120 participants", 2: "30 cases", 3: None}[held_index]
    if quote is not None:
        assert quote in texts[held_index] and f'"{quote}" →' not in result["draft"]["promptText"]
    # The same reviews give the same split: refining again returns the same draft.
    again = await client.post(f"/variables/{variable}/refine", json={"jobId": scenario.job_id})
    assert again.json()["draft"]["id"] == result["draft"]["id"]
    assert again.json()["heldOut"] == result["heldOut"]


async def test_a_draft_learnt_from_every_reviewed_answer_cannot_be_scored_on_them(
    runner_client: httpx.AsyncClient, db: Database
) -> None:
    client = runner_client
    scenario = await review_scenario(client, db)
    await review_everything(client, scenario)
    draft = (await _refine(client, scenario.variables["participants"]))["draft"]
    response = await client.post(
        f"/prompts/{draft['id']}/evaluate", json={"jobId": scenario.job_id}
    )
    assert response.status_code == 409
    assert "was used to build v2" in response.json()["detail"]
