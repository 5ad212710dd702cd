"""Writes one extraction prompt per variable from the project context and the variable definition.

The prompt is deterministic: the same inputs give the same text, model config, response schema
and content hash, which is how an update that changes nothing is told apart from one that does.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from coderai.models.enums import MultiValueAction, ObservationMode, UncertainAction, VariableType
from coderai.projects.unit import UnitOfObservation
from coderai.variables.definition import VariableFields

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

TYPE_LABEL = {
    VariableType.TEXT: "text",
    VariableType.NUMBER: "number",
    VariableType.DATE: "date",
    VariableType.CATEGORY: "category",
    VariableType.BOOLEAN: "true/false",
}

# One line per type, word for word the same in every prompt of that type, so a call covering
# several variables states it once (extraction_service.combined_questions).
TYPE_GUIDANCE = {
    VariableType.TEXT: "Text: short, in or faithful to the document's words.",
    VariableType.NUMBER: "Numbers: as written, with any unit (45%, €3.5m); never computed.",
    VariableType.DATE: "Dates: ISO 8601 to the precision stated (YYYY, YYYY-MM or YYYY-MM-DD).",
    VariableType.CATEGORY: "Categories: exactly one listed category, chosen by its definition.",
    VariableType.BOOLEAN: "True/false: null (not false) when the document does not say.",
}

# Said to the model only when it differs from the default (flag for review: the evidence rules
# already ask for what is unclear); the threshold and action are applied after the call anyway.
UNCERTAIN_ACTION_TEXT = {
    UncertainAction.LEAVE_EMPTY: "answer null rather than guess",
    UncertainAction.BEST_GUESS: "still give your best guess, with a low confidence",
}

# The first value is the default and stated once for all variables (EVIDENCE_RULES).
MULTI_VALUE_TEXT = {
    MultiValueAction.ALL: "give one answer per value",
    MultiValueAction.MOST_FREQUENT: "answer the one the document mentions most often",
    MultiValueAction.FLAG_FOR_REVIEW: "give one answer per value (a reviewer will choose)",
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
    about = ", ".join(part for part in (ctx.domain, f"written in {ctx.language}") if part)
    line = f"You are coding {ctx.document_type or 'documents'} ({about}) into a research dataset."
    if ctx.description:
        line += f" Project: {ctx.description.strip()}"
    return [line]


def _unit_section(unit: UnitOfObservation) -> list[str]:
    what = unit.what_each_row_represents
    if unit.mode is ObservationMode.DOCUMENT:
        return [f"Each dataset row is {what}; answer once per document."]
    lines = [
        f"Each dataset row is {what}. A document may describe several of these entities; "
        f"identify each one this way: {unit.entity_identification_pattern}",
        "Answer for every entity separately, from the passages about it only; never merge "
        "two entities' values.",
    ]
    if unit.rows_per_document:
        lines.append(f"Expected entities per document: {unit.rows_per_document}.")
    return lines


EVIDENCE_RULES = [
    "Use only the document. Each answer gives `quote`, the shortest passage supporting it, "
    "copied verbatim (at most 300 characters); `reasoning`, one sentence linking quote and "
    "value that notes anything unclear; `value`; and `confidence`, 0 to 1. With no supporting "
    "passage, value and quote are null. Several values: the first, unless the variable says "
    "otherwise.",
]


def _variable_section(var: VariableFields) -> list[str]:
    title = f" ({var.display_name})" if var.display_name and var.display_name != var.name else ""
    lines = [f"Variable {var.name}{title}: {TYPE_LABEL[var.type]}."]
    if var.description:
        lines.append(f"Definition: {var.description.strip()}")
    lines += [var.instructions.strip(), TYPE_GUIDANCE[var.type]]
    rules = var.classification_rules
    if rules and rules.categories:
        lines.append("Categories:")
        for category in rules.categories:
            entry = f"- {category.value}"
            if category.definition:
                entry += f": {category.definition.strip()}"
            if category.synonyms:
                entry += f" Also written: {', '.join(category.synonyms)}."
            lines.append(entry)
            lines += [f"  e.g. {example}" for example in category.examples]
        if rules.allow_other:
            lines.append("If none fits, answer with the document's own term.")
    return lines


def _rules_section(var: VariableFields) -> list[str]:
    handling = var.uncertainty_handling
    lines = []
    if handling.if_uncertain in UNCERTAIN_ACTION_TEXT:
        lines.append(
            f"Below {handling.confidence_threshold:.2f} confidence, "
            f"{UNCERTAIN_ACTION_TEXT[handling.if_uncertain]}."
        )
    if handling.if_multiple_values in MULTI_VALUE_TEXT:
        rule = f"Several values: {MULTI_VALUE_TEXT[handling.if_multiple_values]}"
        if handling.if_multiple_values is MultiValueAction.ALL and handling.max_values:
            rule += f", at most {handling.max_values} values"
        lines.append(rule + ".")
    lines += [f"If {case.situation.strip()}: {case.action.strip()}" for case in var.edge_cases]
    rules = var.validation_rules
    if rules:
        low = None if rules.min is None else f"{rules.min:g}"
        high = None if rules.max is None else f"{rules.max:g}"
        lines += _range_line(low, high, "At least", "At most")
        lines += _range_line(rules.min_date, rules.max_date, "Not before", "Not after")
        if rules.pattern:
            lines.append(f"The value must match the regular expression {rules.pattern}")
        if rules.max_length:
            lines.append(f"At most {rules.max_length} characters.")
    return lines


def _range_line(low: str | None, high: str | None, above: str, below: str) -> list[str]:
    """A bound as the model reads it ("From 0 to 100.", "At least 1."), or nothing."""
    if low is not None and high is not None:
        return [f"From {low} to {high}."]
    if low is not None:
        return [f"{above} {low}."]
    return [] if high is None else [f"{below} {high}."]


def value_schema(var: VariableFields) -> dict[str, Any]:
    """JSON schema of one answer's `value` (a variable with several values gets one answer
    per value, so this is always a single value)."""
    if var.type is VariableType.NUMBER:
        # A figure with its unit ("€3.5m") is allowed; coercion keeps the unit beside it.
        return {"type": ["number", "string", "null"]}
    rules = var.classification_rules
    if var.type is VariableType.CATEGORY and rules and not rules.allow_other:
        return {"type": ["string", "null"], "enum": [c.value for c in rules.categories] + [None]}
    return {"type": [JSON_TYPE_BY_VARIABLE[var.type], "null"]}


ANSWER_FIELDS = ("quote", "reasoning", "value", "confidence")


def response_schema(var: VariableFields) -> dict[str, Any]:
    """The JSON schema of one answer for this variable. The evidence comes before the value so
    the model states what it rests on before answering."""
    return {
        "type": "object",
        "properties": {
            "quote": {"type": ["string", "null"]},
            "reasoning": {"type": "string"},
            "value": value_schema(var),
            "confidence": {"type": "number"},
        },
        "required": list(ANSWER_FIELDS),
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


_HEADING_PREFIX = "Variable "


@dataclass(frozen=True)
class PromptText:
    """A variable's prompt in its parts: the project's preamble, the variable's heading
    ("x (Pupils): number.") and its question (definition, instructions, categories, rules and
    any lessons from review). The generator renders it; the extraction engine parses stored
    prompts back into it, so a call covering several variables sends the preamble once."""

    name: str
    heading: str
    question: str
    preamble: str = ""

    def render(self) -> str:
        return f"{self.preamble}\n\n{_HEADING_PREFIX}{self.heading}\n{self.question}"

    @classmethod
    def parse(cls, name: str, prompt_text: str, preamble: str) -> "PromptText":
        """A stored prompt's parts. An edited prompt that lost the preamble keeps its whole
        text as the question; one that lost its heading line is headed by the name."""
        head = preamble + "\n\n"
        if prompt_text.startswith(head):
            text, kept_preamble = prompt_text[len(head) :], preamble
        else:
            text, kept_preamble = prompt_text, ""
        first, _, rest = text.partition("\n")
        if first.startswith((f"{_HEADING_PREFIX}{name}:", f"{_HEADING_PREFIX}{name} (")):
            return cls(name, first.removeprefix(_HEADING_PREFIX), rest, kept_preamble)
        return cls(name, name, text, kept_preamble)


def prompt_text_of(ctx: ProjectContext, var: VariableFields) -> PromptText:
    """The variable's prompt: the shared preamble, then its own heading and question."""
    heading, *question = _variable_section(var) + _rules_section(var)
    return PromptText(
        var.name,
        heading.removeprefix(_HEADING_PREFIX),
        "\n".join(question),
        shared_preamble(ctx),
    )


def generate_prompt(ctx: ProjectContext, var: VariableFields, *, model: str) -> GeneratedPrompt:
    """Build the prompt text, model config and answer schema for one variable."""
    prompt_text = prompt_text_of(ctx, var).render()
    config = model_config_for(var, model)
    schema = response_schema(var)
    return GeneratedPrompt(prompt_text, config, schema, content_hash(prompt_text, config, schema))
