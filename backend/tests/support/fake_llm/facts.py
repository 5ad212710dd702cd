"""Planted facts and the schema-driven answers the fake LLM builds from them.

A test plants rules ("variable X is found by this regex"); the fake reads the document between
the `<document>` / `</document>` lines of the prompt, applies the rules and fills whatever JSON
schema the request sent: an object of variables, or a list of answers that name their variable
(the extraction service's layout: one answer per variable, and one per distinct value where a
fact matches several, the way a model lists what it sees); in ENTITY mode `entities`, a list
of such objects, one per segment of the document.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

# One token per four characters, rounded up: OpenAI's rule of thumb for English text. The fake
# uses it everywhere (usage, rate limits, truncation, prefix caching) so its numbers are
# self-consistent; they are not what a real tokenizer would say.
CHARS_PER_TOKEN = 4

# The engine fences the document with two identical `<<<DOCUMENT <hex>>>>` lines; the older
# `<document>` / `</document>` pair is still understood.
_DOCUMENT_BLOCK = re.compile(
    r"^(<document>|<<<DOCUMENT [0-9a-f]+>>>)[ \t]*\r?\n(.*?)\r?\n(?:</document>|\1)[ \t]*$",
    re.S | re.M,
)
_NUMBER = re.compile(r"[-+]?\d[\d,\s]*(?:\.\d+)?|[-+]?\.\d+")
_TRUE_WORDS = {"true", "yes", "y", "1", "present", "on"}
_FALSE_WORDS = {"false", "no", "n", "0", "absent", "off", "none"}


def count_tokens(text: str) -> int:
    """Approximate token count of `text` (characters / 4, rounded up)."""
    return -(-len(text) // CHARS_PER_TOKEN)


def extract_document(prompt_text: str) -> str:
    """The text between the document's fence lines, or "" when absent."""
    match = _DOCUMENT_BLOCK.search(prompt_text)
    return match.group(2) if match else ""


def strip_document(prompt_text: str) -> str:
    """The prompt with its document block removed (what conditional facts look at)."""
    return _DOCUMENT_BLOCK.sub("", prompt_text)


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


class _Unset:
    """Marker for "no explicit value": the value comes from the regex match."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class Fact:
    """One planted rule: where `variable`'s answer sits in a document and what it is."""

    variable: str
    pattern: re.Pattern[str]
    value: Any = UNSET
    confidence: float = 0.9
    when_prompt_contains: tuple[str, ...] = ()
    otherwise_value: Any = None
    reasoning: str | None = None
    # Only requests naming this model see the fact (a second model that reads differently).
    model: str | None = None

    def applies_to(self, model: str | None) -> bool:
        return self.model is None or self.model == model

    def condition_met(self, prompt: str) -> bool:
        """Whether every required phrase appears in the prompt (case/whitespace-insensitive)."""
        normalised = _normalise(prompt)
        return all(_normalise(phrase) in normalised for phrase in self.when_prompt_contains)

    def value_of(self, match: re.Match[str]) -> Any:
        if not isinstance(self.value, _Unset):
            return self.value
        if "value" in self.pattern.groupindex and match.group("value") is not None:
            return match.group("value")
        return match.group(0)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "variable": self.variable,
            "pattern": self.pattern.pattern,
            "flags": int(self.pattern.flags & ~re.UNICODE),
            "confidence": self.confidence,
            "when_prompt_contains": list(self.when_prompt_contains),
            "otherwise_value": self.otherwise_value,
            "reasoning": self.reasoning,
            "model": self.model,
        }
        if not isinstance(self.value, _Unset):
            data["value"] = self.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fact:
        return make_fact(
            data["variable"],
            data["pattern"],
            value=data.get("value", UNSET),
            confidence=float(data.get("confidence", 0.9)),
            when_prompt_contains=data.get("when_prompt_contains"),
            otherwise_value=data.get("otherwise_value"),
            flags=int(data.get("flags", 0)),
            reasoning=data.get("reasoning"),
            model=data.get("model"),
        )


def make_fact(
    variable: str,
    pattern: str | re.Pattern[str],
    *,
    value: Any = UNSET,
    confidence: float = 0.9,
    when_prompt_contains: str | list[str] | tuple[str, ...] | None = None,
    otherwise_value: Any = None,
    flags: int = 0,
    reasoning: str | None = None,
    model: str | None = None,
) -> Fact:
    """Build a `Fact`, compiling the pattern and normalising the condition to a tuple."""
    compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
    if when_prompt_contains is None:
        conditions: tuple[str, ...] = ()
    elif isinstance(when_prompt_contains, str):
        conditions = (when_prompt_contains,)
    else:
        conditions = tuple(when_prompt_contains)
    return Fact(
        variable=variable,
        pattern=compiled,
        value=value,
        confidence=confidence,
        when_prompt_contains=conditions,
        otherwise_value=otherwise_value,
        reasoning=reasoning,
        model=model,
    )


@dataclass
class Finding:
    """What the fake "read" for one variable in one stretch of text."""

    value: Any
    quote: str | None
    confidence: float
    reasoning: str


@dataclass
class FactBook:
    """The planted facts and the entity pattern, and the answers built from them."""

    facts: list[Fact] = field(default_factory=list)
    entity_pattern: re.Pattern[str] | None = None
    missing_confidence: float = 0.1

    def find(
        self,
        variable: str,
        text: str,
        prompt: str,
        *,
        many: bool = False,
        model: str | None = None,
    ) -> Finding:
        """Apply the first fact for `variable` whose pattern matches `text` (with `many`, the
        value is the list of the distinct values it matches)."""
        findings = self.find_each(variable, text, prompt, model=model)
        first = findings[0]
        if many and len(findings) > 1:
            return Finding(
                [f.value for f in findings], first.quote, first.confidence, first.reasoning
            )
        return first

    def find_each(
        self, variable: str, text: str, prompt: str, *, model: str | None = None
    ) -> list[Finding]:
        """One finding per distinct value the first matching fact for `variable` (among those
        that apply to `model`) finds, in document order, each with the quote it was read from;
        one empty finding if none."""
        for fact in self.facts:
            if fact.variable != variable or not fact.applies_to(model):
                continue
            matches = list(fact.pattern.finditer(text))
            if not matches:
                continue
            if not fact.condition_met(prompt):
                quote = matches[0].group(0)
                reasoning = f'Read "{_clip(quote)}" as {json.dumps(fact.otherwise_value)}.'
                return [Finding(fact.otherwise_value, quote, fact.confidence, reasoning)]
            findings: list[Finding] = []
            for match in matches:
                value = fact.value_of(match)
                if any(f.value == value for f in findings):
                    continue
                quote = match.group(0)
                reasoning = fact.reasoning or f'The document says "{_clip(quote)}".'
                findings.append(Finding(value, quote, fact.confidence, reasoning))
            return findings
        return [
            Finding(
                None,
                None,
                self.missing_confidence,
                f"The document does not mention {variable}.",
            )
        ]

    def segments(self, document: str) -> list[str]:
        """One stretch of text per entity, each starting at an entity-pattern match.

        Text before the first match is left out; with no pattern set the whole document is one
        entity (and an empty document none).
        """
        if self.entity_pattern is None:
            return [document] if document.strip() else []
        starts = [match.start() for match in self.entity_pattern.finditer(document)]
        ends = [*starts[1:], len(document)]
        return [document[start:end] for start, end in zip(starts, ends, strict=True)]

    def answer(
        self, schema: dict[str, Any], document: str, prompt: str, *, model: str | None = None
    ) -> dict[str, Any]:
        """Fill `schema` (DOCUMENT or ENTITY mode) from the facts found in `document` that
        apply to the requested `model`."""
        properties = schema.get("properties") or {}
        entities: dict[str, Any] = properties.get("entities") or {}
        if set(properties) == {"entities"} and "array" in schema_types(entities):
            item_schema = entities.get("items") or {}
            return {
                "entities": [
                    self._record(item_schema, segment, prompt, model)
                    for segment in self.segments(document)
                ]
            }
        return self._record(schema, document, prompt, model)

    def _record(
        self, schema: dict[str, Any], text: str, prompt: str, model: str | None
    ) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties") or {}
        out: dict[str, Any] = {}
        for name, sub in properties.items():
            variables = _answer_variables(sub)
            if variables is None:
                out[name] = self._variable(name, sub, text, prompt, model)
            else:
                fields = sub["items"]["properties"]
                out[name] = [
                    {"variable": variable, **self._fill(fields, finding)}
                    for variable in variables
                    for finding in self.find_each(variable, text, prompt, model=model)
                ]
        return out

    def _variable(
        self, name: str, schema: dict[str, Any], text: str, prompt: str, model: str | None
    ) -> Any:
        fields: dict[str, Any] = schema.get("properties") or {}
        if "value" not in fields:
            # A bare variable (no value/confidence/quote wrapper): answer the value itself.
            many = "array" in schema_types(schema)
            finding = self.find(name, text, prompt, many=many, model=model)
            return coerce(finding.value, schema)
        many = "array" in schema_types(fields["value"])
        finding = self.find(name, text, prompt, many=many, model=model)
        return self._fill(fields, finding)

    @staticmethod
    def _fill(fields: dict[str, Any], finding: Finding) -> dict[str, Any]:
        """An answer object with the schema's fields, in the schema's order."""
        known = {
            "value": finding.value,
            "confidence": finding.confidence,
            "quote": finding.quote,
            "reasoning": finding.reasoning,
        }
        return {
            key: coerce(known[key], sub) if key in known else default_for(sub)
            for key, sub in fields.items()
            if key != "variable"
        }


def _answer_variables(schema: Any) -> list[str] | None:
    """The variable names of a list of answers (an array of objects whose `variable` field is
    an enum of names), or None for any other schema."""
    if not isinstance(schema, dict) or "array" not in schema_types(schema):
        return None
    fields = (schema.get("items") or {}).get("properties") or {}
    names = (fields.get("variable") or {}).get("enum")
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else None


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def schema_types(schema: Any) -> set[str]:
    """The JSON types a (sub)schema allows, looking through `anyOf`/`oneOf` and `enum`."""
    if not isinstance(schema, dict):
        return set()
    types: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        types.add(declared)
    elif isinstance(declared, list):
        types.update(t for t in declared if isinstance(t, str))
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key) or []:
            types |= schema_types(option)
    if not types and "enum" in schema:
        types |= {_json_type(item) for item in schema["enum"]}
    return types


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _branch(schema: dict[str, Any], json_type: str) -> dict[str, Any]:
    """The `anyOf`/`oneOf` option that holds `json_type` (for its `items`, `enum`…)."""
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key) or []:
            if json_type in schema_types(option):
                return dict(option)
    return schema


def default_for(schema: Any) -> Any:
    """A harmless value of the schema's type (null when allowed)."""
    types = schema_types(schema)
    if "null" in types or not types:
        return None
    for json_type, value in (
        ("string", ""),
        ("number", 0.0),
        ("integer", 0),
        ("boolean", False),
        ("array", []),
        ("object", {}),
    ):
        if json_type in types:
            return value
    return None


def coerce(value: Any, schema: Any) -> Any:
    """Turn a found value into what the schema asks for (string, number, boolean, array…)."""
    types = schema_types(schema)
    if not types:
        return value
    if value is None:
        return default_for(schema)
    if "array" in types and not (isinstance(value, str) and "string" in types):
        items = value if isinstance(value, list) else [value]
        item_schema = _branch(schema, "array").get("items") or {}
        return [coerce(item, item_schema) for item in items]
    if isinstance(value, list):
        return coerce(value[0] if value else None, schema)
    value_type = _json_type(value)
    if value_type in types or (value_type == "integer" and "number" in types):
        return _match_enum(value, schema)
    if "integer" in types or "number" in types:
        number = _parse_number(value)
        if number is not None:
            # Whole numbers come back as JSON integers, as a model would write them.
            if number.is_integer() or "number" not in types:
                return round(number)
            return number
    if "boolean" in types:
        flag = _parse_bool(value)
        if flag is not None:
            return flag
    if "string" in types:
        text = json.dumps(value) if isinstance(value, bool) else str(value)
        return _match_enum(text, schema)
    return default_for(schema)


def _match_enum(value: Any, schema: dict[str, Any]) -> Any:
    allowed: list[Any] | None = None
    for candidate in (schema, _branch(schema, _json_type(value))):
        if "enum" in candidate:
            allowed = list(candidate["enum"])
    if allowed is None or value in allowed or not isinstance(value, str):
        return value
    for option in allowed:
        if isinstance(option, str) and option.casefold() == value.strip().casefold():
            return option
    return value


def _parse_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    match = _NUMBER.search(str(value))
    if match is None:
        return None
    digits = re.sub(r"[,\s]", "", match.group(0))
    try:
        return float(digits)
    except ValueError:
        return None


def _parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    word = str(value).strip().casefold()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return None
