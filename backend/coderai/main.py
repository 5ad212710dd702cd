"""create_app(): the FastAPI application; its lifespan opens the database (embedded when
DATABASE_URL is unset), applies migrations, and starts/stops background services."""

import gc
import logging
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.routing import APIRoute

from coderai import __version__
from coderai.auth import routes as auth
from coderai.auth.dependencies import AuthoriseDep
from coderai.auth.policy import POLICY
from coderai.core import error_tracking, health, migrations, monitoring
from coderai.core.access import REQUEST_ID_HEADER, RequestContextMiddleware
from coderai.core.body_limit import BodyLimitMiddleware, RouteLimit
from coderai.core.config import Settings, get_settings
from coderai.core.database import (
    Database,
    create_engine,
    start_embedded_postgres,
    stop_embedded_postgres,
)
from coderai.core.errors import install_error_handlers
from coderai.core.isolation import IsolatedPool
from coderai.core.logging import configure_logging
from coderai.core.schemas import PROBLEM_RESPONSES
from coderai.core.secret_key import resolve_secret_key
from coderai.documents import routes as documents
from coderai.documents.file_store import FileStore
from coderai.exports import routes as exports
from coderai.extraction.engine import extract_document
from coderai.extraction.types import (
    DocumentExtraction,
    DocumentInput,
    ExtractionOptions,
    VariablePrompt,
)
from coderai.jobs import routes as jobs
from coderai.jobs.runner import JobRunner
from coderai.jobs.runner.items import ExtractFn
from coderai.llm import LLMClients
from coderai.members import routes as members
from coderai.projects import routes as projects
from coderai.prompts import routes as prompts
from coderai.review import routes as review
from coderai.studies import routes as studies
from coderai.variables import routes as variables

API_PREFIX = "/api/v1"
logger = logging.getLogger(__name__)


async def resolve_database_url(settings: Settings, stack: AsyncExitStack) -> str:
    """The configured URL, or an embedded PostgreSQL started for this process."""
    if settings.database_url:
        return settings.database_url
    server, url = await anyio.to_thread.run_sync(start_embedded_postgres, settings.embedded_pg_dir)
    stack.push_async_callback(anyio.to_thread.run_sync, stop_embedded_postgres, server)
    return url


def extract_with(clients: LLMClients) -> ExtractFn:
    """The runner's engine: each job's documents go to the client of the job's model."""

    async def extract(
        document: DocumentInput, prompts: list[VariablePrompt], options: ExtractionOptions
    ) -> DocumentExtraction:
        return await extract_document(clients.get(options.llm), document, prompts, options)

    return extract


async def start_runner(
    database: Database, settings: Settings, clients: LLMClients, stack: AsyncExitStack
) -> JobRunner:
    """Start the job runner; it stops (handing back unfinished items) before the pool closes."""
    runner = JobRunner(database, settings, extract_with(clients))
    await runner.start()
    stack.push_async_callback(runner.stop)
    return runner


def parse_pool(settings: Settings) -> IsolatedPool:
    """The children that read uploads, started on first use (docs/ARCHITECTURE.md)."""
    return IsolatedPool(
        workers=settings.parse_workers,
        memory_bytes=settings.parse_memory_mb * 1024 * 1024,
        timeout_seconds=settings.parse_timeout_seconds,
        # Imported by each child before its memory ceiling is set.
        warm_modules=("coderai.documents.reading", "coderai.projects.schema_document"),
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings = resolve_secret_key(app.state.settings)
    async with AsyncExitStack() as stack:
        url = await resolve_database_url(settings, stack)
        # Both refuse a database migrated by newer code (`migrations.UnknownRevision`).
        if settings.migrate_on_start:
            await anyio.to_thread.run_sync(migrations.upgrade, url)
        else:
            await anyio.to_thread.run_sync(migrations.check_revision, url)
        database = Database(create_engine(url, settings))
        stack.push_async_callback(database.dispose)
        app.state.db = database
        app.state.file_store = FileStore(settings.files_dir)
        app.state.parse_pool = parse_pool(settings)
        stack.callback(app.state.parse_pool.close)
        app.state.llm = app.state.runner = app.state.llm_clients = None
        if settings.llm_configured:
            clients = LLMClients(settings)
            stack.push_async_callback(clients.aclose)
            app.state.llm_clients = clients
            app.state.llm = clients.default
            if settings.runner_enabled:
                app.state.runner = await start_runner(database, settings, clients, stack)
        else:
            logger.warning(
                "no LLM configured: jobs cannot start (set OPENAI_API_KEY or LLM_BASE_URL)"
            )
        # Start-up objects (models, routes, imports) never die: keep them out of full
        # collections, which otherwise stall every request for ~0.2 s during a job.
        gc.freeze()
        logger.info("CoderAI %s ready", __version__)
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    error_tracking.init(settings)
    app = FastAPI(
        title="CoderAI API",
        version=__version__,
        summary="Turn document collections into research datasets with LLMs.",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["X-Total-Count", "Content-Disposition", REQUEST_ID_HEADER],
    )
    upload = RouteLimit(
        "POST",
        re.compile(f"{API_PREFIX}/projects/[^/]+/documents"),
        settings.max_upload_request_bytes,
    )
    app.add_middleware(
        BodyLimitMiddleware, default_bytes=settings.max_request_bytes, routes=[upload]
    )
    if "*" not in settings.allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    # Added last, so it wraps CORS too: every answer carries the request id.
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)
    routers = (
        auth.router,
        members.router,
        projects.router,
        variables.router,
        prompts.router,
        documents.router,
        jobs.router,
        review.router,
        studies.router,
        exports.router,
        health.router,
    )
    for router in routers:
        app.include_router(
            router, prefix=API_PREFIX, responses=PROBLEM_RESPONSES, dependencies=[AuthoriseDep]
        )
    # Probes usually look at the root path, and Prometheus at /metrics.
    app.include_router(health.router, include_in_schema=False, dependencies=[AuthoriseDep])
    app.include_router(monitoring.router, dependencies=[AuthoriseDep])
    _check_policies(app, (*routers, monitoring.router))
    return app


def create_worker_app(settings: Settings) -> FastAPI:
    """`coderai worker --port`: the job runner with only its probes and `/metrics` over HTTP
    (same lifespan as the API; a worker never migrates)."""
    settings = settings.model_copy(update={"migrate_on_start": False, "runner_enabled": True})
    configure_logging(settings.log_level, settings.log_format)
    error_tracking.init(settings)
    app = FastAPI(title="CoderAI worker", version=__version__, lifespan=lifespan, openapi_url=None)
    app.state.settings = settings
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)
    for router in (health.router, monitoring.router):
        app.include_router(router, dependencies=[AuthoriseDep])
    _check_policies(app, (health.router, monitoring.router))
    return app


def _check_policies(app: FastAPI, routers: tuple[APIRouter, ...]) -> None:
    """Every route must have an entry in the access policy (docs/ARCHITECTURE.md,
    "Identity and access"): a route nobody decided about does not start."""
    # The routers' own routes, not `app.routes`: FastAPI 0.165 keeps an included router as
    # one opaque entry there, so walking `app.routes` found no route at all.
    routes = [*app.routes, *(route for router in routers for route in router.routes)]
    missing = sorted(
        {
            f"{route.operation_id or route.name} {route.path}"
            for route in routes
            if isinstance(route, APIRoute) and route.operation_id not in POLICY
        }
    )
    if missing:
        raise RuntimeError(f"routes without an access policy: {', '.join(missing)}")
