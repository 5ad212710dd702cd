"""Memberships: who may do what in a project. A project keeps at least one OWNER."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.errors import Conflict, NotFound
from coderai.models import (
    Document,
    Extraction,
    Membership,
    ProcessingJob,
    Project,
    Prompt,
    ReliabilityStudy,
    User,
    Variable,
)
from coderai.models.enums import ProjectRole

# How a path parameter leads to the project that owns what it names.
_PROJECT_OF: dict[str, Select[Any]] = {
    "projectId": select(Project.id),
    "variableId": select(Variable.project_id),
    "documentId": select(Document.project_id),
    "jobId": select(ProcessingJob.project_id),
    "extractionId": select(ProcessingJob.project_id).join(
        Extraction, Extraction.job_id == ProcessingJob.id
    ),
    "promptId": select(Variable.project_id).join(Prompt, Prompt.variable_id == Variable.id),
    "studyId": select(ReliabilityStudy.project_id),
}
_ID_COLUMN = {
    "projectId": Project.id,
    "variableId": Variable.id,
    "documentId": Document.id,
    "jobId": ProcessingJob.id,
    "extractionId": Extraction.id,
    "promptId": Prompt.id,
    "studyId": ReliabilityStudy.id,
}
SCOPING_PARAMETERS = tuple(_PROJECT_OF)


async def project_of(session: AsyncSession, parameter: str, value: uuid.UUID) -> uuid.UUID | None:
    """The id of the project that owns the object a path parameter names, or None."""
    statement = _PROJECT_OF[parameter].where(_ID_COLUMN[parameter] == value)
    project_id: uuid.UUID | None = await session.scalar(statement)
    return project_id


async def project_and_role(
    session: AsyncSession, parameter: str, value: uuid.UUID, user_id: uuid.UUID
) -> tuple[uuid.UUID | None, ProjectRole | None]:
    """In one query: the project that owns the object a path parameter names (None: no
    such object), and `user_id`'s role in it (None: not a member)."""
    owner = _PROJECT_OF[parameter].where(_ID_COLUMN[parameter] == value).subquery()
    project_id = owner.c[0]
    row = (
        await session.execute(
            select(project_id, Membership.role).outerjoin(
                Membership,
                (Membership.project_id == project_id) & (Membership.user_id == user_id),
            )
        )
    ).first()
    return (None, None) if row is None else (row[0], row[1])


async def role_of(
    session: AsyncSession, user_id: uuid.UUID, project_id: uuid.UUID
) -> ProjectRole | None:
    return await session.scalar(
        select(Membership.role).where(
            Membership.user_id == user_id, Membership.project_id == project_id
        )
    )


def visible_project_ids(user: User) -> Select[Any] | None:
    """The projects `user` may see (None: all of them, for an admin)."""
    if user.is_admin:
        return None
    return select(Membership.project_id).where(Membership.user_id == user.id)


async def add_owner(session: AsyncSession, project: Project, user: User) -> None:
    session.add(Membership(project_id=project.id, user_id=user.id, role=ProjectRole.OWNER))
    await session.flush()


async def list_members(
    session: AsyncSession, project_id: uuid.UUID
) -> Sequence[tuple[Membership, User]]:
    rows = await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.project_id == project_id)
        .order_by(Membership.created_at)
    )
    return [(m, u) for m, u in rows]


async def _membership(
    session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID
) -> Membership:
    membership = await session.scalar(
        select(Membership)
        .where(Membership.project_id == project_id, Membership.user_id == user_id)
        .with_for_update()
    )
    if membership is None:
        raise NotFound(f"User '{user_id}' is not a member of this project.")
    return membership


async def add_member(
    session: AsyncSession, project_id: uuid.UUID, email: str, role: ProjectRole
) -> tuple[Membership, User]:
    """Invite an existing account by email; 404 for an unknown email, 409 for a member."""
    user = await session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        raise NotFound(f"No account has the email '{email}': an admin creates accounts first.")
    exists = await role_of(session, user.id, project_id)
    if exists is not None:
        raise Conflict(f"'{email}' is a member already ({exists.value}); change their role.")
    membership = Membership(project_id=project_id, user_id=user.id, role=role)
    session.add(membership)
    await session.flush()
    return membership, user


async def _lock_owners(session: AsyncSession, project_id: uuid.UUID) -> int:
    # Changes to one project's members take turns, so two owners cannot demote each other
    # into a project with none.
    await session.execute(select(Project.id).where(Project.id == project_id).with_for_update())
    owners = await session.scalar(
        select(func.count()).where(
            Membership.project_id == project_id, Membership.role == ProjectRole.OWNER
        )
    )
    return owners or 0


async def change_role(
    session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID, role: ProjectRole
) -> tuple[Membership, User]:
    owners = await _lock_owners(session, project_id)
    membership = await _membership(session, project_id, user_id)
    if membership.role is ProjectRole.OWNER and role is not ProjectRole.OWNER and owners <= 1:
        raise Conflict("The last owner cannot step down: make someone else an owner first.")
    membership.role = role
    await session.flush()
    return membership, await session.get_one(User, user_id)


async def remove_member(session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID) -> None:
    owners = await _lock_owners(session, project_id)
    membership = await _membership(session, project_id, user_id)
    if membership.role is ProjectRole.OWNER and owners <= 1:
        raise Conflict("The last owner cannot be removed: make someone else an owner first.")
    await session.delete(membership)
    await session.flush()
