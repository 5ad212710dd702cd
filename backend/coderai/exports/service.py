"""Exports: choose the job, load its results, build the file in a thread under
`<data_dir>/exports`, and hand out signed links that expire (no table needed: the link
carries the file's path and expiry, signed with HMAC over the secret key)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import shutil
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core import metrics
from coderai.core.config import Settings
from coderai.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from coderai.exports import writers
from coderai.exports.codebook import build_codebook, variable_quality
from coderai.exports.data import ExportData, load_export_data
from coderai.exports.frames import build_frame
from coderai.exports.gold import apply_gold
from coderai.exports.grid import FrameOptions, resolve_grid
from coderai.exports.schemas import ExportConfig, ExportFormat, ExportLayout
from coderai.members import audit
from coderai.models import ProcessingJob, Project
from coderai.models.enums import JobStatus, JobType
from coderai.studies.blinding import codes_job_blind

EXTENSIONS = {
    ExportFormat.CSV_WIDE: "csv",
    ExportFormat.CSV_LONG: "csv",
    ExportFormat.CSV: "csv",
    ExportFormat.EXCEL: "xlsx",
    ExportFormat.JSON: "json",
    ExportFormat.PARQUET: "parquet",
    ExportFormat.STATA: "dta",
}
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "dta": "application/x-stata-dta",
}
# Old export files are swept this long after their links expired.
_SWEEP_GRACE_SECONDS = 3600
_SIGNING_CONTEXT = b"coderai-export-link\x00"


@dataclass(frozen=True)
class BuiltExport:
    path: str  # relative to the exports directory
    codebook_path: str
    size: int
    rows: int
    columns: int


@dataclass(frozen=True)
class ExportFile:
    """A built export and the signed tokens of its data file and codebook."""

    token: str
    codebook_token: str
    filename: str
    size: int
    expires_at: datetime
    format: ExportFormat
    layout: ExportLayout
    job_id: uuid.UUID
    rows: int
    columns: int


@dataclass(frozen=True)
class DownloadFile:
    path: Path
    filename: str
    media_type: str


# ----------------------------------------------------------------------------- the job


async def export_job(
    session: AsyncSession, project_id: uuid.UUID, job_id: uuid.UUID | None
) -> ProcessingJob:
    """The named job of the project, or its latest COMPLETE FULL job, else latest SAMPLE."""
    if job_id is not None:
        job = await session.get(ProcessingJob, job_id)
        if job is None or job.project_id != project_id:
            raise NotFound(f"Job '{job_id}' not found in project '{project_id}'.")
        return job
    for job_type in (JobType.FULL, JobType.SAMPLE):
        job = await session.scalar(
            select(ProcessingJob)
            .where(
                ProcessingJob.project_id == project_id,
                ProcessingJob.job_type == job_type,
                ProcessingJob.status == JobStatus.COMPLETE,
            )
            .order_by(
                ProcessingJob.completed_at.desc().nulls_last(), ProcessingJob.created_at.desc()
            )
            .limit(1)
        )
        if job is not None:
            return job
    raise Conflict(
        "No results to export yet: the project has no COMPLETE job. Run a sample or full job, "
        "or name one with jobId."
    )


# ----------------------------------------------------------------------------- building


def slug(text: str) -> str:
    """A filename-safe form of a project name ("Trials: Kenya & Peru" -> "trials-kenya-peru")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-") or "project"


def _sweep(root: Path, older_than: float) -> None:
    for entry in root.iterdir():
        try:
            if entry.is_dir() and entry.stat().st_mtime < older_than:
                shutil.rmtree(entry, ignore_errors=True)
        except FileNotFoundError:
            continue  # another request swept it first


def build_export_files(
    data: ExportData, config: ExportConfig, root: Path, ttl_seconds: int
) -> BuiltExport:
    """Build the frame, the codebook and the file (blocking: run it in a thread)."""
    root.mkdir(parents=True, exist_ok=True)
    _sweep(root, time.time() - ttl_seconds - _SWEEP_GRACE_SECONDS)
    layout = config.effective_layout
    options = FrameOptions(
        layout=layout,
        mode=data.mode,
        include_confidence=config.include_confidence,
        include_source_text=config.include_source_text,
        min_confidence=config.min_confidence,
    )
    grid = resolve_grid(data.variables, data.units, data.extractions, options)
    gold_applied = apply_gold(grid, data.gold)
    export = build_frame(grid, options)
    frame = export.frame
    if config.format is ExportFormat.EXCEL and (
        len(frame) + 1 > writers.EXCEL_MAX_ROWS or len(frame.columns) > writers.EXCEL_MAX_COLUMNS
    ):
        raise InvalidInput(
            f"{len(frame)} rows and {len(frame.columns)} columns do not fit in an Excel sheet; "
            "export CSV or Parquet instead.",
            errors=[{"field": "format", "message": "too large for Excel"}],
        )
    plan = writers.plan_stata(export) if config.format is ExportFormat.STATA else None
    settings_used = {
        "format": config.format.value,
        "layout": layout.value,
        "includeConfidence": config.include_confidence,
        "includeSourceText": config.include_source_text,
        "minConfidence": config.min_confidence,
        "createdAt": datetime.now(UTC).isoformat(),
        "goldApplied": gold_applied,
    }
    codebook = build_codebook(
        data.project,
        data.job,
        settings_used,
        export,
        variable_quality(grid),
        plan.names if plan else None,
        plan.value_labels if plan else None,
        data.reliability,
    )
    folder = root / uuid.uuid4().hex
    folder.mkdir()
    stem = f"{slug(data.project.name)}_{data.job.id[:8]}_{layout.value.lower()}"
    path = folder / f"{stem}.{EXTENSIONS[config.format]}"
    codebook_path = folder / f"{stem}_codebook.json"
    try:
        if config.format is ExportFormat.EXCEL:
            writers.write_excel(export, path, codebook)
        elif config.format is ExportFormat.JSON:
            writers.write_json(export, path, codebook)
        elif config.format is ExportFormat.PARQUET:
            writers.write_parquet(export, path, codebook)
        elif plan is not None:
            writers.write_stata(plan, path, data.project.name)
        else:
            writers.write_csv(export, path)
        text = json.dumps(codebook, ensure_ascii=False, indent=2, default=str)
        codebook_path.write_text(text, encoding="utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no half-written file behind a link
        raise
    return BuiltExport(
        path=f"{folder.name}/{path.name}",
        codebook_path=f"{folder.name}/{codebook_path.name}",
        size=path.stat().st_size,
        rows=len(frame),
        columns=len(frame.columns),
    )


def exports_dir(settings: Settings) -> Path:
    """Where export files live (swept some time after their links expire)."""
    return settings.data_dir / "exports"


async def create_export(
    session: AsyncSession,
    settings: Settings,
    project: Project,
    config: ExportConfig,
    viewer_id: uuid.UUID | None = None,
) -> ExportFile:
    """Build the requested export of a job's results and sign links to it (403 for a
    `viewer_id` who codes a study of the job blind: the file holds the model's values)."""
    job = await export_job(session, project.id, config.job_id)
    if viewer_id is not None and await codes_job_blind(session, job.id, viewer_id):
        raise Forbidden(
            "You code a blind reliability study of this job: its export would show you the "
            "model's values. Export once the study is closed or unblinded."
        )
    audit.note(
        session,
        target=("job", job.id),
        format=config.format.value,
        layout=config.effective_layout.value,
    )
    with metrics.export_timer(config.format.value):
        data = await load_export_data(
            session,
            project,
            job,
            with_sources=config.include_source_text,
            layout=config.effective_layout,
        )
        build = partial(
            build_export_files,
            data,
            config,
            exports_dir(settings),
            settings.export_link_ttl_seconds,
        )
        built = await anyio.to_thread.run_sync(build)
    # The link's lifetime starts once the file exists, however long the build took.
    expires = int(time.time()) + settings.export_link_ttl_seconds
    return ExportFile(
        token=sign_link(settings, built.path, expires),
        codebook_token=sign_link(settings, built.codebook_path, expires),
        filename=Path(built.path).name,
        size=built.size,
        expires_at=datetime.fromtimestamp(expires, UTC),
        format=config.format,
        layout=config.effective_layout,
        job_id=job.id,
        rows=built.rows,
        columns=built.columns,
    )


# ----------------------------------------------------------------------------- links


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(settings: Settings, payload: bytes) -> bytes:
    if settings.secret_key is None:  # the app resolves one at start (core.secret_key)
        raise RuntimeError("SECRET_KEY is not set")
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, _SIGNING_CONTEXT + payload, hashlib.sha256).digest()


def sign_link(settings: Settings, path: str, expires: int) -> str:
    """A token naming `path` (relative to the exports directory) until `expires` (epoch s)."""
    payload = f"{path}|{expires}".encode()
    return f"{_b64(payload)}.{_b64(_signature(settings, payload))}"


def _existing_file(root: Path, relative: str) -> Path | None:
    root = root.resolve()
    path = (root / relative).resolve()
    # A signed path still must not leave the exports directory.
    return path if path.is_relative_to(root) and path.is_file() else None


async def resolve_download(settings: Settings, token: str) -> DownloadFile:
    """The file a token names, if its signature holds and it has not expired; else 404."""
    gone = NotFound("This download link is invalid or has expired; export again for a new one.")
    try:
        encoded, signature = token.split(".", 1)
        payload = _unb64(encoded)
        valid = hmac.compare_digest(_unb64(signature), _signature(settings, payload))
        path_text, expires_text = payload.decode().rsplit("|", 1)
        expires = int(expires_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise gone from None
    if not valid or time.time() >= expires:
        raise gone
    path = await anyio.to_thread.run_sync(_existing_file, exports_dir(settings), path_text)
    if path is None:
        raise gone
    return DownloadFile(path, path.name, MEDIA_TYPES.get(path.suffix.lstrip("."), "text/plain"))
