"""Writes one extraction prompt per variable from the project context and the variable definition.

The prompt is deterministic: the same inputs give the same text, model config, response schema
and content hash, which is how an update that changes nothing is told apart from one that does.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from coderai.models.enums import MultiValueAction, ObservationMode, UncertainAction, VariableType
from coderai.schemas.project import UnitOfObservation
from coderai.schemas.variable import VariableFields

# Lower temperatures for closed answers; a little more room for free text.
TEMPERATURE_BY_TYPE = {
    VariableType.BOOLEAN: 0.1,
    VariableType.CATEGORY: 0.1,
    VariableType.DATE: 0.15,
    VariableType.NUMBER: 0.15,
    VariableType.TEXT: 0.2,
}
# Room for value + quote + short reasoning; TEXT answers are longer.
MAX_TOKENS_BY_TYPE = {
    VariableType.BOOLEAN: 300,
    VariableType.CATEGORY: 350,
    VariableType.DATE: 350,
    VariableType.NUMBER: 350,
    VariableType.TEXT: 700,
}

TYPE_GUIDANCE = {
    VariableType.TEXT: (
        "Answer with a short text taken from or faithfully summarising the document. "
        "Do not add information the document does not give."
    ),
    VariableType.NUMBER: (
        "Answer with the number. When the document states a unit or currency (%, €, people, "
        'mg), answer the figure as written, e.g. "€3.5m" or "45%", so the unit is kept; '
        "otherwise a JSON number. Do not compute values the document does not state."
    ),
    VariableType.DATE: (
        "Answer with an ISO 8601 date: YYYY-MM-DD, or YYYY-MM / YYYY when the document gives "
        "only a month or a year. Never invent a day or month that is not stated."
    ),
    VariableType.CATEGORY: (
        "Answer with exactly one of the allowed categories below, spelled as listed. Choose "
        "by the definitions, not by surface wording."
    ),
    VariableType.BOOLEAN: (
        "Answer true or false. Answer null (not false) when the document does not say."
    ),
}

UNCERTAIN_ACTION_TEXT = {
    UncertainAction.LEAVE_EMPTY: "answer null rather than guess",
    UncertainAction.BEST_GUESS: "give your best guess and lower the confidence accordingly",
    UncertainAction.FLAG_FOR_REVIEW: (
        "give your best answer, lower the confidence, and say in the reasoning what is unclear "
        "so a reviewer can check it"
    ),
}

MULTI_VALUE_TEXT = {
    MultiValueAction.FIRST: "report only the first one that appears in the document",
    MultiValueAction.ALL: "report all of them as a list",
    MultiValueAction.MOST_FREQUENT: "report the one the document mentions most often",
    MultiValueAction.FLAG_FOR_REVIEW: (
        "report the first one and say in the reasoning that there are several"
    ),
}

JSON_TYPE_BY_VARIABLE = {
    VariableType.TEXT: "string",
    VariableType.NUMBER: "number",
    VariableType.DATE: "string",
    VariableType.CATEGORY: "string",
    VariableType.BOOLEAN: "boolean",
}


@dataclass(frozen=True)
class ProjectContext:
    """The parts of a project that a prompt depends on."""

    name: str
    description: str | None
    domain: str | None
    language: str
    document_type: str | None
    unit: UnitOfObservation


@dataclass(frozen=True)
class GeneratedPrompt:
    prompt_text: str
    llm_config: dict[str, Any]
    response_schema: dict[str, Any]
    content_hash: str


def content_hash(prompt_text: str, llm_config: dict[str, Any], schema: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"prompt": prompt_text, "config": llm_config, "schema": schema},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _context_section(ctx: ProjectContext) -> list[str]:
    documents = ctx.document_type or "documents"
    line = f"You are coding {documents}"
    if ctx.domain:
        line += f" in the field of {ctx.domain}"
    line += f", written in {ctx.language}, to build a research dataset"
    lines = [line + "."]
    if ctx.description:
        lines.append(f"About the project: {ctx.description.strip()}")
    return lines


def _unit_section(unit: UnitOfObservation) -> list[str]:
    lines = [
        f"Unit of observation: each row of the dataset represents {unit.what_each_row_represents}."
    ]
    if unit.mode is ObservationMode.ENTITY:
        lines += [
            "A document may describe several of these units (entities). Identify each entity "
            f"this way: {unit.entity_identification_pattern}",
            "Answer separately for every entity you identify, using only the passages about "
            "that entity; never merge two entities' values.",
        ]
        if unit.rows_per_document:
            lines.append(f"Expected entities per document: {unit.rows_per_document}.")
    else:
        lines.append("Answer once for the whole document.")
    return lines


def _variable_section(var: VariableFields) -> list[str]:
    title = var.display_name or var.name
    lines = [f"Variable `{var.name}` ({title}), type {var.type.value}."]
    if var.description:
        lines.append(f"Definition: {var.description.strip()}")
    lines += ["Instructions:", var.instructions.strip(), "", TYPE_GUIDANCE[var.type]]
    rules = var.classification_rules
    if rules and rules.categories:
        lines.append("Allowed categories:")
        for category in rules.categories:
            entry = f"- {category.value}"
            if category.definition:
                entry += f": {category.definition.strip()}"
            if category.synonyms:
                entry += f" (also written as: {', '.join(category.synonyms)})"
            lines.append(entry)
            lines += [f"    e.g. {example}" for example in category.examples]
        if rules.allow_other:
            lines.append("If none fits, answer with the document's own term.")
    return lines


def _rules_section(var: VariableFields) -> list[str]:
    handling = var.uncertainty_handling
    lines = [
        "Uncertainty: give a confidence between 0 and 1. If your confidence is below "
        f"{handling.confidence_threshold:.2f}, {UNCERTAIN_ACTION_TEXT[handling.if_uncertain]}.",
        f"If the document gives several values, {MULTI_VALUE_TEXT[handling.if_multiple_values]}.",
    ]
    if handling.if_multiple_values is MultiValueAction.ALL and handling.max_values:
        lines.append(f"Report at most {handling.max_values} values.")
    if var.edge_cases:
        lines.append("Edge cases:")
        lines += [
            f"- When {case.situation.strip()}: {case.action.strip()}" for case in var.edge_cases
        ]
    rules = var.validation_rules
    if rules:
        if rules.min is not None or rules.max is not None:
            low = "-∞" if rules.min is None else f"{rules.min:g}"
            high = "∞" if rules.max is None else f"{rules.max:g}"
            lines.append(
                f"Valid values lie between {low} and {high}; re-read the passage otherwise."
            )
        if rules.min_date or rules.max_date:
            lines.append(
                f"Valid dates lie between {rules.min_date or 'any date'} and "
                f"{rules.max_date or 'any date'}."
            )
        if rules.pattern:
            lines.append(f"The value must match the regular expression {rules.pattern}.")
        if rules.max_length:
            lines.append(f"Keep the value under {rules.max_length} characters.")
    if var.default_value is not None:
        lines.append(
            "If the document does not state it, answer null; the dataset will record "
            f"{json.dumps(var.default_value)} as the default."
        )
    else:
        lines.append("If the document does not state it, answer null.")
    return lines


EVIDENCE_RULES = [
    "Evidence: copy the shortest passage that supports your answer into `quote`, verbatim "
    "(exact characters, at most 300), from the document only. If no passage supports an "
    "answer, set value and quote to null.",
    "Give one or two sentences of reasoning that connect the quote to the answer.",
]


def value_schema(var: VariableFields) -> dict[str, Any]:
    """JSON schema of the `value` field for this variable's type and multi-value rule."""
    scalar: dict[str, Any] = {"type": [JSON_TYPE_BY_VARIABLE[var.type], "null"]}
    if var.type is VariableType.NUMBER:
        # A figure with its unit ("€3.5m") is allowed; coercion keeps the unit beside it.
        scalar = {"type": ["number", "string", "null"]}
    rules = var.classification_rules
    if var.type is VariableType.CATEGORY and rules and not rules.allow_other:
        scalar = {"type": ["string", "null"], "enum": [c.value for c in rules.categories] + [None]}
    if var.uncertainty_handling.if_multiple_values is MultiValueAction.ALL:
        items = dict(scalar, type=[t for t in scalar["type"] if t != "null"])
        if "enum" in items:
            items["enum"] = [c for c in items["enum"] if c is not None]
        return {"type": ["array", "null"], "items": items}
    return scalar


def response_schema(var: VariableFields) -> dict[str, Any]:
    """The JSON schema of one variable's answer: value, confidence, quote and reasoning."""
    return {
        "type": "object",
        "properties": {
            "value": value_schema(var),
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "quote": {"type": ["string", "null"]},
            "reasoning": {"type": "string"},
        },
        "required": ["value", "confidence", "quote", "reasoning"],
        "additionalProperties": False,
    }


def model_config_for(var: VariableFields, model: str) -> dict[str, Any]:
    max_tokens = MAX_TOKENS_BY_TYPE[var.type]
    handling = var.uncertainty_handling
    if handling.if_multiple_values is MultiValueAction.ALL:
        max_tokens += 60 * (handling.max_values or 5)
    return {"model": model, "temperature": TEMPERATURE_BY_TYPE[var.type], "maxTokens": max_tokens}


def shared_preamble(ctx: ProjectContext) -> str:
    """The part of every variable's prompt that depends only on the project: context, unit of
    observation and evidence rules. A call covering several variables sends it once."""
    sections = [_context_section(ctx), _unit_section(ctx.unit), EVIDENCE_RULES]
    return "\n\n".join("\n".join(section) for section in sections)


def variable_block(var: VariableFields) -> str:
    """The variable's own question: definition, instructions, categories and rules."""
    return "\n\n".join("\n".join(s) for s in (_variable_section(var), _rules_section(var)))


def question_of(prompt_text: str, preamble: str) -> str:
    """A stored prompt without the project preamble (the whole text if it was edited away)."""
    head = preamble + "\n\n"
    return prompt_text[len(head) :] if prompt_text.startswith(head) else prompt_text


def generate_prompt(ctx: ProjectContext, var: VariableFields, *, model: str) -> GeneratedPrompt:
    """Build the prompt text, model config and answer schema for one variable."""
    prompt_text = shared_preamble(ctx) + "\n\n" + variable_block(var)
    config = model_config_for(var, model)
    schema = response_schema(var)
    return GeneratedPrompt(prompt_text, config, schema, content_hash(prompt_text, config, schema))
