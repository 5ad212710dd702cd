"""What one extraction call sends: the answer schema and the questions, built from the prompts
(pure functions; the engine tests check the same requests end to end over HTTP)."""

import json
from dataclasses import replace
from typing import Any

from coderai.models.enums import ObservationMode
from coderai.schemas.project import UnitOfObservation
from coderai.schemas.variable import VariableFields
from coderai.services.extraction_service import answer_value_schema, call_schema, combined_questions
from coderai.services.extraction_types import VariablePrompt
from coderai.services.prompt_generator import (
    TYPE_GUIDANCE,
    ProjectContext,
    question_of,
    shared_preamble,
)
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
        prompt_for("a", "NUMBER", validationRules={"min": 0}),
        prompt_for("b", "NUMBER", validationRules={"min": 0}),
        prompt_for("c", "CATEGORY", **DESIGN),
    ]
    preamble = shared_preamble(CONTEXT)
    text = "\n".join(
        combined_questions([(p.name, question_of(p.prompt_text, preamble)) for p in prompts])
    )
    assert text.count(TYPE_GUIDANCE[prompts[0].definition.type]) == 1
    assert text.count(TYPE_GUIDANCE[prompts[2].definition.type]) == 1
    assert text.count("Valid values: 0 to ∞.") == 1
    assert "### Rules for every variable except c\nValid values: 0 to ∞." in text
    for heading in ("### a: number", "### b: number", "### c: category"):
        assert heading in text
    assert "- RCT" in text and "The c of the trial." in text


def test_an_edited_prompt_keeps_its_own_text() -> None:
    edited = "Count every arm separately and report the largest."
    text = "\n".join(combined_questions([("arms", edited), ("b", "Variable b: text\nThe b.")]))
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
