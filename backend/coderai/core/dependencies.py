"""Request dependencies every domain shares: the request's transaction, the settings and the
database. Domain packages add their own loaders (`ProjectDep`, `JobDep`…) beside their routes."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.config import Settings
from coderai.core.database import Database
from coderai.core.isolation import IsolatedPool


def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request owns the transaction: commit after the handler returns, roll back on error
    (docs/ARCHITECTURE.md, "Transactions"). Scoped to the handler, not the response, so a
    failed commit is reported to the client."""
    async with get_database(request).transaction() as session:
        yield session


def get_parse_pool(request: Request) -> IsolatedPool:
    """The children that read uploaded files (docs/ARCHITECTURE.md, "Parsing in isolation")."""
    pool: IsolatedPool = request.app.state.parse_pool
    return pool


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
ParsePoolDep = Annotated[IsolatedPool, Depends(get_parse_pool)]
