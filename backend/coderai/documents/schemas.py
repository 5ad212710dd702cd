"""Document request and response models."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from coderai.core.schemas import CamelModel
from coderai.models.enums import ContentType, DocumentStatus


class DocumentRead(CamelModel):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    content_type: ContentType
    status: DocumentStatus
    error: str | None
    size_bytes: int
    sha256: str
    page_count: int
    word_count: int
    row_index: int | None
    external_id: str | None
    metadata: dict[str, Any] = Field(validation_alias="source_metadata")
    uploaded_at: datetime = Field(validation_alias="created_at")
    updated_at: datetime


class DocumentDetail(DocumentRead):
    # `contentLength` characters of the text from `contentStart` (the whole text unless it is
    # longer than the range asked for); `contentTotal` is the text's full length.
    content: str | None = Field(validation_alias="text")
    page_offsets: list[int]
    content_start: int = 0
    content_total: int = 0


class DocumentPage(CamelModel):
    items: list[DocumentRead]
    total: int
    offset: int
    limit: int


class UploadOutcome(StrEnum):
    CREATED = "CREATED"
    DUPLICATE = "DUPLICATE"
    FAILED = "FAILED"


class SheetColumns(CamelModel):
    """A workbook's sheet and the columns of its header row."""

    name: str
    available_columns: list[str]


class FileResult(CamelModel):
    """What happened to one uploaded file."""

    filename: str
    outcome: UploadOutcome
    content_type: ContentType | None = None
    document_id: uuid.UUID | None = None
    status: DocumentStatus | None = None
    # TOO_LARGE (not stored), UNREADABLE (stored as a FAILED document, or a broken table),
    # TEXT_COLUMN_REQUIRED, UNKNOWN_COLUMN or UNKNOWN_SHEET (a table in a multi-file upload;
    # not stored),
    # NO_ROWS (a table none of whose rows has text; not stored).
    error_code: str | None = None
    error: str | None = None
    # For a table whose text column is missing or unknown: the columns it has.
    available_columns: list[str] | None = None
    # For a workbook whose `sheet` does not exist: each sheet with its columns.
    available_sheets: list[SheetColumns] | None = None
    rows_imported: int = 0
    rows_skipped: int = 0
    rows_duplicate: int = 0


class UploadReport(CamelModel):
    files: list[FileResult]
    documents_created: int
    documents_failed: int
