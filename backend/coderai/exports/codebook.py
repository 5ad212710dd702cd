"""The codebook of an export: what each variable means, how it was coded, how good it is.

It goes into the Excel file (Codebook and Quality sheets), into JSON exports (`codebook`
beside `data`) and beside every export as `<file>_codebook.json`, so a dataset never travels
without the definitions a methods section needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from coderai.exports.frames import ColumnSpec, ExportFrame
from coderai.exports.grid import (
    BELOW_THRESHOLD,
    CALL_FAILED,
    DOCUMENT_FAILED,
    MISSING_STATUSES,
    NOT_FOUND,
    NOT_PROCESSED,
    OK,
    OUT_OF_LIST,
    Grid,
    VariableSpec,
)
from coderai.models.enums import Verdict
from coderai.studies.schemas import AlphaRead, JobReliabilityRead

# Stata extended missing values, one per missing status (numeric variables only).
STATA_MISSING = {
    NOT_FOUND: ".a",
    BELOW_THRESHOLD: ".b",
    DOCUMENT_FAILED: ".c",
    NOT_PROCESSED: ".d",
    CALL_FAILED: ".e",
    OUT_OF_LIST: ".f",
}

MISSING_MEANINGS = {
    OK: "A value is present (possibly set by a reviewer: see *_corrected).",
    NOT_FOUND: "The model looked and found no value in the document.",
    BELOW_THRESHOLD: (
        "The model's answer was blanked: its confidence was below the export's minConfidence, "
        "or below the variable's own threshold with ifUncertain LEAVE_EMPTY."
    ),
    DOCUMENT_FAILED: "The document could not be processed, so no variable has an answer.",
    NOT_PROCESSED: "The job did not reach this document (cancelled, paused or still running).",
    CALL_FAILED: (
        "The LLM call that would have answered this variable failed on the document's last "
        "attempt: the value is unknown, not absent (the answer is flagged for review)."
    ),
    OUT_OF_LIST: (
        "The model found an answer, but not one of the variable's categories: the value is "
        "blank and the model's own answer is in <var>_raw (WIDE) or raw_answer (LONG)."
    ),
}


RELIABILITY_METHOD = (
    "Krippendorff's alpha among the human coders of each reliability study, per variable, with "
    "the level of measurement from the variable's type (nominal: categories, yes/no, text; "
    "ordinal: ordered categories; interval: numbers, dates in days) and a 95 % bootstrap "
    "interval over units. Reading: alpha >= .800 reliable, >= .667 tentative conclusions only, "
    "below unreliable. Model vs gold: the model's values against the adjudicated gold values."
)


@dataclass(frozen=True)
class ProjectInfo:
    id: str
    name: str
    description: str | None
    domain: str | None
    language: str
    document_type: str | None
    unit_of_observation: dict[str, Any]


@dataclass(frozen=True)
class JobInfo:
    id: str
    job_type: str
    status: str
    llm_model: str | None
    total_items: int
    done_items: int
    failed_items: int
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def variable_quality(grid: Grid) -> list[dict[str, Any]]:
    """Per variable: filled %, statuses, mean confidence, flagged %, ungrounded %, and the
    share of reviewers' current verdicts that were CORRECT."""
    n_vars = len(grid.variables)
    answers = grid.answers
    var = answers["var"].to_numpy(dtype=np.int64)
    with_value = answers["has_value"].to_numpy(dtype=bool)  # the model's own answer
    confidence = grid.confidence
    scored = with_value & ~np.isnan(confidence)
    verdict = answers["verdict"].to_numpy(dtype=object)

    def count(mask: Any) -> list[int]:
        return [int(n) for n in np.bincount(var[mask], minlength=n_vars)]

    answered = count(np.ones(len(var), dtype=bool))
    valued = count(with_value)
    flagged = count(answers["needs_review"].to_numpy(dtype=bool))
    ungrounded = count(with_value & (answers["grounding"].to_numpy(dtype=object) == "NONE"))
    reviewed = count(pd.notna(verdict))
    agreed = count(verdict == Verdict.CORRECT.value)
    scored_n = count(scored)
    sums = np.bincount(var[scored], weights=confidence[scored], minlength=n_vars)
    statuses = {s: (grid.status == s).sum(axis=0) for s in (OK, *MISSING_STATUSES)}
    corrected = grid.corrected.sum(axis=0)
    rows = grid.n_rows
    return [
        {
            "variable": variable.name,
            "rows": rows,
            "extractions": answered[v],
            "filledPct": _pct(int(statuses[OK][v]), rows),
            "statusCounts": {s: int(n[v]) for s, n in statuses.items()},
            "meanConfidence": round(float(sums[v]) / scored_n[v], 4) if scored_n[v] else None,
            "flaggedPct": _pct(flagged[v], answered[v]),
            "ungroundedPct": _pct(ungrounded[v], valued[v]),
            "reviewed": reviewed[v],
            "agreementPct": _pct(agreed[v], reviewed[v]),
            "corrected": int(corrected[v]),
        }
        for v, variable in enumerate(grid.variables)
    ]


def _variable_entry(
    variable: VariableSpec, columns: list[ColumnSpec], quality: dict[str, Any]
) -> dict[str, Any]:
    prompt = variable.prompt
    config = prompt.llm_config if prompt else {}
    return {
        "name": variable.name,
        "label": variable.label,
        "description": variable.description,
        "type": variable.type.value,
        "instructions": variable.instructions,
        "categories": [
            {"code": i + 1, "value": c.get("value"), "definition": c.get("definition")}
            for i, c in enumerate(variable.categories)
        ],
        "orderedCategories": bool((variable.classification_rules or {}).get("ordered")),
        "multiValue": variable.multi_value,
        "uncertaintyHandling": variable.uncertainty_handling,
        "validationRules": variable.validation_rules,
        "columns": [c.name for c in columns if c.variable == variable.name],
        "prompt": None
        if prompt is None
        else {
            "id": str(prompt.id),
            "version": prompt.version,
            "contentHash": prompt.content_hash,
            "origin": prompt.origin,
            "createdAt": prompt.created_at.isoformat(),
            "model": config.get("model"),
            "temperature": config.get("temperature"),
            "maxTokens": config.get("maxTokens"),
        },
        "quality": quality,
    }


def build_codebook(
    project: ProjectInfo,
    job: JobInfo,
    export: dict[str, Any],
    frame: ExportFrame,
    quality: list[dict[str, Any]],
    stata_names: dict[str, str] | None = None,
    stata_value_labels: dict[str, dict[int, str]] | None = None,
    reliability: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The codebook as a JSON-ready dict (Stata exports add each column's Stata name and
    the value labels of coded columns; `reliability`, from `reliability_entries`, the
    inter-coder reliability of the job's studies)."""
    by_variable = {q["variable"]: q for q in quality}
    stata = stata_names or {}
    labels = stata_value_labels or {}
    missing = {
        status: {"meaning": MISSING_MEANINGS[status], "stata": STATA_MISSING.get(status)}
        for status in (OK, *MISSING_STATUSES)
    }
    return {
        "project": {
            "id": project.id,
            "name": project.name,
            "description": project.description,
            "domain": project.domain,
            "language": project.language,
            "documentType": project.document_type,
        },
        "unitOfObservation": project.unit_of_observation,
        "job": {
            "id": job.id,
            "type": job.job_type,
            "status": job.status,
            "model": job.llm_model,
            "documents": job.total_items,
            "documentsDone": job.done_items,
            "documentsFailed": job.failed_items,
            "createdAt": job.created_at.isoformat(),
            "startedAt": job.started_at.isoformat() if job.started_at else None,
            "completedAt": job.completed_at.isoformat() if job.completed_at else None,
        },
        "export": {
            **export,
            "rows": len(frame.frame),
            "correctionsApplied": frame.grid.corrections_applied,
        },
        "statuses": missing,
        "missingValues": (
            "Each value column has a status companion (<var>_status in WIDE, `status` in LONG). "
            "Missing values are blank in CSV, Excel, JSON and Parquet; in Stata, numeric, date, "
            "boolean and category variables use extended missing values "
            ".a NOT_FOUND, .b BELOW_THRESHOLD, .c DOCUMENT_FAILED, .d NOT_PROCESSED, "
            ".e CALL_FAILED, .f OUT_OF_LIST; "
            "string variables are empty and carry the code in the status column."
        ),
        "dates": (
            "A DATE variable is a real date column when every answer gives the day; "
            "otherwise it holds ISO 8601 text of year (YYYY), month (YYYY-MM) or day precision."
        ),
        "columns": [
            {
                "name": c.name,
                "role": c.role,
                "type": c.kind,
                "label": c.label,
                "variable": c.variable,
                "statusColumn": c.status_column,
                **({"stataName": stata[c.name]} if c.name in stata else {}),
                **(
                    {"stataValueLabels": labels[stata[c.name]]}
                    if c.name in stata and stata[c.name] in labels
                    else {}
                ),
                **({"metadataKey": frame.meta_columns[c.name]} if c.role == "metadata" else {}),
            }
            for c in frame.columns
        ],
        "variables": [
            _variable_entry(v, frame.columns, by_variable[v.name]) for v in frame.grid.variables
        ],
        "reliability": {
            "method": RELIABILITY_METHOD,
            "variables": reliability or [],
        },
    }


def _alpha_entry(result: AlphaRead) -> dict[str, Any]:
    return {
        "level": result.level,
        "alpha": result.alpha,
        "intervalLow": result.interval_low,
        "intervalHigh": result.interval_high,
        "reading": result.reading,
        "coders": result.coders,
        "units": result.units,
        "pairableUnits": result.pairable_units,
        "pairableValues": result.pairable_values,
        "percentAgreement": result.percent_agreement,
        "cohensKappa": result.cohens_kappa,
        "fleissKappa": result.fleiss_kappa,
    }


def reliability_entries(report: JobReliabilityRead) -> list[dict[str, Any]]:
    """One entry per study and variable: alpha among the coders, and the model against the
    gold values where there are some."""
    return [
        {
            "studyId": str(study.study_id),
            "mode": study.mode.value,
            "status": study.status.value,
            "variable": variable.name,
            **_alpha_entry(variable.humans),
            "goldUnits": variable.gold_units,
            "modelAgainstGold": _alpha_entry(variable.model_against_gold)
            if variable.model_against_gold
            else None,
        }
        for study in report.studies
        for variable in study.variables
    ]


def reliability_sheet(codebook: dict[str, Any]) -> pd.DataFrame | None:
    """The Excel Reliability sheet (None when the job has no reliability study)."""
    entries = codebook.get("reliability", {}).get("variables", [])
    if not entries:
        return None
    return pd.DataFrame(
        [
            {
                "Study": e["studyId"],
                "Mode": e["mode"],
                "Study status": e["status"],
                "Variable": e["variable"],
                "Level": e["level"],
                "Alpha": e["alpha"],
                "95% interval low": e["intervalLow"],
                "95% interval high": e["intervalHigh"],
                "Reading": e["reading"],
                "Coders": e["coders"],
                "Units": e["units"],
                "Pairable units": e["pairableUnits"],
                "Pairable values": e["pairableValues"],
                "Agreement %": _pct_of(e["percentAgreement"]),
                "Cohen's kappa": e["cohensKappa"],
                "Fleiss' kappa": e["fleissKappa"],
                "Gold units": e["goldUnits"],
                "Model vs gold alpha": (e["modelAgainstGold"] or {}).get("alpha"),
                "Model vs gold agreement %": _pct_of(
                    (e["modelAgainstGold"] or {}).get("percentAgreement")
                ),
            }
            for e in entries
        ]
    )


def _pct_of(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


def _categories_text(entry: dict[str, Any]) -> str:
    return "; ".join(
        f"{c['code']} = {c['value']}" + (f": {c['definition']}" if c["definition"] else "")
        for c in entry["categories"]
    )


def codebook_sheets(codebook: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(context, variables, quality) tables for the Excel Codebook and Quality sheets."""
    project, job, unit = codebook["project"], codebook["job"], codebook["unitOfObservation"]
    context_rows: list[tuple[str, Any]] = [
        ("Project", project["name"]),
        ("Description", project["description"]),
        ("Domain", project["domain"]),
        ("Language", project["language"]),
        ("Document type", project["documentType"]),
        ("Unit of observation", unit.get("mode")),
        ("Each row represents", unit.get("whatEachRowRepresents")),
        ("Entity identification", unit.get("entityIdentificationPattern")),
        ("Job", f"{job['type']} {job['id']} ({job['status']})"),
        ("Model", job["model"]),
        ("Job started", job["startedAt"]),
        ("Job completed", job["completedAt"]),
        ("Documents (done / failed)", f"{job['documentsDone']} / {job['documentsFailed']}"),
        ("Minimum confidence", codebook["export"].get("minConfidence")),
        ("Missing values", codebook["missingValues"]),
        ("Dates", codebook["dates"]),
    ]
    context_rows += [(f"Status {s}", v["meaning"]) for s, v in codebook["statuses"].items()]
    context = pd.DataFrame(context_rows, columns=["Item", "Value"], dtype="str")
    variables = pd.DataFrame(
        [
            {
                "Variable": v["name"],
                "Label": v["label"],
                "Type": v["type"],
                "Definition": v["description"],
                "Instructions": v["instructions"],
                "Categories": _categories_text(v) or None,
                "Columns": ", ".join(v["columns"]),
                "Prompt version": (v["prompt"] or {}).get("version"),
                "Prompt hash": (v["prompt"] or {}).get("contentHash"),
                "Model": (v["prompt"] or {}).get("model"),
                "Temperature": (v["prompt"] or {}).get("temperature"),
            }
            for v in codebook["variables"]
        ]
    )
    quality = pd.DataFrame(
        [
            {
                "Variable": q["variable"],
                "Rows": q["rows"],
                "Filled %": q["filledPct"],
                **{s: n for s, n in q["statusCounts"].items() if s != OK},
                "Mean confidence": q["meanConfidence"],
                "Flagged %": q["flaggedPct"],
                "Ungrounded %": q["ungroundedPct"],
                "Reviewed": q["reviewed"],
                "Agreement with reviewers %": q["agreementPct"],
                "Corrected": q["corrected"],
            }
            for q in (v["quality"] for v in codebook["variables"])
        ]
    )
    return context, variables, quality
