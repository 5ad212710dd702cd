"""`DocumentDep` (the document named in the path, or 404) and the process's file store."""

import uuid
from typing import Annotated

from fastapi import Depends, Path, Request

from coderai.core.dependencies import ParsePoolDep, SessionDep, SettingsDep
from coderai.documents import service as document_service
from coderai.documents.file_store import FileStore
from coderai.documents.parsers import ReadLimits
from coderai.documents.service import Reading
from coderai.models import Document


async def load_document(
    document_id: Annotated[uuid.UUID, Path(alias="documentId")], session: SessionDep
) -> Document:
    return await document_service.get_document(session, document_id, with_text=False)


def get_file_store(request: Request) -> FileStore:
    store: FileStore = request.app.state.file_store
    return store


def get_reading(pool: ParsePoolDep, settings: SettingsDep) -> Reading:
    limits = ReadLimits(
        max_expanded_bytes=settings.max_expanded_bytes,
        max_pdf_pages=settings.max_pdf_pages,
        max_document_chars=settings.max_document_chars,
        max_table_rows=settings.max_table_rows,
        max_table_columns=settings.max_table_columns,
        max_nesting_depth=settings.max_nesting_depth,
    )
    return Reading(pool, limits, settings.files_dir / "spool")


DocumentDep = Annotated[Document, Depends(load_document)]
FileStoreDep = Annotated[FileStore, Depends(get_file_store)]
ReadingDep = Annotated[Reading, Depends(get_reading)]
