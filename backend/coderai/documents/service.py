"""Documents: ingest uploads once (store the original, read it in an isolated child process),
list, read, delete. Tables become one document per row, inserted in batches."""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import anyio
from sqlalchemy import Text, case, cast, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value

from coderai.core.database import Database, after_commit, on_rollback
from coderai.core.errors import InvalidInput, NotFound
from coderai.core.isolation import IsolatedFailure, IsolatedPool
from coderai.documents.file_store import FileStore, FileTooLarge, StoredFile
from coderai.documents.parsers import ReadLimits
from coderai.documents.reading import ReadOutcome, TableColumns, read_upload, spooled_batches
from coderai.documents.schemas import FileResult, SheetColumns, UploadOutcome
from coderai.documents.table_rows import NAME_CHARS
from coderai.members import audit
from coderai.models import Document
from coderai.models.enums import ContentType, DocumentStatus

ROW_BATCH = 2000


@dataclass(frozen=True)
class TableOptions:
    text_column: str | None = None
    id_column: str | None = None
    title_column: str | None = None
    sheet: str | None = None  # a workbook's sheet by name (default: its first)


@dataclass(frozen=True)
class Upload:
    filename: str
    stream: BinaryIO


async def get_document(
    session: AsyncSession, document_id: uuid.UUID, *, with_text: bool = True
) -> Document:
    """The document, or NotFound; without `with_text` its text is left unloaded (read a part
    of it with `document_content`)."""
    options = [] if with_text else [defer(Document.text, raiseload=True)]
    document = await session.get(Document, document_id, options=options)
    if document is None:
        raise NotFound(f"Document '{document_id}' not found.")
    return document


async def load_content(
    session: AsyncSession, document: Document, *, start: int, length: int
) -> int:
    """Load `length` characters of the text of a document read without it, from `start`, as
    its `text` (for a read-only answer), and return the text's full length: a long text is
    read in parts, never whole (docs/ARCHITECTURE.md, "Parsing in isolation")."""
    part, total = (
        await session.execute(
            select(
                func.substr(Document.text, start + 1, length),
                func.length(Document.text),
            ).where(Document.id == document.id)
        )
    ).one()
    set_committed_value(document, "text", part)
    return int(total or 0)


# A list shows a row's metadata only while it is small; a wide table row's columns are read
# from the document itself.
LIST_METADATA_BYTES = 4096
_LIST_METADATA = case(
    (
        func.octet_length(cast(Document.source_metadata, Text)) <= LIST_METADATA_BYTES,
        Document.source_metadata,
    ),
    else_=func.jsonb_build_object(
        "filename", Document.source_metadata["filename"], "truncated", True
    ),
)


async def list_documents(
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    offset: int,
    limit: int,
    status: DocumentStatus | None = None,
    search: str | None = None,
) -> tuple[Sequence[Document], int]:
    statement = select(Document).where(Document.project_id == project_id)
    if status is not None:
        statement = statement.where(Document.status == status)
    if search and search.strip():
        # Name or external id, any case; the user's % and _ are literal characters.
        wanted = "%" + re.sub(r"([\\%_])", r"\\\1", search.strip()) + "%"
        statement = statement.where(
            or_(
                Document.name.ilike(wanted, escape="\\"),
                Document.external_id.ilike(wanted, escape="\\"),
            )
        )
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    # Neither the text nor large metadata is read for a list.
    page = await session.execute(
        statement.add_columns(_LIST_METADATA)
        .options(
            defer(Document.text, raiseload=True),
            defer(Document.source_metadata, raiseload=True),
        )
        .order_by(Document.created_at, Document.row_index, Document.id)
        .offset(offset)
        .limit(limit)
    )
    documents = []
    for document, metadata in page:
        set_committed_value(document, "source_metadata", metadata)
        documents.append(document)
    return documents, total or 0


async def _existing(session: AsyncSession, project_id: uuid.UUID, sha256: str) -> Document | None:
    return await session.scalar(
        select(Document)
        .options(defer(Document.text, raiseload=True))
        .where(Document.project_id == project_id, Document.sha256 == sha256)
        .order_by(Document.row_index.nulls_first())
        .limit(1)
    )


@dataclass(frozen=True)
class Reading:
    """How uploads are read: the isolated pool, the bounds, and the spool directory."""

    pool: IsolatedPool
    limits: ReadLimits
    spool_dir: Path


_FAILURE_CODES = {"too_large": "TOO_LARGE_WHEN_EXPANDED", "too_slow": "TOO_SLOW"}


async def _read(
    reading: Reading, stored: StoredFile, upload: Upload, table: TableOptions, spool: Path
) -> ReadOutcome:
    """Read the stored file in an isolated child; a child that fails is this file's error."""
    columns = TableColumns(table.text_column, table.id_column, table.title_column, table.sheet)
    try:
        return await reading.pool.run(
            read_upload,
            str(stored.path),
            upload.filename,
            columns,
            str(spool),
            reading.limits,
            ROW_BATCH,
        )
    except IsolatedFailure as failure:
        return ReadOutcome(
            error=failure.message, error_code=_FAILURE_CODES.get(failure.kind, "UNREADABLE")
        )


async def ingest_file(
    database: Database,
    store: FileStore,
    reading: Reading,
    project_id: uuid.UUID,
    upload: Upload,
    *,
    max_bytes: int,
    table: TableOptions,
    strict_columns: bool = True,
) -> tuple[FileResult, Document | None]:
    """Store one upload and turn it into documents; a bad file is reported, never raised.
    With `strict_columns` a table whose named columns do not exist is a 422 for the request
    (one file sent); otherwise that file alone is reported FAILED with its columns.

    No database connection is held while the file is copied or read (docs/ARCHITECTURE.md,
    "Parsing in isolation"): a short transaction looks for a duplicate, another stores it."""
    try:
        stored = await anyio.to_thread.run_sync(
            lambda: store.put(upload.stream, max_bytes=max_bytes)
        )
    except FileTooLarge as exc:
        return FileResult(
            filename=upload.filename,
            outcome=UploadOutcome.FAILED,
            error_code="TOO_LARGE",
            error=f"The file is larger than the {exc.limit // (1024 * 1024)} MB limit.",
        ), None

    async with database.transaction() as session:
        existing = await _existing(session, project_id, stored.key)
    if existing is not None:
        return _duplicate(upload, existing), existing

    reading.spool_dir.mkdir(parents=True, exist_ok=True)
    spool = reading.spool_dir / f"{uuid.uuid4().hex}.rows"
    try:
        outcome = await _read(reading, stored, upload, table, spool)
        detection = outcome.detection
        async with database.transaction() as session:
            if stored.created:
                on_rollback(session, lambda: store.delete(stored.key))
            if detection is not None and detection.table_kind is not None:
                result = await _ingest_table(
                    session, project_id, upload, stored, outcome, spool, table, strict_columns
                )
                if result.outcome is UploadOutcome.FAILED:
                    raise _Discarded(result)  # none of its rows stay, nor its file
                return result, None
            return await _store_document(session, project_id, upload, stored, outcome)
    except _Discarded as discarded:
        return discarded.result, None
    finally:
        spool.unlink(missing_ok=True)


class _Discarded(Exception):
    def __init__(self, result: FileResult) -> None:
        super().__init__(result.error)
        self.result = result


async def _store_document(
    session: AsyncSession,
    project_id: uuid.UUID,
    upload: Upload,
    stored: StoredFile,
    outcome: ReadOutcome,
) -> tuple[FileResult, Document | None]:
    detection, parsed, error = outcome.detection, outcome.parsed, outcome.error
    document = Document(
        project_id=project_id,
        name=upload.filename[:NAME_CHARS],
        content_type=detection.content_type if detection else _guess_type(upload.filename),
        status=DocumentStatus.FAILED if error else DocumentStatus.READY,
        size_bytes=stored.size,
        sha256=stored.key,
        storage_key=stored.key,
        source_metadata={"filename": upload.filename},
        error=error,
    )
    if parsed is not None and error is None:
        document.text = parsed.text
        document.page_offsets = parsed.page_offsets
        document.page_count = parsed.page_count
        document.word_count = parsed.word_count
        document.source_metadata = {**document.source_metadata, **parsed.metadata}
    try:
        async with session.begin_nested():
            session.add(document)
            await session.flush()
    except IntegrityError:
        # The same file, uploaded at the same moment by another request, got there first.
        existing = await _existing(session, project_id, stored.key)
        if existing is None:
            raise
        return _duplicate(upload, existing), existing
    return FileResult(
        filename=upload.filename,
        outcome=UploadOutcome.CREATED,
        content_type=document.content_type,
        document_id=document.id,
        status=document.status,
        error_code=(outcome.error_code or "UNREADABLE") if error else None,
        error=error,
    ), document


def _duplicate(upload: Upload, existing: Document) -> FileResult:
    return FileResult(
        filename=upload.filename,
        outcome=UploadOutcome.DUPLICATE,
        content_type=existing.content_type,
        document_id=existing.id,
        status=existing.status,
    )


def _guess_type(filename: str) -> ContentType:
    # Only for the record of a file that could not be read at all.
    suffix = Path(filename).suffix.lower().lstrip(".")
    return {
        "pdf": ContentType.PDF,
        "docx": ContentType.DOCX,
        "md": ContentType.MD,
        "html": ContentType.HTML,
        "htm": ContentType.HTML,
    }.get(suffix, ContentType.TXT)


async def _ingest_table(
    session: AsyncSession,
    project_id: uuid.UUID,
    upload: Upload,
    stored: StoredFile,
    outcome: ReadOutcome,
    spool: Path,
    table: TableOptions,
    strict_columns: bool,
) -> FileResult:
    assert outcome.detection is not None and outcome.detection.table_kind is not None
    kind = outcome.detection.table_kind
    if outcome.error_code == "UNKNOWN_SHEET":
        sheets = [
            SheetColumns(name=name, available_columns=columns)
            for name, columns in (outcome.available_sheets or {}).items()
        ]
        message = outcome.error or "The workbook has no such sheet."
        if strict_columns:
            raise InvalidInput(
                message,
                errors=[{"field": "sheet", "message": message}],
                availableSheets=[sheet.model_dump(by_alias=True) for sheet in sheets],
            )
        return FileResult(
            filename=upload.filename,
            outcome=UploadOutcome.FAILED,
            error_code=outcome.error_code,
            error=message,
            content_type=kind.content_type,
            available_sheets=sheets,
        )
    if outcome.error_code in ("TEXT_COLUMN_REQUIRED", "UNKNOWN_COLUMN"):
        message = outcome.error or (
            f"'{upload.filename}' is a table: name its text column (textColumn) so each row "
            "becomes a document."
        )
        if strict_columns:
            raise InvalidInput(
                message,
                errors=[{"field": "textColumn", "message": message}],
                availableColumns=outcome.available_columns,
            )
        return FileResult(
            filename=upload.filename,
            outcome=UploadOutcome.FAILED,
            error_code=outcome.error_code,
            error=message,
            content_type=kind.content_type,
            available_columns=outcome.available_columns,
        )
    if outcome.error is not None:
        return FileResult(
            filename=upload.filename,
            outcome=UploadOutcome.FAILED,
            error_code=outcome.error_code or "UNREADABLE",
            content_type=kind.content_type,
            error=outcome.error,
            rows_imported=0,
        )
    imported = skipped = duplicate = 0
    batches = spooled_batches(spool, outcome.batches)
    while (batch := await anyio.to_thread.run_sync(next, batches, None)) is not None:
        skipped += batch.skipped
        if not batch.rows:
            continue
        values = [
            {
                "id": uuid.uuid4(),
                "project_id": project_id,
                "name": row.title
                or row.external_id
                or f"{upload.filename[: NAME_CHARS - 20]} row {row.row_number}",
                "content_type": kind.content_type,
                "status": DocumentStatus.READY,
                "size_bytes": stored.size,
                "sha256": stored.key,
                "storage_key": stored.key,
                "row_index": row.row_number,
                "external_id": row.external_id,
                "text": row.text,
                "page_offsets": [0],
                "page_count": 1,
                "word_count": len(row.text.split()),
                "source_metadata": _row_metadata(row.metadata, upload.filename, row.source),
            }
            for row in batch.rows
        ]
        result = await session.execute(
            insert(Document).on_conflict_do_nothing().returning(Document.id), values
        )
        inserted = len(result.all())
        imported += inserted
        duplicate += len(values) - inserted
    if not imported and not duplicate:
        return FileResult(
            filename=upload.filename,
            outcome=UploadOutcome.FAILED,
            error_code="NO_ROWS",
            content_type=kind.content_type,
            error=f"No row of the table has text in its '{table.text_column}' column.",
            rows_imported=0,
            rows_skipped=skipped,
        )
    return FileResult(
        filename=upload.filename,
        outcome=UploadOutcome.CREATED if imported else UploadOutcome.DUPLICATE,
        content_type=kind.content_type,
        status=DocumentStatus.READY,
        rows_imported=imported,
        rows_skipped=skipped,
        rows_duplicate=duplicate,
    )


def _row_metadata(
    metadata: dict[str, Any], filename: str, source: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"filename": filename, **(source or {}), "columns": metadata}


async def delete_document(session: AsyncSession, store: FileStore, document: Document) -> None:
    """Delete the document; its original goes too once no document refers to it."""
    key = document.storage_key
    audit.note(session, name=document.name)
    await session.delete(document)
    await session.flush()
    if key is not None:
        await release_files(session, store, {key})


async def release_files(session: AsyncSession, store: FileStore, keys: set[str]) -> None:
    """After documents were deleted: remove the originals no document refers to any more
    (after commit: if the transaction fails the rows stay, and so must their files)."""
    if not keys:
        return
    used = set(
        await session.scalars(
            select(Document.storage_key).where(Document.storage_key.in_(keys)).distinct()
        )
    )
    for key in keys - used:
        after_commit(session, partial(store.delete, key))
