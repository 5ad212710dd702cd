"""GET /extractions/{id}: the value with its quote highlighted in the surrounding text."""

import uuid

import httpx
from sqlalchemy import update

from coderai.core.database import Database
from coderai.models import Document
from tests.support.review_scenario import Scenario, give_feedback


async def test_detail_shows_value_quote_context_and_provenance(
    client: httpx.AsyncClient, scenario: Scenario, db: Database
) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(Document).where(Document.name == "doc-0000.txt").values(external_id="R-7")
        )
    response = await client.get(f"/extractions/{scenario.extraction(0, 'participants')}")
    assert response.status_code == 200, response.text
    detail = response.json()
    text = scenario.texts[0]
    start = text.index("120 participants")
    assert detail["value"] == "12"
    assert detail["typedValue"] == 12
    assert detail["rawValue"] == "12"
    assert detail["confidence"] == 0.95
    assert detail["sourceText"] == "120 participants"
    assert (detail["charStart"], detail["charEnd"]) == (start, start + len("120 participants"))
    assert detail["page"] == 1
    assert detail["reasoning"] == "The document says so (participants)."
    assert detail["grounding"] == "EXACT"
    assert detail["promptVersion"] == 1
    assert detail["variableName"] == "participants"
    assert detail["variableType"] == "NUMBER"
    assert detail["documentName"] == "doc-0000.txt"
    assert detail["externalId"] == "R-7"  # as in the job's results
    assert detail["currentFeedback"] is None
    # The whole (short) document comes back, split for highlighting.
    context = detail["context"]
    assert context["before"] + context["quote"] + context["after"] == text
    assert context["quote"] == "120 participants"
    assert (context["start"], context["end"]) == (0, len(text))
    assert not context["truncatedBefore"] and not context["truncatedAfter"]


async def test_context_window_is_cut_at_word_boundaries(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    extraction = scenario.extraction(0, "participants")
    context = (await client.get(f"/extractions/{extraction}?context=20")).json()["context"]
    text = scenario.texts[0]
    assert context["quote"] == "120 participants"
    # The 20 characters either side are " two arms. In total " and " were enrolled at ba":
    # the partial word "ba" and the space at the cut go, whole words stay.
    assert context["before"] == "two arms. In total "
    assert context["after"] == " were enrolled at"
    assert text[context["start"] : context["end"]] == (
        context["before"] + context["quote"] + context["after"]
    )
    assert context["truncatedBefore"] and context["truncatedAfter"]


async def test_detail_includes_the_current_feedback(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    extraction = scenario.extraction(0, "participants")
    given = await give_feedback(client, extraction, isCorrect=False, correctedValue=120)
    detail = (await client.get(f"/extractions/{extraction}")).json()
    assert detail["currentFeedback"]["id"] == given["id"]
    assert detail["currentFeedback"]["correctedValue"] == 120


async def test_ungrounded_extraction_has_no_context(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    detail = (await client.get(f"/extractions/{scenario.extraction(3, 'participants')}")).json()
    assert detail["grounding"] == "NONE"
    assert detail["context"] is None
    assert detail["sourceText"] is None


async def test_unknown_extraction_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/extractions/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Not Found"


async def test_context_parameter_is_bounded(client: httpx.AsyncClient, scenario: Scenario) -> None:
    response = await client.get(f"/extractions/{scenario.extraction(0, 'design')}?context=-1")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "context"
