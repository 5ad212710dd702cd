"""How a variable's answers become one coded value: each answer judged on its own evidence,
then the variable's multi-value rule applied in document order (replies made up here; the
engine tests send real ones over HTTP)."""

import uuid
from typing import Any

from coderai.extraction.grounding import DocumentIndex
from coderai.extraction.merge import AnswerCollector
from coderai.extraction.plan import plan_calls
from coderai.extraction.types import (
    DocumentInput,
    ExtractionOptions,
    ExtractionResult,
    VariablePrompt,
)
from coderai.models.enums import GroundingKind, ObservationMode
from coderai.projects.unit import UnitOfObservation
from coderai.prompts.generator import ProjectContext
from coderai.variables.definition import VariableFields
from tests.support.factories import generated_prompt

TEXT = (
    "The programme was funded by the World Bank. Matching funds came from the Gates "
    "Foundation. A later phase was again funded by the World Bank, and the design was a "
    "randomised trial."
)
OPTIONS = ExtractionOptions(
    context=ProjectContext("P", None, None, "English", None, UnitOfObservation())
)


def variable(name: str, type_: str, instructions: str, **fields: Any) -> VariablePrompt:
    definition = {"name": name, "type": type_, "instructions": instructions, **fields}
    return generated_prompt(OPTIONS.context, VariableFields.model_validate(definition))


def funder(rule: str, **handling: Any) -> VariablePrompt:
    handling = {"ifMultipleValues": rule, **handling}
    return variable("funder", "TEXT", "Who funded it.", uncertaintyHandling=handling)


def answer(value: Any, quote: str | None, confidence: float, name: str = "funder") -> Any:
    return {
        "variable": name,
        "quote": quote,
        "reasoning": "r",
        "value": value,
        "confidence": confidence,
    }


def merge(prompts: list[VariablePrompt], *answers: Any) -> dict[str, ExtractionResult]:
    document = DocumentInput(uuid.uuid4(), "d", TEXT, [0])
    (call,) = plan_calls(document, prompts, OPTIONS)
    collector = AnswerCollector(ObservationMode.DOCUMENT)
    collector.add(call, {"answers": list(answers)}, DocumentIndex(TEXT, [0]), OPTIONS)
    results = collector.results(prompts, OPTIONS)
    return {p.name: r for p, r in zip(prompts, results, strict=True)}


GATES = answer("Gates Foundation", "funds came from the Gates Foundation", 0.95)
WORLD_BANK = answer("World Bank", "was funded by the World Bank", 0.8)


def test_first_is_first_in_the_document_not_the_most_confident() -> None:
    result = merge([funder("FIRST")], GATES, WORLD_BANK)["funder"]
    assert result.value == "World Bank"
    assert result.source_text == "was funded by the World Bank"
    assert TEXT[result.char_start : result.char_end] == result.source_text  # type: ignore[misc]
    assert (result.confidence, result.flags, result.needs_review) == (0.8, [], False)


def test_all_lists_values_in_document_order_and_keeps_each_ones_evidence() -> None:
    made_up = answer("IMF", "a loan from the IMF", 0.9)
    result = merge([funder("ALL")], made_up, GATES, WORLD_BANK)["funder"]
    assert result.value == ["World Bank", "Gates Foundation", "IMF"]
    # The unsupported value stays visible but is not trusted: flagged, and the row's
    # confidence is the weakest value's (capped because its quote is not in the document).
    assert "UNGROUNDED" in result.flags and result.needs_review
    assert result.confidence == OPTIONS.ungrounded_confidence_cap
    assert result.source_text == GATES["quote"]  # the best-supported answer's quote


def test_all_withholds_an_uncertain_value_and_keeps_the_others() -> None:
    shaky = answer("Gates Foundation", "funds came from the Gates Foundation", 0.3)
    prompt = funder("ALL", ifUncertain="LEAVE_EMPTY", confidenceThreshold=0.6)
    result = merge([prompt], WORLD_BANK, shaky)["funder"]
    assert result.value == ["World Bank"]
    assert {"BELOW_THRESHOLD", "VALUE_WITHHELD"} <= set(result.flags)
    assert result.confidence == 0.8


def test_most_frequent_takes_the_common_value_with_its_best_quote() -> None:
    again = answer("World Bank", "again funded by the World Bank", 0.9)
    result = merge([funder("MOST_FREQUENT")], GATES, WORLD_BANK, again)["funder"]
    assert (result.value, result.source_text, result.confidence) == (
        "World Bank",
        "again funded by the World Bank",
        0.9,
    )


def test_flag_for_review_keeps_the_first_and_flags_the_others() -> None:
    result = merge([funder("FLAG_FOR_REVIEW")], GATES, WORLD_BANK)["funder"]
    assert result.value == "World Bank"
    assert "MULTIPLE_VALUES" in result.flags and result.needs_review


def test_a_value_outside_the_categories_is_null_flagged_and_sent_to_review() -> None:
    categories = {"categories": ["Cohort", "Case-control"]}
    design = variable("design", "CATEGORY", "The design.", classificationRules=categories)
    reply = answer("Randomised trial", "the design was a randomised trial", 0.9, "design")
    result = merge([design], reply)["design"]
    assert result.value is None
    assert "UNKNOWN_CATEGORY" in result.flags and result.needs_review
    assert result.raw_value == "Randomised trial"


def test_names_match_loosely_and_an_omitted_variable_is_not_found() -> None:
    adopted = variable("adopted", "BOOLEAN", "Was it adopted?", defaultValue=False)
    loose = answer("World Bank", "funded by the World Bank", 0.8, name=" Funder ")
    results = merge([funder("FIRST"), adopted], loose, answer("x", None, 0.9, "unknown"))
    assert results["funder"].value == "World Bank"
    assert results["funder"].grounding is GroundingKind.EXACT
    assert (results["adopted"].value, results["adopted"].flags) == (False, ["DEFAULT_APPLIED"])
    assert results["adopted"].source_text is None
