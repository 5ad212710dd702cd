"""The audit trail: one append-only row per action. Every state-changing request writes one
through `auth.dependencies.authorise` (its operation id is the action); sign-ins write their
own. See docs/ARCHITECTURE.md, "Identity and access"."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.models import AuditEvent, User

_NOTE = "coderai.audit"


def note(
    session: AsyncSession,
    *,
    project_id: uuid.UUID | None = None,
    target: tuple[str, uuid.UUID | str] | None = None,
    **details: Any,
) -> None:
    """Tell the request's audit row what a service did (the project a new object belongs to,
    the object it created, a detail worth keeping)."""
    info = session.info.setdefault(_NOTE, {})
    if project_id is not None:
        info["project_id"] = project_id
    if target is not None:
        info["target"] = target
    info.setdefault("details", {}).update(details)


def noted(session: AsyncSession) -> dict[str, Any]:
    info: dict[str, Any] = session.info.pop(_NOTE, {})
    return info


def record(
    session: AsyncSession,
    user: User | None,
    action: str,
    *,
    project_id: uuid.UUID | None = None,
    target: tuple[str, uuid.UUID | str] | None = None,
    address: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        user_id=user.id if user else None,
        user_email=user.email if user else None,
        project_id=project_id,
        action=action,
        target_type=target[0] if target else None,
        target_id=str(target[1]) if target else None,
        client_address=address,
        details=details or {},
    )
    session.add(event)
    return event


async def list_events(
    session: AsyncSession,
    *,
    project_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    action: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[AuditEvent], int]:
    """Newest first; one project's, or the whole instance's (admins)."""
    statement = select(AuditEvent)
    if project_id is not None:
        statement = statement.where(AuditEvent.project_id == project_id)
    if user_id is not None:
        statement = statement.where(AuditEvent.user_id == user_id)
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    total = await session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = await session.scalars(
        statement.order_by(AuditEvent.id.desc()).offset(offset).limit(limit)
    )
    return rows.all(), total
