"""Try the schema (or some variables) on one document without storing anything: the schema
screens' "try on a document"."""

import uuid
from dataclasses import dataclass

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.config import Settings
from coderai.core.errors import Conflict, InvalidInput
from coderai.documents import service as document_service
from coderai.extraction.engine import extract_document
from coderai.extraction.plan import TooManyChunks, plan_calls
from coderai.extraction.types import (
    DocumentExtraction,
    DocumentInput,
    ExtractionOptions,
    VariablePrompt,
)
from coderai.jobs.runner.items import extraction_options, load_prompts
from coderai.llm import LLMClient
from coderai.models import Project, Prompt, Variable
from coderai.models.enums import DocumentStatus


@dataclass(frozen=True)
class PreviewPlan:
    document: DocumentInput
    prompts: list[VariablePrompt]
    options: ExtractionOptions

    @property
    def names(self) -> dict[uuid.UUID, str]:
        return {p.variable_id: p.name for p in self.prompts}


async def plan_preview(
    session: AsyncSession,
    settings: Settings,
    project: Project,
    *,
    document_id: uuid.UUID,
    variable_ids: list[uuid.UUID] | None,
    call_mode: str,
) -> PreviewPlan:
    """Check the request and load what the extraction needs (the active prompts)."""
    document = await document_service.get_document(session, document_id)
    if document.project_id != project.id:
        raise InvalidInput(
            "The document belongs to another project.",
            errors=[{"field": "documentId", "message": "not in this project"}],
        )
    if document.status is not DocumentStatus.READY or document.text is None:
        raise Conflict(f"The document is {document.status.value}: {document.error or 'no text'}.")
    statement = (
        select(Variable.id, Prompt.id)
        .join(Prompt, (Prompt.variable_id == Variable.id) & Prompt.is_active)
        .where(Variable.project_id == project.id)
    )
    if variable_ids:
        statement = statement.where(Variable.id.in_(variable_ids))
    snapshot = {str(v): str(p) for v, p in await session.execute(statement)}
    missing = set(map(str, variable_ids or [])) - set(snapshot)
    if missing or not snapshot:
        raise InvalidInput(
            "Unknown variables for this project.",
            errors=[
                {"field": "variableIds", "message": f"'{v}' is not a variable of this project"}
                for v in sorted(missing)
            ]
            or [{"field": "variableIds", "message": "the project has no variables"}],
        )
    prompts = await load_prompts(session, snapshot)
    options = extraction_options(project, call_mode, settings)
    doc = DocumentInput(document.id, document.name, document.text, list(document.page_offsets))
    try:
        # Chunking a long text is CPU work: off the event loop. Refused before any call.
        await anyio.to_thread.run_sync(plan_calls, doc, prompts, options)
    except TooManyChunks as exc:
        raise InvalidInput(
            str(exc), errors=[{"field": "documentId", "message": "too many chunks"}]
        ) from exc
    return PreviewPlan(doc, prompts, options)


async def run_preview(llm: LLMClient | None, plan: PreviewPlan) -> DocumentExtraction:
    """Call the LLM for a planned preview (hold no database transaction across this)."""
    if llm is None:
        raise Conflict("No LLM provider configured: set OPENAI_API_KEY or LLM_BASE_URL.")
    return await extract_document(llm, plan.document, plan.prompts, plan.options)
