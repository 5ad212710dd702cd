"""POST/GET /extractions/{id}/feedback, /jobs/{id}/feedback and the feedback figures of a job."""

import uuid
from typing import Any

import httpx
import pytest

from coderai.core.database import Database
from tests.support.factories import create_project, create_variable
from tests.support.review_scenario import Scenario, give_feedback, review_everything
from tests.support.seed import seed_documents, seed_job


async def test_contract_feedback_shape(client: httpx.AsyncClient, scenario: Scenario) -> None:
    extraction = scenario.extraction(0, "design")
    response = await client.post(
        f"/extractions/{extraction}/feedback", json={"isCorrect": True, "userComment": "Fine."}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    # The contract's Feedback ...
    assert {"id", "extractionId", "isCorrect", "userComment", "createdAt"} <= set(body)
    assert body["extractionId"] == extraction
    assert body["isCorrect"] is True
    assert body["userComment"] == "Fine."
    # ... plus the extension.
    assert body["verdict"] == "CORRECT"
    assert body["correctedValue"] is None
    assert body["hasCorrectedValue"] is False
    assert body["note"] == "Fine."
    assert body["isCurrent"] is True


async def test_a_new_verdict_replaces_the_current_one_and_keeps_history(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    extraction = scenario.extraction(0, "participants")
    first = await give_feedback(client, extraction, isCorrect=True)
    second = await give_feedback(client, extraction, isCorrect=False, correctedValue="120")
    assert second["verdict"] == "INCORRECT"  # derived from isCorrect
    assert second["correctedValue"] == 120  # stored typed

    history = (await client.get(f"/extractions/{extraction}/feedback")).json()
    assert [(f["id"], f["isCurrent"]) for f in history] == [
        (second["id"], True),
        (first["id"], False),
    ]
    current = await client.get(f"/jobs/{scenario.job_id}/feedback")
    assert current.headers["X-Total-Count"] == "1"
    assert [(f["id"], f["extractionId"]) for f in current.json()] == [(second["id"], extraction)]
    assert current.json()[0]["variableId"] == scenario.variables["participants"]


async def test_job_feedback_filters_by_variable(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await review_everything(client, scenario)
    design = await client.get(
        f"/jobs/{scenario.job_id}/feedback", params={"variableId": scenario.variables["design"]}
    )
    assert design.status_code == 200
    assert len(design.json()) == 4
    assert {f["variableId"] for f in design.json()} == {scenario.variables["design"]}
    missing = await client.get(f"/jobs/{uuid.uuid4()}/feedback")
    assert missing.status_code == 404


async def test_corrections_are_coerced_to_the_variable_type(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    design = await give_feedback(
        client, scenario.extraction(1, "design"), verdict="INCORRECT", correctedValue="cohort"
    )
    assert design["correctedValue"] == "Cohort"  # the canonical category
    partial = await give_feedback(
        client,
        scenario.extraction(2, "participants"),
        verdict="PARTIALLY_CORRECT",
        correctedValue="90 participants",
    )
    assert (partial["isCorrect"], partial["correctedValue"]) == (False, 90)
    empty = await give_feedback(
        client, scenario.extraction(3, "participants"), verdict="INCORRECT", correctedValue=None
    )
    # An explicit null is a correction too: the true value is empty.
    assert (empty["correctedValue"], empty["hasCorrectedValue"]) == (None, True)


async def test_user_comment_and_note_share_one_text(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    body = await give_feedback(
        client, scenario.extraction(0, "design"), isCorrect=True, userComment="A", note="B"
    )
    assert body["userComment"] == body["note"] == "A\n\nB"


@pytest.mark.parametrize(
    ("variable", "body", "field", "message"),
    [
        ("participants", {"isCorrect": False, "correctedValue": "lots"}, "correctedValue", "NUMBER"),
        ("participants", {"isCorrect": False, "correctedValue": True}, "correctedValue", "NUMBER"),
        ("participants", {"isCorrect": False, "correctedValue": [1, 2]}, "correctedValue", "one"),
        ("design", {"verdict": "INCORRECT", "correctedValue": "Crossover"}, "correctedValue",
         "not an allowed category"),
        ("design", {"isCorrect": True, "verdict": "INCORRECT"}, "verdict", "contradicts"),
        ("design", {"isCorrect": False, "verdict": "CORRECT"}, "verdict", "contradicts"),
        ("design", {"verdict": "CORRECT", "correctedValue": "Cohort"}, "correctedValue",
         "differs"),
        ("design", {"userComment": "no verdict"}, "body", "isCorrect or verdict"),
        ("design", {"verdict": "MAYBE"}, "verdict", ""),
    ],
)  # fmt: skip
async def test_invalid_feedback_is_a_422_problem(
    client: httpx.AsyncClient,
    scenario: Scenario,
    variable: str,
    body: dict[str, object],
    field: str,
    message: str,
) -> None:
    extraction = scenario.extraction(0, variable)
    response = await client.post(f"/extractions/{extraction}/feedback", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert errors[0]["field"] == field
    assert message in errors[0]["message"]
    # Nothing was stored.
    assert (await client.get(f"/extractions/{extraction}/feedback")).json() == []


async def test_feedback_on_unknown_extraction_is_404(client: httpx.AsyncClient) -> None:
    missing = uuid.uuid4()
    response = await client.post(f"/extractions/{missing}/feedback", json={"isCorrect": True})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(f"/extractions/{missing}/feedback")).status_code == 404


async def test_statistics_count_reviewed_items_and_accuracy(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await review_everything(client, scenario)
    stats = (await client.get(f"/jobs/{scenario.job_id}/statistics")).json()
    by_name = {v["variableName"]: v for v in stats["variables"]}
    # participants: 1 of 4 correct; design: 3 of 4 correct.
    assert (by_name["participants"]["reviewed"], by_name["participants"]["accuracy"]) == (4, 0.25)
    assert (by_name["design"]["reviewed"], by_name["design"]["accuracy"]) == (4, 0.75)


async def test_job_agreement(client: httpx.AsyncClient, scenario: Scenario) -> None:
    await review_everything(client, scenario)
    response = await client.get(f"/jobs/{scenario.job_id}/agreement")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["reviewed"], body["accuracy"]) == (8, 0.5)
    # 4 of 8: Wilson 95 % = 0.5 -/+ 1.96*sqrt(.25/8 + 1.96²/256)/(1 + 1.96²/8) = [0.2152, 0.7848]
    assert body["accuracyInterval"] == pytest.approx([0.2152, 0.7848], abs=1e-4)
    participants, design = body["variables"]
    # Four reviewed answers are an indication, not a figure to report.
    assert (participants["reviewed"], participants["enoughReviewed"]) == (4, False)
    assert participants["minReviewed"] == 10 and participants["accuracyInterval"]
    assert participants["variableName"] == "participants"
    kinds = {e["kind"]: e["count"] for e in participants["errors"]}
    assert kinds == {"WRONG_VALUE": 2, "INVENTED": 1, "UNGROUNDED": 1}
    invented = next(e for e in participants["errors"] if e["kind"] == "INVENTED")
    assert invented["examples"][0]["modelValue"] == 200
    assert invented["examples"][0]["correctValueKnown"] is True
    assert participants["agreement"]["toleranceRule"] == "within 1% of the reviewer's value"
    assert participants["agreement"]["compared"] == 4
    # Design: (RCT,RCT), (RCT,Cohort), (Case-control,Case-control), (Cohort,Cohort).
    # po = 3/4; model RCT=2, CC=1, Cohort=1; reviewer RCT=1, CC=1, Cohort=2
    # pe = (2*1 + 1*1 + 1*2)/16 = 5/16; kappa = (12/16 - 5/16)/(11/16) = 7/11
    assert design["agreement"]["kappa"] == pytest.approx(7 / 11)
    assert design["confusion"] == [{"modelValue": "RCT", "correctValue": "Cohort", "count": 1}]
    bins = design["calibration"]["bins"]
    assert [b["count"] for b in bins] == [0, 1, 1, 2]  # 0.6 | 0.7 | 0.9, 0.92


async def test_variable_feedback_analysis(client: httpx.AsyncClient, scenario: Scenario) -> None:
    await review_everything(client, scenario)
    variable = scenario.variables["design"]
    by_job = await client.get(
        f"/variables/{variable}/feedback-analysis", params={"jobId": scenario.job_id}
    )
    across = await client.get(f"/variables/{variable}/feedback-analysis")
    assert by_job.status_code == across.status_code == 200
    assert by_job.json()["accuracy"] == across.json()["accuracy"] == 0.75
    assert across.json()["jobId"] is None
    wrong_job = await client.get(
        f"/variables/{variable}/feedback-analysis", params={"jobId": str(uuid.uuid4())}
    )
    assert wrong_job.status_code == 404


async def test_a_variable_with_several_values_is_corrected_with_a_list(
    client: httpx.AsyncClient, db: Database
) -> None:
    project = await create_project(client)
    await create_variable(
        client,
        project["id"],
        name="funders",
        type="TEXT",
        instructions="Every organisation that funded the trial.",
        uncertaintyHandling={"ifMultipleValues": "ALL"},
    )
    text = "Funded by the Wellcome Trust and by the national research council."
    documents = await seed_documents(db, uuid.UUID(project["id"]), [text])
    job = await seed_job(
        db,
        uuid.UUID(project["id"]),
        documents,
        lambda _doc, _var: {"value": ["Wellcome Trust"], "confidence": 0.9},
    )
    extraction = str(job.extraction_ids[(0, "funders", 0)])

    confirmed = await give_feedback(
        client, extraction, verdict="CORRECT", correctedValue=["Wellcome Trust"]
    )
    assert (confirmed["correctedValue"], confirmed["hasCorrectedValue"]) == (None, False)
    history = (await client.get(f"/extractions/{extraction}/feedback")).json()
    assert (history[0]["correctedValue"], history[0]["hasCorrectedValue"]) == (None, False)
    partial = await give_feedback(
        client,
        extraction,
        verdict="PARTIALLY_CORRECT",
        correctedValue="Wellcome Trust; national research council",
    )
    assert partial["correctedValue"] == ["Wellcome Trust", "national research council"]
    one = await give_feedback(client, extraction, verdict="INCORRECT", correctedValue="MRC")
    assert one["correctedValue"] == ["MRC"]  # still a list: the variable keeps several


async def test_a_typed_correction_is_echoed_before_it_is_saved(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    participants = scenario.variables["participants"]

    async def parse(variable: str, value: object) -> dict[str, Any]:
        response = await client.post(f"/variables/{variable}/parse-value", json={"value": value})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    loose = await parse(participants, "about 120 thousand")
    assert (loose["typedValue"], loose["display"], loose["asTyped"]) == (120000, "120000", False)
    assert (await parse(participants, "85"))["asTyped"] is True
    assert (await parse(participants, 85))["asTyped"] is True
    category = await parse(scenario.variables["design"], "cohort")
    assert (category["typedValue"], category["asTyped"]) == ("Cohort", False)
    assert (await parse(participants, None))["typedValue"] is None
    wrong = await client.post(f"/variables/{participants}/parse-value", json={"value": "many"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "correctedValue"
    # Nothing was saved by asking.
    assert (await client.get(f"/jobs/{scenario.job_id}/feedback")).json() == []
