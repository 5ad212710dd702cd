"""`ProjectDep`: the project named in the path, or 404."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from coderai.core.dependencies import SessionDep
from coderai.models import Project
from coderai.projects import service as project_service


async def load_project(
    project_id: Annotated[uuid.UUID, Path(alias="projectId")], session: SessionDep
) -> Project:
    return await project_service.get_project(session, project_id)


ProjectDep = Annotated[Project, Depends(load_project)]
# The path's project id alone, for routes that must not hold the request's connection while
# they work (uploads, docs/ARCHITECTURE.md "Parsing in isolation"); `authorise` checked it.
ProjectIdDep = Annotated[uuid.UUID, Path(alias="projectId")]
