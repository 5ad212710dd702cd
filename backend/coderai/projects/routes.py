"""Projects and their schema document."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import PlainTextResponse

from coderai.auth.dependencies import UserDep
from coderai.core.dependencies import ParsePoolDep, SessionDep, SettingsDep
from coderai.core.errors import InvalidInput, PayloadTooLarge
from coderai.core.isolation import IsolatedFailure
from coderai.core.schemas import MAX_OFFSET
from coderai.documents.dependencies import FileStoreDep
from coderai.jobs.dependencies import LLMClientsDep
from coderai.models import Project, User
from coderai.models.enums import ProjectStatus
from coderai.projects import schema_transfer
from coderai.projects import service as project_service
from coderai.projects.dependencies import ProjectDep, ProjectIdDep
from coderai.projects.schema_document import (
    SchemaDocument,
    SchemaImportResult,
    SchemaProblem,
    read_schema_document,
)
from coderai.projects.schemas import (
    ProjectCreate,
    ProjectDetail,
    ProjectPage,
    ProjectRead,
    ProjectUpdate,
)
from coderai.variables import service as variable_service
from coderai.variables.schemas import VariableRead

router = APIRouter(prefix="/projects", tags=["projects"])


async def _read(session: SessionDep, user: User, project: Project) -> ProjectRead:
    counts = (await project_service.count_related(session, [project.id]))[project.id]
    roles = await project_service.roles_in(session, user, [project.id])
    return ProjectRead.model_validate(project).model_copy(
        update={
            "variable_count": counts.variables,
            "document_count": counts.documents,
            "my_role": roles.get(project.id),
        }
    )


@router.get("", operation_id="projects-list", response_model=ProjectPage)
async def list_projects(
    session: SessionDep,
    user: UserDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    status: ProjectStatus | None = None,
) -> ProjectPage:
    projects, total = await project_service.list_projects(
        session, user, offset=offset, limit=limit, status=status
    )
    counts = await project_service.count_related(session, [p.id for p in projects])
    roles = await project_service.roles_in(session, user, [p.id for p in projects])
    items = [
        ProjectRead.model_validate(p).model_copy(
            update={
                "variable_count": counts[p.id].variables,
                "document_count": counts[p.id].documents,
                "my_role": roles.get(p.id),
            }
        )
        for p in projects
    ]
    return ProjectPage(items=items, total=total, offset=offset, limit=limit)


@router.post(
    "",
    operation_id="projects-create",
    status_code=status.HTTP_201_CREATED,
    response_model=ProjectRead,
)
async def create_project(
    session: SessionDep, user: UserDep, clients: LLMClientsDep, body: ProjectCreate
) -> ProjectRead:
    if body.llm is not None:
        project_service.check_model_choice(clients, body.llm.overrides())
    project = await project_service.create_project(session, body, user)
    return await _read(session, user, project)


@router.get("/{projectId}", operation_id="projects-get", response_model=ProjectDetail)
async def get_project(session: SessionDep, user: UserDep, project: ProjectDep) -> ProjectDetail:
    summary = await _read(session, user, project)
    variables = await variable_service.list_variables(session, project.id)
    return ProjectDetail(
        **summary.model_dump(),
        variables=[VariableRead.model_validate(v) for v in variables],
    )


@router.put("/{projectId}", operation_id="projects-update", response_model=ProjectRead)
async def update_project(
    session: SessionDep,
    settings: SettingsDep,
    user: UserDep,
    project: ProjectDep,
    clients: LLMClientsDep,
    body: ProjectUpdate,
) -> ProjectRead:
    if body.llm is not None:
        project_service.check_model_choice(clients, body.llm.overrides())
    llm = project.llm
    if "llm" in body.model_fields_set:
        llm = body.llm.overrides() if body.llm is not None else None
    model = str((llm or {}).get("model") or settings.llm_model)
    await project_service.update_project(session, project, body, model=model)
    return await _read(session, user, project)


@router.delete(
    "/{projectId}", operation_id="projects-delete", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_project(session: SessionDep, store: FileStoreDep, project: ProjectDep) -> Response:
    await project_service.delete_project(session, store, project)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{projectId}/schema",
    operation_id="projects-schema-export",
    response_model=SchemaDocument,
    responses={200: {"content": {"application/yaml": {}}}},
)
async def export_schema(
    session: SessionDep,
    project: ProjectDep,
    format: Annotated[str, Query(pattern="^(json|yaml)$")] = "json",
) -> SchemaDocument | PlainTextResponse:
    document = await schema_transfer.export_schema(session, project)
    if format == "yaml":
        return PlainTextResponse(
            schema_transfer.render_yaml(document), media_type="application/yaml"
        )
    return document


@router.post(
    "/{projectId}/schema",
    operation_id="projects-schema-import",
    response_model=SchemaImportResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SchemaDocument"}},
                "application/yaml": {"schema": {"$ref": "#/components/schemas/SchemaDocument"}},
            },
        }
    },
)
async def import_schema(
    session: SessionDep,
    settings: SettingsDep,
    pool: ParsePoolDep,
    project_id: ProjectIdDep,
    request: Request,
    replace: bool = False,
) -> SchemaImportResult:
    """Validate a whole schema (JSON or YAML) and apply it all or nothing; variables are matched
    by name, and with `replace=true` variables missing from the document are deleted. YAML
    aliases are refused; the document is read in an isolated child process."""
    body = await request.body()
    try:
        read = await pool.run(read_schema_document, body, request.headers.get("content-type", ""))
    except IsolatedFailure as failure:
        if failure.kind == "too_large":
            raise PayloadTooLarge(failure.message) from None
        raise InvalidInput(
            failure.message, errors=[{"field": "body", "message": failure.message}]
        ) from None
    if isinstance(read, SchemaProblem):
        raise InvalidInput(read.detail, errors=read.errors)
    document = read
    # Loaded only now: no connection is held while the document is read.
    project = await project_service.get_project(session, project_id)
    outcome = await schema_transfer.import_schema(
        session, project, document, replace=replace, model=settings.llm_model
    )
    exported = await schema_transfer.export_schema(session, project)
    return SchemaImportResult(
        created=outcome.created, updated=outcome.updated, deleted=outcome.deleted, schema=exported
    )
