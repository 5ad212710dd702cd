"""Document: one uploaded file, or one row of an uploaded table, with its normalised text."""

import uuid
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from coderai.models.base import Base, Timestamps, UUIDPrimaryKey
from coderai.models.enums import ContentType, DocumentStatus
from coderai.models.project import pg_enum


class Document(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "documents"
    __table_args__ = (
        # The same file (or the same row of the same file) is stored once per project.
        Index(
            "uq_documents_project_source",
            "project_id",
            "sha256",
            "row_index",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_documents_project_status", "project_id", "status"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(1024))
    content_type: Mapped[ContentType] = mapped_column(pg_enum(ContentType, "content_type"))
    status: Mapped[DocumentStatus] = mapped_column(pg_enum(DocumentStatus, "document_status"))
    error: Mapped[str | None] = mapped_column(Text)
    # Size and hash of the original file (for rows: of the table file they came from).
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str | None] = mapped_column(String(200))
    row_index: Mapped[int | None] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(1024))
    text: Mapped[str | None] = mapped_column(Text)
    page_offsets: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    source_metadata: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
