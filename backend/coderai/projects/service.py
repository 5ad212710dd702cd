"""Projects: create, list, read with counts, update (regenerating prompts when the context
changes) and delete."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.errors import InvalidInput, NotFound
from coderai.documents import service as document_service
from coderai.documents.file_store import FileStore
from coderai.llm import LLMClients, ModelChoiceError
from coderai.members import audit
from coderai.members import service as member_service
from coderai.models import Document, Membership, Project, User, Variable
from coderai.models.enums import ProjectRole, ProjectStatus
from coderai.projects.schemas import ProjectCreate, ProjectUpdate
from coderai.prompts import service as prompt_service

# Fields whose change alters every prompt of the project.
CONTEXT_FIELDS = ("description", "domain", "language", "document_type", "unit_of_observation")


@dataclass(frozen=True)
class ProjectCounts:
    variables: int
    documents: int


async def get_project(session: AsyncSession, project_id: uuid.UUID) -> Project:
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFound(f"Project '{project_id}' not found.")
    return project


async def count_related(
    session: AsyncSession, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ProjectCounts]:
    """Variable and document counts for several projects in two grouped queries."""
    if not project_ids:
        return {}
    rows = await session.execute(
        select(Variable.project_id, func.count())
        .where(Variable.project_id.in_(project_ids))
        .group_by(Variable.project_id)
    )
    variables: dict[uuid.UUID, int] = {pid: n for pid, n in rows}
    documents = await _document_counts(session, project_ids)
    return {pid: ProjectCounts(variables.get(pid, 0), documents.get(pid, 0)) for pid in project_ids}


async def _document_counts(
    session: AsyncSession, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    statement = (
        select(Document.project_id, func.count())
        .where(Document.project_id.in_(project_ids))
        .group_by(Document.project_id)
    )
    return {pid: n for pid, n in await session.execute(statement)}


async def list_projects(
    session: AsyncSession, user: User, *, offset: int, limit: int, status: ProjectStatus | None
) -> tuple[Sequence[Project], int]:
    """The projects `user` may see (every one for an admin), newest first."""
    statement = select(Project)
    visible = member_service.visible_project_ids(user)
    if visible is not None:
        statement = statement.where(Project.id.in_(visible))
    if status is not None:
        statement = statement.where(Project.status == status)
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    page = await session.scalars(
        statement.order_by(Project.created_at.desc(), Project.id).offset(offset).limit(limit)
    )
    return page.all(), total or 0


async def roles_in(
    session: AsyncSession, user: User, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ProjectRole]:
    """The caller's role in each of these projects (absent: not a member)."""
    rows = await session.execute(
        select(Membership.project_id, Membership.role).where(
            Membership.user_id == user.id, Membership.project_id.in_(project_ids)
        )
    )
    return {project_id: role for project_id, role in rows}


async def create_project(session: AsyncSession, data: ProjectCreate, owner: User) -> Project:
    """A new project; its creator is its first OWNER."""
    project = Project(
        name=data.name,
        description=data.description,
        scale=data.scale,
        language=data.language,
        domain=data.domain,
        document_type=data.document_type,
        status=ProjectStatus.CREATED,
        unit_of_observation=data.unit_of_observation.model_dump(mode="json", by_alias=True),
        budget_usd=None if data.budget_usd is None else Decimal(str(data.budget_usd)),
        llm=data.llm.overrides() or None if data.llm else None,
    )
    session.add(project)
    await session.flush()
    await member_service.add_owner(session, project, owner)
    audit.note(session, project_id=project.id, target=("project", project.id), name=project.name)
    await session.refresh(project)
    return project


async def update_project(
    session: AsyncSession, project: Project, data: ProjectUpdate, *, model: str
) -> Project:
    """Apply a partial update; a changed context regenerates the project's prompts. A model
    choice (`llm`) must have passed `check_model_choice`."""
    changes = data.model_dump(exclude_unset=True, by_alias=False)
    if "unit_of_observation" in changes and data.unit_of_observation is not None:
        changes["unit_of_observation"] = data.unit_of_observation.model_dump(
            mode="json", by_alias=True
        )
    if changes.get("budget_usd") is not None:
        changes["budget_usd"] = Decimal(str(changes["budget_usd"]))
    if "llm" in changes:
        changes["llm"] = (data.llm.overrides() or None) if data.llm else None
    audit.note(session, fields=sorted(changes))
    context_changed = False
    for field, value in changes.items():
        if getattr(project, field) != value:
            setattr(project, field, value)
            context_changed |= field in CONTEXT_FIELDS
    await session.flush()
    if context_changed:
        await prompt_service.regenerate_project_prompts(session, project, model=model)
    await session.refresh(project)
    return project


async def delete_project(session: AsyncSession, store: FileStore, project: Project) -> None:
    """Delete the project with everything in it; originals no other project shares go too."""
    keys = set(
        await session.scalars(
            select(Document.storage_key)
            .where(Document.project_id == project.id, Document.storage_key.is_not(None))
            .distinct()
        )
    )
    await session.delete(project)
    await session.flush()
    await document_service.release_files(session, store, {k for k in keys if k})


def check_model_choice(clients: LLMClients | None, *layers: dict[str, Any] | None) -> None:
    """422 naming the field (`llm.baseUrl`…) unless the environment's model with these layers
    over it (project, then job) can run here. Without an LLM configured nothing can be checked
    against the environment: the choice is kept and checked when a job starts."""
    if clients is None:
        return
    try:
        clients.check(clients.resolve(*layers))
    except ModelChoiceError as exc:
        raise model_choice_error(exc) from exc


def model_choice_error(exc: ModelChoiceError) -> InvalidInput:
    """The 422 of a model choice that cannot run here, naming its field."""
    return InvalidInput(
        "This model cannot be used here.",
        errors=[{"field": f"llm.{exc.field}", "message": exc.message}],
    )
