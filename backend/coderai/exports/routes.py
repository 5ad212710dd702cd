"""Exports: build a dataset file from a job's results, download it through a signed link."""

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from coderai.auth.dependencies import UserDep
from coderai.core.config import Settings
from coderai.core.dependencies import SessionDep, SettingsDep
from coderai.exports import service as export_service
from coderai.exports.schemas import ExportConfig, ExportRead
from coderai.projects.dependencies import ProjectDep

router = APIRouter(tags=["exports"])


@router.post(
    "/projects/{projectId}/export",
    operation_id="exports-create",
    response_model=ExportRead,
    responses={
        403: {"description": "The caller codes an open blind reliability study of the job"},
        404: {"description": "Unknown project, or a jobId not in this project"},
        409: {"description": "The project has no results to export yet"},
    },
)
async def create_export(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    project: ProjectDep,
    user: UserDep,
    body: ExportConfig,
) -> ExportRead:
    """Build CSV, Excel, JSON, Parquet or Stata from a job (default: the latest complete one)
    and answer a download link that expires after EXPORT_LINK_TTL_SECONDS."""
    export = await export_service.create_export(session, settings, project, body, user.id)
    return ExportRead(
        download_url=_link(request, settings, export.token),
        codebook_url=_link(request, settings, export.codebook_token),
        file_size=export.size,
        expires_at=export.expires_at,
        filename=export.filename,
        format=export.format,
        layout=export.layout,
        job_id=export.job_id,
        row_count=export.rows,
        column_count=export.columns,
    )


def _link(request: Request, settings: Settings, token: str) -> str:
    """On PUBLIC_BASE_URL when set; else on the request's Host, which the trusted-host check
    (ALLOWED_HOSTS) has let through."""
    if settings.public_base_url:
        path = request.app.url_path_for("exports-download", token=token)
        return settings.public_base_url.rstrip("/") + str(path)
    return str(request.url_for("exports-download", token=token))


@router.get(
    "/exports/{token}",
    operation_id="exports-download",
    name="exports-download",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        404: {"description": "Invalid or expired link"},
    },
)
async def download_export(settings: SettingsDep, token: str) -> FileResponse:
    """The export file (streamed, as an attachment) while its signed link is valid."""
    file = await export_service.resolve_download(settings, token)
    return FileResponse(file.path, media_type=file.media_type, filename=file.filename)
