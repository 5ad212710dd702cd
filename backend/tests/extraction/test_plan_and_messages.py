"""What one extraction call sends: the answer schema and the questions, built from the prompts
(pure functions; the engine tests check the same requests end to end over HTTP)."""

import json
import uuid
from dataclasses import replace
from typing import Any

from coderai.extraction.messages import combined_questions
from coderai.extraction.plan import answer_value_schema, call_schema, plan_calls
from coderai.extraction.types import DocumentInput, ExtractionOptions, VariablePrompt
from coderai.models.enums import ObservationMode
from coderai.projects.unit import UnitOfObservation
from coderai.prompts.generator import TYPE_GUIDANCE, ProjectContext, PromptText, shared_preamble
from coderai.variables.definition import VariableFields
from tests.support.factories import generated_prompt

CONTEXT = ProjectContext(
    name="Trials",
    description=None,
    domain="oncology",
    language="English",
    document_type="trial reports",
    unit=UnitOfObservation(),
)


def prompt_for(name: str, type_: str = "TEXT", **fields: Any) -> VariablePrompt:
    definition = VariableFields.model_validate(
        {"name": name, "type": type_, "instructions": f"The {name} of the trial.", **fields}
    )
    return generated_prompt(CONTEXT, definition)


UNSURE_EMPTY = {"confidenceThreshold": 0.6, "ifUncertain": "LEAVE_EMPTY"}
DESIGN = {"classificationRules": {"categories": ["RCT", "Cohort"]}}


def size(schema: dict[str, Any]) -> int:
    return len(json.dumps(schema, separators=(",", ":")))


def test_answer_schema_grows_only_by_the_variables_names() -> None:
    few = [prompt_for(f"v{i}", "NUMBER") for i in range(3)]
    many = [prompt_for(f"v{i}", "NUMBER") for i in range(40)]
    names = sum(len(json.dumps(p.name)) + 1 for p in many[3:])  # ',"v3"' and so on
    assert size(call_schema(many, ObservationMode.DOCUMENT)) == (
        size(call_schema(few, ObservationMode.DOCUMENT)) + names
    )


def test_one_kind_of_value_keeps_its_type_and_mixed_values_take_the_union() -> None:
    design = prompt_for("design", "CATEGORY", **DESIGN)
    assert answer_value_schema([design]) == {
        "type": ["string", "null"],
        "enum": ["RCT", "Cohort", None],
    }
    mixed = [design, prompt_for("n", "NUMBER"), prompt_for("ok", "BOOLEAN")]
    assert answer_value_schema(mixed) == {"type": ["string", "number", "boolean", "null"]}
    schema = call_schema(mixed, ObservationMode.ENTITY)
    entity = schema["properties"]["entities"]["items"]
    answer = entity["properties"]["answers"]["items"]
    assert entity["required"] == ["entity_id", "answers"]
    assert answer["required"] == ["variable", "quote", "reasoning", "value", "confidence"]
    assert answer["properties"]["variable"]["enum"] == ["design", "n", "ok"]


def test_answer_formats_and_shared_rules_are_stated_once() -> None:
    prompts = [
        prompt_for("a", "NUMBER", uncertaintyHandling=UNSURE_EMPTY, validationRules={"min": 0}),
        prompt_for("b", "NUMBER", uncertaintyHandling=UNSURE_EMPTY, validationRules={"min": 0}),
        prompt_for("c", "CATEGORY", **DESIGN),
    ]
    preamble = shared_preamble(CONTEXT)
    text = "\n".join(
        combined_questions([PromptText.parse(p.name, p.prompt_text, preamble) for p in prompts])
    )
    assert text.count(TYPE_GUIDANCE[prompts[0].definition.type]) == 1
    assert text.count(TYPE_GUIDANCE[prompts[2].definition.type]) == 1
    rule = "Below 0.60 confidence, answer null rather than guess."
    assert text.count(rule) == 1
    assert f"### Rules for every variable except c\n{rule}" in text
    # A rule shorter than a "Rules for …" heading stays with each variable: cheaper that way.
    assert text.count("At least 0.") == 2
    for heading in ("### a: number", "### b: number", "### c: category"):
        assert heading in text
    assert "- RCT" in text and "The c of the trial." in text


def test_an_edited_prompt_keeps_its_own_text() -> None:
    edited = "Count every arm separately and report the largest."
    questions = [
        PromptText.parse("arms", edited, preamble=""),
        PromptText.parse("b", "Variable b: text\nThe b.", preamble=""),
    ]
    text = "\n".join(combined_questions(questions))
    assert "### arms\nCount every arm separately and report the largest." in text
    assert "### b: text\nThe b." in text


def test_prompts_stored_when_values_came_as_lists_keep_their_list() -> None:
    """A prompt stored by an earlier version (refined or edited, so not regenerated) still
    asks for a list of values: its answers may carry one."""
    old = prompt_for("design", "CATEGORY", **DESIGN)
    listed = {"type": ["array", "null"], "items": {"type": "string", "enum": ["RCT", "Cohort"]}}
    old = replace(old, response_schema={"properties": {"value": listed}})
    assert answer_value_schema([old]) == listed
    assert answer_value_schema([old, prompt_for("n", "NUMBER")]) == {
        "anyOf": [
            {"type": ["string", "number", "null"]},
            {"type": "array", "items": {"type": ["string", "number"]}},
        ]
    }


def test_document_mode_sends_a_ten_page_report_in_one_call_and_entity_mode_splits_it() -> None:
    """A call's answer grows with the records in its chunk only in ENTITY mode, so only there
    are chunks small; in DOCUMENT mode a 5,000-word report is asked about once."""
    paragraph = "The trial enrolled patients at several sites across the region. " * 10
    text = "\n\n".join([paragraph] * 40)  # 4,000 words, 6,500 tokens by the chunker's count
    report = DocumentInput(uuid.uuid4(), "report", text, [0])
    prompts = [prompt_for("design", "CATEGORY", **DESIGN), prompt_for("n", "NUMBER")]
    entity = replace(
        CONTEXT,
        unit=UnitOfObservation(mode=ObservationMode.ENTITY, entity_identification_pattern="Arm"),
    )

    document_calls = plan_calls(report, prompts, ExtractionOptions(CONTEXT))
    entity_calls = plan_calls(report, prompts, ExtractionOptions(entity))
    per_variable = plan_calls(report, prompts, ExtractionOptions(CONTEXT, "per_variable"))

    capped = plan_calls(report, prompts, ExtractionOptions(entity, chunk_tokens=1000))

    assert [call.chunk.text for call in document_calls] == [text]
    assert len(entity_calls) == 3
    assert all(call.chunk.token_count <= 2500 for call in entity_calls)
    # A CHUNK_TOKENS lowered for a short-context model caps ENTITY chunks too.
    assert len(capped) > 6 and all(call.chunk.token_count <= 1000 for call in capped)
    assert [(c.chunk.text, c.prompts[0].name) for c in per_variable] == [
        (text, "design"),
        (text, "n"),
    ]


def test_validity_ranges_read_as_bounds_the_model_can_use() -> None:
    def rules_text(type_: str, **rules: Any) -> str:
        return prompt_for("v", type_, validationRules=rules).prompt_text

    assert "From 0 to 100." in rules_text("NUMBER", min=0, max=100)
    assert "At least 1." in rules_text("NUMBER", min=1)
    assert "At most 2.5." in rules_text("NUMBER", max=2.5)
    assert "Not before 1990-01-01." in rules_text("DATE", minDate="1990-01-01")
    assert "Not after 2020-12." in rules_text("DATE", maxDate="2020-12")
    assert "From 1990 to 2020-12-31." in rules_text("DATE", minDate="1990", maxDate="2020-12-31")
    assert "∞" not in rules_text("NUMBER", min=1) + rules_text("DATE", minDate="1990")
