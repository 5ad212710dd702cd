"""Document upload (one file, many files, or a table whose rows become documents), listing,
detail with text, original download, deletion."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from fastapi.responses import FileResponse, JSONResponse

from coderai.core.dependencies import DatabaseDep, SessionDep, SettingsDep
from coderai.core.errors import InvalidInput, NotFound, PayloadTooLarge
from coderai.core.schemas import MAX_OFFSET
from coderai.documents import service as document_service
from coderai.documents.dependencies import DocumentDep, FileStoreDep, ReadingDep
from coderai.documents.schemas import (
    DocumentDetail,
    DocumentPage,
    DocumentRead,
    UploadOutcome,
    UploadReport,
)
from coderai.documents.service import TableOptions, Upload
from coderai.members import audit
from coderai.models.enums import DocumentStatus
from coderai.projects.dependencies import ProjectDep, ProjectIdDep

router = APIRouter(tags=["documents"])

MAX_FILES_PER_REQUEST = 100
# The most text one GET of a document answers (the whole text of any document up to the
# default MAX_DOCUMENT_CHARS); longer ones are read in parts with contentStart.
MAX_CONTENT_CHARS = 5_000_000


@router.post(
    "/projects/{projectId}/documents",
    operation_id="documents-upload",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentRead | UploadReport,
    responses={
        200: {"model": DocumentRead, "description": "The file was already in the project"},
        413: {"description": "File larger than MAX_UPLOAD_BYTES"},
    },
)
async def upload_documents(
    session: SessionDep,
    database: DatabaseDep,
    settings: SettingsDep,
    store: FileStoreDep,
    reading: ReadingDep,
    project_id: ProjectIdDep,
    file: Annotated[UploadFile | None, File(description="One document (contract)")] = None,
    files: Annotated[list[UploadFile] | None, File(description="Several documents")] = None,
    text_column: Annotated[str | None, Form(alias="textColumn")] = None,
    id_column: Annotated[str | None, Form(alias="idColumn")] = None,
    title_column: Annotated[str | None, Form(alias="titleColumn")] = None,
    sheet: Annotated[
        str | None, Form(description="A workbook's sheet by name (default: its first)")
    ] = None,
) -> DocumentRead | UploadReport | JSONResponse:
    """Upload with `file` (one document → the Document) or `files` (several → a report of each
    file's outcome). A CSV/TSV/JSON/JSONL/Parquet file or a workbook (.xlsx, .xls, .ods; the
    `sheet` by name, default the first) needs `textColumn`: each row becomes a document. A file
    already in the project is not stored again: the existing document is answered with 200
    (single file) or reported as DUPLICATE. Files are read in isolated child processes with
    bounds; one that exceeds them is reported FAILED with the reason."""
    uploads = [f for f in ([file] if file else []) + (files or [])]
    if not uploads:
        raise InvalidInput(
            "No file in the request: send multipart field `file` or `files`.",
            errors=[{"field": "file", "message": "required"}],
        )
    if len(uploads) > MAX_FILES_PER_REQUEST:
        raise InvalidInput(
            f"At most {MAX_FILES_PER_REQUEST} files per request.",
            errors=[{"field": "files", "message": "too many files"}],
        )
    table = TableOptions(text_column, id_column, title_column, sheet)
    audit.note(session, files=[upload.filename or "upload" for upload in uploads])
    results = []
    single = file is not None and not files
    for upload in uploads:
        result, document = await document_service.ingest_file(
            database,
            store,
            reading,
            project_id,
            Upload(upload.filename or "upload", upload.file),
            max_bytes=settings.max_upload_bytes,
            table=table,
            strict_columns=single,
        )
        if single:
            if result.error_code == "TOO_LARGE":
                raise PayloadTooLarge(result.error or "file too large")
            if result.outcome is UploadOutcome.FAILED:
                raise InvalidInput(
                    result.error or "The file could not be read.",
                    errors=[{"field": "file", "message": result.error or "unreadable"}],
                )
            if document is not None:
                body = DocumentRead.model_validate(document)
                if result.outcome is UploadOutcome.DUPLICATE:
                    return JSONResponse(body.model_dump(mode="json"), status_code=200)
                return body
        results.append(result)
    created = sum(r.rows_imported or (r.outcome is UploadOutcome.CREATED) for r in results)
    failed = sum(
        r.status is DocumentStatus.FAILED or r.outcome is UploadOutcome.FAILED for r in results
    )
    return UploadReport(files=results, documents_created=created, documents_failed=failed)


@router.get(
    "/projects/{projectId}/documents", operation_id="documents-list", response_model=DocumentPage
)
async def list_documents(
    session: SessionDep,
    project: ProjectDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    status: DocumentStatus | None = None,
    search: Annotated[
        str | None,
        Query(max_length=200, description="Part of the name or external id, any case"),
    ] = None,
) -> DocumentPage:
    documents, total = await document_service.list_documents(
        session, project.id, offset=offset, limit=limit, status=status, search=search
    )
    return DocumentPage(
        items=[DocumentRead.model_validate(d) for d in documents],
        total=total,
        offset=offset,
        limit=limit,
    )


@router.get("/documents/{documentId}", operation_id="documents-get", response_model=DocumentDetail)
async def get_document(
    session: SessionDep,
    document: DocumentDep,
    content_start: Annotated[int, Query(alias="contentStart", ge=0)] = 0,
    content_length: Annotated[
        int, Query(alias="contentLength", ge=0, le=MAX_CONTENT_CHARS)
    ] = MAX_CONTENT_CHARS,
) -> DocumentDetail:
    """The document with its text (`content`), or the part of it in the range asked for."""
    total = await document_service.load_content(
        session, document, start=content_start, length=content_length
    )
    detail = DocumentDetail.model_validate(document)
    return detail.model_copy(update={"content_start": content_start, "content_total": total})


@router.get(
    "/documents/{documentId}/file",
    operation_id="documents-download",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def download_original(document: DocumentDep, store: FileStoreDep) -> FileResponse:
    """The original file as uploaded (for a row: the table it came from)."""
    path = store.path_for(document.storage_key) if document.storage_key else None
    if path is None or not path.exists():
        raise NotFound(f"The original file of document '{document.id}' is not stored.")
    filename = str(document.source_metadata.get("filename") or document.name)
    return FileResponse(path, filename=filename, media_type="application/octet-stream")


@router.delete(
    "/documents/{documentId}",
    operation_id="documents-delete",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_document(
    session: SessionDep, store: FileStoreDep, document: DocumentDep
) -> Response:
    await document_service.delete_document(session, store, document)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
