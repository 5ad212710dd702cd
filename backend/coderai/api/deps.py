"""Annotated dependencies: the request's transaction and resources loaded-or-404."""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.config import Settings
from coderai.core.database import Database
from coderai.models import Document, Project, Variable
from coderai.services import document_service, project_service, variable_service
from coderai.services.file_store import FileStore


def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request owns the transaction: commit after the handler returns, roll back on error.

    Scoped to the handler (not the response) so a failed commit is reported to the client.
    """
    async with get_database(request).sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            _run_callbacks(session, "on_rollback")
            raise
        _run_callbacks(session, "after_commit")


def _run_callbacks(session: AsyncSession, kind: str) -> None:
    # File-system effects that must follow the transaction's fate (see document_service).
    for callback in session.info.pop(kind, []):
        callback()


def get_file_store(request: Request) -> FileStore:
    store: FileStore = request.app.state.file_store
    return store


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
FileStoreDep = Annotated[FileStore, Depends(get_file_store)]


async def load_project(
    project_id: Annotated[uuid.UUID, Path(alias="projectId")], session: SessionDep
) -> Project:
    return await project_service.get_project(session, project_id)


async def load_variable(
    variable_id: Annotated[uuid.UUID, Path(alias="variableId")], session: SessionDep
) -> Variable:
    return await variable_service.get_variable(session, variable_id)


ProjectDep = Annotated[Project, Depends(load_project)]
VariableDep = Annotated[Variable, Depends(load_variable)]


async def load_document(
    document_id: Annotated[uuid.UUID, Path(alias="documentId")], session: SessionDep
) -> Document:
    return await document_service.get_document(session, document_id)


DocumentDep = Annotated[Document, Depends(load_document)]
