"""`DocumentDep` (the document named in the path, or 404) and the process's file store."""

import uuid
from typing import Annotated

from fastapi import Depends, Path, Request

from coderai.core.dependencies import SessionDep
from coderai.documents import service as document_service
from coderai.documents.file_store import FileStore
from coderai.models import Document


async def load_document(
    document_id: Annotated[uuid.UUID, Path(alias="documentId")], session: SessionDep
) -> Document:
    return await document_service.get_document(session, document_id)


def get_file_store(request: Request) -> FileStore:
    store: FileStore = request.app.state.file_store
    return store


DocumentDep = Annotated[Document, Depends(load_document)]
FileStoreDep = Annotated[FileStore, Depends(get_file_store)]
