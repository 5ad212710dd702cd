"""A project's members (owners manage them) and activity; the instance's activity (admins)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from coderai.core.dependencies import SessionDep
from coderai.core.schemas import MAX_OFFSET
from coderai.members import audit
from coderai.members import service as member_service
from coderai.members.schemas import ActivityRead, MemberAdd, MemberRead, MemberUpdate
from coderai.models import Membership, User

router = APIRouter(tags=["members"])

ProjectId = Annotated[uuid.UUID, Path(alias="projectId")]
UserId = Annotated[uuid.UUID, Path(alias="userId")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Limit = Annotated[int, Query(ge=1, le=500)]


def _member(membership: Membership, user: User) -> MemberRead:
    return MemberRead(
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=membership.role,
        created_at=membership.created_at,
    )


@router.get(
    "/projects/{projectId}/members", operation_id="members-list", response_model=list[MemberRead]
)
async def list_members(session: SessionDep, project_id: ProjectId) -> list[MemberRead]:
    return [_member(m, u) for m, u in await member_service.list_members(session, project_id)]


@router.post(
    "/projects/{projectId}/members",
    operation_id="members-add",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberRead,
)
async def add_member(session: SessionDep, project_id: ProjectId, body: MemberAdd) -> MemberRead:
    """Give an existing account a role in the project."""
    membership, user = await member_service.add_member(session, project_id, body.email, body.role)
    audit.note(session, target=("user", user.id), email=user.email, role=body.role.value)
    return _member(membership, user)


@router.put(
    "/projects/{projectId}/members/{userId}",
    operation_id="members-update",
    response_model=MemberRead,
)
async def update_member(
    session: SessionDep, project_id: ProjectId, user_id: UserId, body: MemberUpdate
) -> MemberRead:
    """Change a member's role; the last owner cannot step down (409)."""
    membership, user = await member_service.change_role(session, project_id, user_id, body.role)
    audit.note(session, target=("user", user.id), email=user.email, role=body.role.value)
    return _member(membership, user)


@router.delete(
    "/projects/{projectId}/members/{userId}",
    operation_id="members-remove",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def remove_member(session: SessionDep, project_id: ProjectId, user_id: UserId) -> Response:
    """Remove a member; the last owner cannot be removed (409)."""
    await member_service.remove_member(session, project_id, user_id)
    audit.note(session, target=("user", user_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/projects/{projectId}/activity",
    operation_id="projects-activity",
    response_model=list[ActivityRead],
)
async def project_activity(
    response: Response,
    session: SessionDep,
    project_id: ProjectId,
    user_id: Annotated[uuid.UUID | None, Query(alias="userId")] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> list[ActivityRead]:
    """Who did what in this project, newest first (total in `X-Total-Count`)."""
    return await _activity(response, session, project_id, user_id, action, offset, limit)


@router.get(
    "/activity", operation_id="activity-list", response_model=list[ActivityRead], tags=["admin"]
)
async def instance_activity(
    response: Response,
    session: SessionDep,
    project_id: Annotated[uuid.UUID | None, Query(alias="projectId")] = None,
    user_id: Annotated[uuid.UUID | None, Query(alias="userId")] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> list[ActivityRead]:
    """Everything that happened on this instance, sign-ins included (admins)."""
    return await _activity(response, session, project_id, user_id, action, offset, limit)


async def _activity(
    response: Response,
    session: SessionDep,
    project_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    action: str | None,
    offset: int,
    limit: int,
) -> list[ActivityRead]:
    events, total = await audit.list_events(
        session, project_id=project_id, user_id=user_id, action=action, offset=offset, limit=limit
    )
    response.headers["X-Total-Count"] = str(total)
    return [ActivityRead.model_validate(e) for e in events]
