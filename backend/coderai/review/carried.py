"""A verdict follows its unit (docs/ARCHITECTURE.md, "Review").

A reviewer's verdict is given on one extraction, but what it states is a fact about the unit —
(document, variable, entity): "the country of this document is Spain", "this value is right".
Every job that codes the unit again applies the unit's latest current verdict to its own
answer, so a correction made in the sample reaches the full run's results, exports and quality
counts. Documents are immutable (a changed file is a new document), so the fact holds for as
long as the unit exists, unless the researcher withdraws it.

How a verdict given on another extraction applies to this one (`apply_verdict`):
- a correction states the true value: this answer is CORRECT when it equals it, otherwise
  INCORRECT with the correction carried;
- a CORRECT verdict states that the reviewed answer was the true value: the same, with the
  reviewed answer as the truth;
- an INCORRECT or PARTIALLY_CORRECT verdict without a correction only says the reviewed answer
  was wrong: it applies when this answer is the same, and says nothing about another one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import LateralFromClause

from coderai.extraction.coercion.values import JsonValue
from coderai.models import Extraction, ExtractionFeedback, User
from coderai.models.enums import Verdict
from coderai.review.analysis import same_value


@dataclass(frozen=True, slots=True)
class AppliedVerdict:
    """A verdict as it applies to one answer; `carried` when it was given in another job."""

    verdict: Verdict
    has_correction: bool
    corrected_value: JsonValue
    carried: bool


def apply_verdict(
    *,
    own: bool,
    verdict: Verdict,
    has_correction: bool,
    corrected_value: JsonValue,
    reviewed_value: JsonValue,
    value: JsonValue,
) -> AppliedVerdict | None:
    """The unit's verdict applied to an answer `value` (None: it says nothing about it).
    `reviewed_value` is the answer the verdict was given on; `own` when that is this one."""
    if own:
        return AppliedVerdict(verdict, has_correction, corrected_value, carried=False)
    if has_correction or verdict is Verdict.CORRECT:
        truth = corrected_value if has_correction else reviewed_value
        if same_value(value, truth):
            return AppliedVerdict(Verdict.CORRECT, False, None, carried=True)
        return AppliedVerdict(Verdict.INCORRECT, True, truth, carried=True)
    if same_value(value, reviewed_value):
        return AppliedVerdict(verdict, False, None, carried=True)
    return None


def unit_verdict(extraction: Any = Extraction) -> LateralFromClause:
    """LATERAL subquery: the latest current verdict on `extraction`'s unit, from any job of
    the project, with the answer it was given on. Join it with `true()` (outer for answers
    without one); `own` tells a verdict given on this very extraction."""
    feedback = aliased(ExtractionFeedback)
    reviewed = aliased(Extraction)
    return (
        select(
            feedback.id.label("feedback_id"),
            feedback.extraction_id.label("source_extraction_id"),
            reviewed.job_id.label("source_job_id"),
            reviewed.value.label("reviewed_value"),
            (feedback.extraction_id == extraction.id).label("own"),
            feedback.verdict.label("verdict"),
            feedback.corrected_value.label("corrected_value"),
            feedback.corrected_value.is_not(None).label("has_correction"),
            feedback.note.label("note"),
            feedback.reviewer_id.label("reviewer_id"),
            select(User.display_name)
            .where(User.id == feedback.reviewer_id)
            .scalar_subquery()
            .label("reviewer_name"),
            feedback.created_at.label("reviewed_at"),
        )
        .join(reviewed, reviewed.id == feedback.extraction_id)
        .where(
            feedback.document_id == extraction.document_id,
            feedback.variable_id == extraction.variable_id,
            feedback.entity_index == extraction.entity_index,
            feedback.is_current,
        )
        .order_by(feedback.created_at.desc(), feedback.id.desc())
        .limit(1)
        .lateral("unit_verdict")
    )


def applied(row: Any, value: JsonValue) -> AppliedVerdict | None:
    """`apply_verdict` on a row read through `unit_verdict` (None when there is no verdict)."""
    if row.feedback_id is None:
        return None
    return apply_verdict(
        own=bool(row.own),
        verdict=Verdict(row.verdict),
        has_correction=bool(row.has_correction),
        corrected_value=row.corrected_value,
        reviewed_value=row.reviewed_value,
        value=value,
    )
