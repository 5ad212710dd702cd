"""Seed a finished job with extractions straight into PostgreSQL, for tests of what reads
results (review, export) without running the extraction engine."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select

from coderai.core.database import Database
from coderai.models import (
    Document,
    Extraction,
    ExtractionFeedback,
    JobItem,
    ProcessingJob,
    Prompt,
    Variable,
)
from coderai.models.enums import (
    ContentType,
    DocumentStatus,
    GroundingKind,
    JobItemStatus,
    JobStatus,
    JobType,
    Verdict,
)


@dataclass
class SeededJob:
    job_id: uuid.UUID
    document_ids: list[uuid.UUID]
    variables: dict[str, uuid.UUID]  # name -> id
    extraction_ids: dict[tuple[int, str, int], uuid.UUID] = field(default_factory=dict)
    # key: (document index, variable name, entity index)


Answer = dict[str, Any]  # value, display, confidence, quote, page, grounding, flags, entity


async def seed_documents(
    db: Database,
    project_id: uuid.UUID,
    texts: list[str],
    *,
    metadata: list[dict[str, Any]] | None = None,
) -> list[uuid.UUID]:
    rows = [
        {
            "id": uuid.uuid4(),
            "project_id": project_id,
            "name": f"doc-{i:04d}.txt",
            "content_type": ContentType.TXT,
            "status": DocumentStatus.READY,
            "size_bytes": len(text.encode()),
            "sha256": uuid.uuid4().hex + uuid.uuid4().hex,
            "text": text,
            "page_offsets": [0],
            "page_count": 1,
            "word_count": len(text.split()),
            "source_metadata": (metadata[i] if metadata else {}),
        }
        for i, text in enumerate(texts)
    ]
    async with db.transaction() as session:
        await session.execute(insert(Document), rows)
    return [row["id"] for row in rows]


async def seed_job(
    db: Database,
    project_id: uuid.UUID,
    document_ids: list[uuid.UUID],
    answer: Callable[[int, str], Answer | list[Answer] | None],
    *,
    job_type: JobType = JobType.FULL,
    failed_documents: set[int] | None = None,
) -> SeededJob:
    """A COMPLETE job over `document_ids` whose extractions come from `answer(doc_index,
    variable_name)`: a dict for one value, a list for several entities, None for no row."""
    failed_documents = failed_documents or set()
    async with db.transaction() as session:
        rows = await session.execute(
            select(Variable.id, Variable.name, Prompt.id, Prompt.version)
            .join(Prompt, (Prompt.variable_id == Variable.id) & Prompt.is_active)
            .where(Variable.project_id == project_id)
            .order_by(Variable.order)
        )
        variables = [(vid, name, pid, version) for vid, name, pid, version in rows]
        job = ProcessingJob(
            project_id=project_id,
            job_type=job_type,
            status=JobStatus.COMPLETE,
            prompt_snapshot={str(vid): str(pid) for vid, _, pid, _ in variables},
            options={},
            total_items=len(document_ids),
            done_items=len(document_ids) - len(failed_documents),
            failed_items=len(failed_documents),
            llm_model="fake-model",
        )
        session.add(job)
        await session.flush()
        job.started_at = job.created_at
        job.completed_at = job.created_at
        await session.execute(
            insert(JobItem),
            [
                {
                    "id": uuid.uuid4(),
                    "job_id": job.id,
                    "document_id": doc_id,
                    "seq": i,
                    "status": JobItemStatus.FAILED if i in failed_documents else JobItemStatus.DONE,
                    "attempts": 1,
                    "error": "seeded failure" if i in failed_documents else None,
                }
                for i, doc_id in enumerate(document_ids)
            ],
        )
        seeded = SeededJob(job.id, list(document_ids), {name: vid for vid, name, _, _ in variables})
        extraction_rows = []
        for doc_index, doc_id in enumerate(document_ids):
            if doc_index in failed_documents:
                continue
            for vid, name, pid, version in variables:
                given = answer(doc_index, name)
                if given is None:
                    continue
                for entity_index, item in enumerate(given if isinstance(given, list) else [given]):
                    extraction_id = uuid.uuid4()
                    seeded.extraction_ids[(doc_index, name, entity_index)] = extraction_id
                    value = item.get("value")
                    extraction_rows.append(
                        {
                            "id": extraction_id,
                            "job_id": job.id,
                            "document_id": doc_id,
                            "variable_id": vid,
                            "prompt_id": pid,
                            "prompt_version": version,
                            "entity_index": entity_index,
                            "entity_key": item.get("entity"),
                            "value": value,
                            "display_value": item.get(
                                "display", None if value is None else str(value)
                            ),
                            "raw_value": item.get("raw", None if value is None else str(value)),
                            "unit": item.get("unit"),
                            "confidence": item.get("confidence", 0.9),
                            "source_text": item.get("quote"),
                            "char_start": item.get("char_start"),
                            "char_end": item.get("char_end"),
                            "page": item.get("page", 1 if item.get("quote") else None),
                            "reasoning": item.get("reasoning", "seeded"),
                            "grounding": item.get(
                                "grounding",
                                GroundingKind.EXACT if item.get("quote") else GroundingKind.NONE,
                            ),
                            "flags": item.get("flags", []),
                            "needs_review": item.get("needs_review", False),
                        }
                    )
        if extraction_rows:
            await session.execute(insert(Extraction), extraction_rows)
    return seeded


async def seed_feedback(
    db: Database,
    extraction_id: uuid.UUID,
    verdict: Verdict,
    *,
    corrected_value: Any = None,
    is_current: bool = True,
    note: str | None = None,
) -> uuid.UUID:
    """A reviewer's verdict on one extraction (current unless told otherwise)."""
    feedback_id = uuid.uuid4()
    async with db.transaction() as session:
        extraction = await session.get_one(Extraction, extraction_id)
        await session.execute(
            insert(ExtractionFeedback),
            [
                {
                    "id": feedback_id,
                    "extraction_id": extraction_id,
                    "document_id": extraction.document_id,
                    "variable_id": extraction.variable_id,
                    "entity_index": extraction.entity_index,
                    "verdict": verdict,
                    "is_correct": verdict is Verdict.CORRECT,
                    "corrected_value": corrected_value,
                    "note": note,
                    "is_current": is_current,
                }
            ],
        )
    return feedback_id
