"""Match a model's answer to a CATEGORY variable's allowed values.

Order: the exact value, then the value ignoring case, spaces, accents and punctuation, then the
rules' synonyms, then the same after dropping a label or explanation the model added
("Category: Urban", "Urban (large city)"), then a conservative fuzzy match for misspellings.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from coderai.variables.config import ClassificationRules

__all__ = ["CategoryMatch", "match_category"]

UNKNOWN_CATEGORY = "UNKNOWN_CATEGORY"
FUZZY_CATEGORY = "FUZZY_CATEGORY"
OTHER_CATEGORY = "OTHER_CATEGORY"
NO_CATEGORIES = "NO_CATEGORIES"
EXTRA_TEXT = "EXTRA_TEXT"

# Below this score (rapidfuzz ratio, 0-100) a category is not guessed from a misspelling.
FUZZY_CATEGORY_CUTOFF = 88.0
# ...and the runner-up category must trail by this much, or the guess is left to a human.
_FUZZY_CATEGORY_MARGIN = 6.0
_WRAPPING = " \t\n\"'`\u2018\u2019\u201c\u201d*_"


@dataclass(frozen=True, slots=True)
class CategoryMatch:
    """The canonical category value (or free text under allowOther, or None) and flags."""

    value: str | None
    flags: list[str] = field(default_factory=list)
    error: str | None = None


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def _fuzzy_form(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.split())


def _direct(text: str, rules: ClassificationRules) -> str | None:
    for category in rules.categories:
        if text == category.value:
            return category.value
    key = _key(text)
    if not key:
        return None
    for category in rules.categories:
        if key == _key(category.value):
            return category.value
    for category in rules.categories:
        if any(key == _key(synonym) for synonym in category.synonyms):
            return category.value
    return None


def _fuzzy(text: str, rules: ClassificationRules) -> str | None:
    query = _fuzzy_form(text)
    if len(query) < 4:
        return None
    labels: dict[str, str] = {}
    for category in rules.categories:
        for label in (category.value, *category.synonyms):
            labels.setdefault(_fuzzy_form(label), category.value)
    ranked = process.extract(query, list(labels), scorer=fuzz.ratio, limit=None)
    if not ranked or ranked[0][1] < FUZZY_CATEGORY_CUTOFF:
        return None
    best_label, best_score, _ = ranked[0]
    for label, score, _ in ranked[1:]:
        if labels[label] != labels[best_label]:
            # Two categories about equally close ("Urban" vs "Suburban"): do not guess.
            if best_score - score < _FUZZY_CATEGORY_MARGIN:
                return None
            break
    return labels[best_label]


def match_category(text: str, rules: ClassificationRules) -> CategoryMatch:
    """The allowed category ``text`` names, else UNKNOWN_CATEGORY (or OTHER_CATEGORY)."""
    if (found := _direct(text, rules)) is not None:
        return CategoryMatch(found)
    for variant in (text.rpartition(":")[2], re.sub(r"\s*[(\[].*$", "", text)):
        variant = variant.strip(_WRAPPING).rstrip(".")
        if variant and variant != text and (found := _direct(variant, rules)) is not None:
            return CategoryMatch(found, [EXTRA_TEXT])
    if (found := _fuzzy(text, rules)) is not None:
        return CategoryMatch(found, [FUZZY_CATEGORY])
    if rules.allow_other:
        return CategoryMatch(text, [OTHER_CATEGORY])
    allowed = ", ".join(c.value for c in rules.categories[:10])
    more = ", ..." if len(rules.categories) > 10 else ""
    return CategoryMatch(
        None, [UNKNOWN_CATEGORY], f"{text[:60]!r} is not an allowed category ({allowed}{more})"
    )
