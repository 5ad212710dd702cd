"""Lessons from review, as data and as prompt text (pure: no database, no LLM).

A refinement is kept twice: rendered as a "lessons" block at the end of a prompt (what the model
reads) and as JSON in `Prompt.note` (what lets a regenerated prompt get the same lessons back).
The block is appended after the variable's question, so the shared project preamble stays the
prompt's prefix and `PromptText.parse` still finds it.
"""

import difflib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from coderai.extraction.coercion.values import JsonValue, coerce_value
from coderai.models import Prompt
from coderai.models.enums import VariableType, Verdict
from coderai.prompts.schemas import CategoryClarification, FewShotExample, Refinements
from coderai.review.analysis import ErrorKind, ReviewAnalysis, ReviewedItem, classify_error
from coderai.variables.definition import VariableFields

NOTE_FORMAT = "coderai.refinement/1"
LESSONS_BEGIN = "Lessons from reviewed answers:"
LESSONS_END = "(End of lessons from reviewed answers.)"
MAX_EXAMPLES = 8
MAX_QUOTE_CHARS = 300

FORMAT_REMINDERS = {
    VariableType.NUMBER: (
        "Give numbers as plain JSON numbers: '.' for decimals, no thousands separators, no "
        "units in the value."
    ),
    VariableType.DATE: "Give dates in ISO 8601 (YYYY-MM-DD, YYYY-MM or YYYY).",
    VariableType.CATEGORY: "Spell the category exactly as it is listed above.",
    VariableType.BOOLEAN: "Answer with JSON true or false, not with words.",
    VariableType.TEXT: (
        "Write the value as reviewers expect it: the document's own spelling, no extra "
        "capitals, spaces or punctuation."
    ),
}


def as_json(value: JsonValue) -> str:
    """A value as the model should write it (JSON, non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False)


def short_quote(quote: str) -> str:
    """A quote on one line, cut to MAX_QUOTE_CHARS."""
    quote = " ".join(quote.split())
    return quote if len(quote) <= MAX_QUOTE_CHARS else quote[: MAX_QUOTE_CHARS - 1] + "…"


def _label(definition: VariableFields) -> str:
    return f"`{definition.name}`"


def build_refinements(
    definition: VariableFields, analysis: ReviewAnalysis, items: Sequence[ReviewedItem]
) -> Refinements:
    """The additions a draft gets from the reviewed errors: counter-examples (quote → correct
    value), category distinctions, leave-empty and format rules."""
    examples: list[FewShotExample] = []
    for item in items:
        kind = classify_error(definition.type, item)
        if kind is None or not item.truth_known or not item.quote:
            continue
        if kind in (ErrorKind.OTHER, ErrorKind.MISSED):
            continue  # nothing to show: same value, or no passage the model looked at
        examples.append(
            FewShotExample(
                quote=short_quote(item.quote),
                value=item.truth,
                wrong_value=item.raw_answer if kind is ErrorKind.OUT_OF_LIST else item.model_value,
                note=item.note,
            )
        )
    counts = {summary.kind: summary.count for summary in analysis.errors}
    leave_empty: list[str] = []
    if counts.get(ErrorKind.INVENTED):
        leave_empty.append(
            f"Leave {_label(definition)} empty (null) when the document does not explicitly "
            "state it; do not infer, compute or assume a value."
        )
    if counts.get(ErrorKind.UNGROUNDED):
        leave_empty.append(
            "Answer only with a value you can support by a verbatim quote from the document; "
            "without such a passage answer null."
        )
    missed = []
    if counts.get(ErrorKind.MISSED):
        missed.append(
            f"Read the whole document before answering null: reviewers found {_label(definition)} "
            "stated in documents where it had been left empty."
        )
    formats = []
    if counts.get(ErrorKind.FORMAT):
        formats.append(FORMAT_REMINDERS[definition.type])
    return Refinements(
        examples=_distinct_examples(examples)[:MAX_EXAMPLES],
        category_clarifications=[
            CategoryClarification(
                model_value=pair.model_value, correct_value=pair.correct_value, count=pair.count
            )
            for pair in analysis.confusion
        ],
        leave_empty_rules=leave_empty,
        missed_value_rules=missed,
        format_rules=formats,
    )


def _distinct_examples(examples: Sequence[FewShotExample]) -> list[FewShotExample]:
    seen: set[tuple[str | None, str]] = set()
    kept = []
    for example in examples:
        key = (example.quote, as_json(example.value))
        if key not in seen:
            seen.add(key)
            kept.append(example)
    return kept


def merge_refinements(previous: Refinements | None, new: Refinements) -> Refinements:
    """New lessons first, earlier ones kept (examples capped); a confusion pair seen again
    takes its latest count."""
    if previous is None:
        return new
    pairs = {(c.model_value, c.correct_value): c for c in previous.category_clarifications}
    pairs.update({(c.model_value, c.correct_value): c for c in new.category_clarifications})

    def rules(old: list[str], added: list[str]) -> list[str]:
        return list(dict.fromkeys([*old, *added]))

    return Refinements(
        examples=_distinct_examples([*new.examples, *previous.examples])[:MAX_EXAMPLES],
        category_clarifications=list(pairs.values()),
        leave_empty_rules=rules(previous.leave_empty_rules, new.leave_empty_rules),
        missed_value_rules=rules(previous.missed_value_rules, new.missed_value_rules),
        format_rules=rules(previous.format_rules, new.format_rules),
        clarified_instructions=new.clarified_instructions or previous.clarified_instructions,
    )


def category_definitions(definition: VariableFields) -> dict[str, str | None]:
    """Each allowed category's definition (empty for non-CATEGORY variables)."""
    rules = definition.classification_rules
    return {c.value: c.definition for c in rules.categories} if rules else {}


def render_lessons(refinements: Refinements, definition: VariableFields) -> str:
    """The lessons block appended to a prompt (category definitions come from `definition`,
    so a regenerated prompt shows the current ones)."""
    lines = [LESSONS_BEGIN]
    if refinements.clarified_instructions:
        lines += ["Clarified instructions:", refinements.clarified_instructions.strip()]
    if refinements.category_clarifications:
        meanings = category_definitions(definition)
        lines.append("Categories that were confused:")
        for pair in refinements.category_clarifications:
            times = "once" if pair.count == 1 else f"{pair.count} times"
            line = (
                f"- Reviewers corrected `{pair.model_value}` to `{pair.correct_value}` ({times})."
            )
            for value in (pair.correct_value, pair.model_value):
                if meanings.get(value):
                    line += f" {value} means: {meanings[value]}"
            lines.append(line + f" Check the definitions before answering {pair.model_value}.")
    rules = [
        *refinements.leave_empty_rules,
        *refinements.missed_value_rules,
        *refinements.format_rules,
    ]
    if rules:
        lines.append("Rules:")
        lines += [f"- {rule}" for rule in rules]
    if refinements.examples:
        lines.append("Corrected examples (passage → correct answer):")
        for example in refinements.examples:
            line = f'- "{example.quote}" → {as_json(example.value)}'
            if example.value is None:
                line += " (the passage does not state it)"
            if example.wrong_value is not None:
                line += f", not {as_json(example.wrong_value)}"
            if example.note:
                line += f" (reviewer: {' '.join(example.note.split())})"
            lines.append(line)
    lines.append(LESSONS_END)
    return "\n".join(lines)


def strip_lessons(prompt_text: str) -> str:
    """The prompt text without its lessons block (text after the block is kept)."""
    begin = prompt_text.find(LESSONS_BEGIN)
    if begin < 0:
        return prompt_text
    end = prompt_text.find(LESSONS_END, begin)
    tail = "" if end < 0 else prompt_text[end + len(LESSONS_END) :]
    return (prompt_text[:begin].rstrip() + tail).rstrip()


def with_lessons(prompt_text: str, refinements: Refinements, definition: VariableFields) -> str:
    """`prompt_text` with its lessons block replaced by `refinements` (appended at the end, so
    the shared project preamble stays a prefix)."""
    base = strip_lessons(prompt_text)
    if refinements.is_empty():
        return base
    return base + "\n\n" + render_lessons(refinements, definition)


def still_valid(
    refinements: Refinements, previous_type: VariableType | None, definition: VariableFields
) -> Refinements:
    """Drop lessons a changed definition made wrong: examples whose value is no longer valid,
    confusion pairs naming a removed category, format reminders of another type."""
    same_type = previous_type is definition.type

    def valid(value: JsonValue) -> bool:
        if value is None:
            return True
        coerced = coerce_value(
            value, definition.type, classification=definition.classification_rules
        )
        return coerced.error is None and coerced.value == value

    categories = set(category_definitions(definition))
    examples = [
        # A wrong answer that is no longer even allowed is not worth warning about.
        e if valid(e.wrong_value) else e.model_copy(update={"wrong_value": None})
        for e in refinements.examples
        if valid(e.value)
    ]
    return Refinements(
        examples=examples,
        category_clarifications=[
            c
            for c in refinements.category_clarifications
            if definition.type is VariableType.CATEGORY
            and {c.model_value, c.correct_value} <= categories
        ],
        leave_empty_rules=refinements.leave_empty_rules,
        missed_value_rules=refinements.missed_value_rules,
        format_rules=refinements.format_rules if same_type else [],
        clarified_instructions=refinements.clarified_instructions if same_type else None,
    )


@dataclass(frozen=True)
class RefinementNote:
    """What `Prompt.note` holds for a prompt carrying refinements."""

    summary: str
    refinements: Refinements
    variable_type: VariableType
    details: dict[str, Any]

    def dumps(self) -> str:
        return json.dumps(
            {
                "format": NOTE_FORMAT,
                "summary": self.summary,
                "variableType": self.variable_type.value,
                "refinements": self.refinements.model_dump(mode="json", by_alias=True),
                **self.details,
            },
            ensure_ascii=False,
        )


# The note's list of the units — [documentId, entityIndex] — whose reviewed answers its
# lessons were learnt from, cumulative over the refinements it carries. A draft is scored
# only on reviewed answers outside it (prompts.evaluation).
BUILT_FROM = "builtFrom"

Unit = tuple[str, int]


def built_from(note: str | None) -> set[Unit]:
    """The units a prompt's lessons were learnt from (empty for prompts without lessons)."""
    parsed = parse_note(note)
    if parsed is None:
        return set()
    units = parsed.details.get(BUILT_FROM) or []
    return {(str(document), int(entity)) for document, entity in units}


# Every HOLD_OUT_EVERY-th reviewed answer not yet learnt from is kept out of a refinement, so
# the draft can be scored on answers it has not seen.
HOLD_OUT_EVERY = 3


def unit_of(item: ReviewedItem) -> Unit:
    return str(item.document_id), item.entity_index


def split_held_out(
    items: Sequence[ReviewedItem], learnt: set[Unit], salt: str
) -> tuple[list[ReviewedItem], list[ReviewedItem]]:
    """(learn from, held out): of the reviewed answers not in `learnt`, every third is held
    out — errors and correct answers alike (stratified), in an order fixed by `salt`, so the
    same reviews give the same split. Answers already learnt from are never held out."""

    def order(item: ReviewedItem) -> str:
        return hashlib.sha256(f"{salt}:{item.document_id}:{item.entity_index}".encode()).hexdigest()

    fresh = [i for i in items if unit_of(i) not in learnt]
    held: set[Unit] = set()
    for correct in (False, True):
        group = sorted((i for i in fresh if (i.verdict is Verdict.CORRECT) == correct), key=order)
        held |= {
            unit_of(i) for n, i in enumerate(group) if n % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1
        }
    return [i for i in items if unit_of(i) not in held], [i for i in items if unit_of(i) in held]


def parse_note(note: str | None) -> RefinementNote | None:
    """The refinement a prompt carries, or None (plain notes, other prompts)."""
    if not note or not note.startswith("{"):
        return None
    try:
        data = json.loads(note)
        if not isinstance(data, dict) or data.get("format") != NOTE_FORMAT:
            return None
        refinements = Refinements.model_validate(data["refinements"])
        variable_type = VariableType(data["variableType"])
    except (ValueError, KeyError, ValidationError):
        return None
    details = {
        k: v
        for k, v in data.items()
        if k not in ("format", "summary", "variableType", "refinements")
    }
    return RefinementNote(str(data.get("summary", "")), refinements, variable_type, details)


def reapplied(
    previous: Prompt, generated_text: str, definition: VariableFields
) -> tuple[str, str] | None:
    """(text, note) of a regenerated prompt carrying `previous`'s refinements, or None when
    `previous` carries none (or none survive the new definition). For `regenerate`."""
    carried = parse_note(previous.note)
    if carried is None:
        return None
    refinements = still_valid(carried.refinements, carried.variable_type, definition)
    if refinements.is_empty():
        return None
    note = RefinementNote(
        summary=f"Regenerated; the refinements of v{previous.version} were re-applied.",
        refinements=refinements,
        variable_type=definition.type,
        details={
            "reappliedFrom": previous.version,
            BUILT_FROM: carried.details.get(BUILT_FROM, []),
        },
    )
    return with_lessons(generated_text, refinements, definition), note.dumps()


def prompt_diff(active: Prompt | None, draft: Prompt) -> str:
    """Unified diff of the prompt text (and model config) from the active version."""
    before = active.prompt_text.splitlines(keepends=True) if active else []
    after = draft.prompt_text.splitlines(keepends=True)
    lines = list(
        difflib.unified_diff(
            [line if line.endswith("\n") else line + "\n" for line in before],
            [line if line.endswith("\n") else line + "\n" for line in after],
            fromfile=f"v{active.version} (active)" if active else "(no active version)",
            tofile=f"v{draft.version} (draft)",
        )
    )
    if active is not None and active.llm_config != draft.llm_config:
        lines.append(
            f"# modelConfig: {json.dumps(active.llm_config, sort_keys=True)} -> "
            f"{json.dumps(draft.llm_config, sort_keys=True)}\n"
        )
    return "".join(lines)
