"""`coderai serve | worker | migrate | users | tokens | openapi` — one entry point for operators."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

from coderai.core.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from coderai.core.secret_key import InsecureSecretKey, resolve_secret_key
    from coderai.main import create_app

    try:
        settings = resolve_secret_key(get_settings(), host=args.host)
    except InsecureSecretKey as exc:
        _fail(str(exc))
    # create_app configured logging (LOG_FORMAT): uvicorn keeps its hands off, and the app
    # writes its own access line (with the route template and request id).
    uvicorn.run(
        create_app(settings), host=args.host, port=args.port, log_config=None, access_log=False
    )


def _migrate(args: argparse.Namespace) -> None:
    from coderai.core import migrations
    from coderai.main import resolve_database_url

    async def run() -> None:
        async with AsyncExitStack() as stack:
            url = await resolve_database_url(get_settings(), stack)
            await asyncio.to_thread(migrations.upgrade, url, args.revision)

    asyncio.run(run())
    print(f"database migrated to {args.revision}")


def _worker(args: argparse.Namespace) -> None:
    """The job runner without HTTP: more processes (or machines) sharing one PostgreSQL."""
    import signal

    from coderai.core import migrations
    from coderai.core.database import Database, create_engine
    from coderai.llm import LLMClients
    from coderai.main import resolve_database_url, start_runner

    settings = get_settings()
    if args.concurrency:
        settings = settings.model_copy(update={"runner_concurrency": args.concurrency})
    if not settings.llm_configured:
        _fail("a worker needs an LLM: set OPENAI_API_KEY, or LLM_BASE_URL")
    if args.port is not None:
        # Probes and /metrics over HTTP; the runner starts and stops with the app.
        import uvicorn

        from coderai.main import create_worker_app

        app = create_worker_app(settings)
        uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)
        return

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with AsyncExitStack() as stack:
            url = await resolve_database_url(settings, stack)
            # A worker does not migrate, but must not work on a schema newer than its code.
            await asyncio.to_thread(migrations.check_revision, url)
            database = Database(create_engine(url, settings))
            stack.push_async_callback(database.dispose)
            clients = LLMClients(settings)
            stack.push_async_callback(clients.aclose)
            await start_runner(database, settings, clients, stack)
            print("worker running; Ctrl-C to stop", flush=True)
            await stop.wait()

    asyncio.run(run())


async def _with_database(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction on the configured (or embedded) database, migrated."""
    from coderai.core import migrations
    from coderai.core.database import Database, create_engine
    from coderai.main import resolve_database_url

    settings = get_settings()
    async with AsyncExitStack() as stack:
        url = await resolve_database_url(settings, stack)
        if settings.migrate_on_start:
            await asyncio.to_thread(migrations.upgrade, url)
        else:
            await asyncio.to_thread(migrations.check_revision, url)
        database = Database(create_engine(url, settings))
        stack.push_async_callback(database.dispose)
        async with database.transaction() as session:
            return await work(session)


def _fail(message: str) -> NoReturn:
    print(f"coderai: {message}", file=sys.stderr)
    raise SystemExit(2)


def _users_create(args: argparse.Namespace) -> None:
    """Create an account; the password is read from standard input (never an argument, so it
    stays out of shell history and process lists)."""
    from coderai.auth import service as auth_service
    from coderai.auth.passwords import MIN_PASSWORD_CHARS
    from coderai.core.errors import CoderAIError
    from coderai.members import audit

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_CHARS:
        _fail(f"the password needs at least {MIN_PASSWORD_CHARS} characters")

    async def work(session: AsyncSession) -> str:
        user = await auth_service.create_user(
            session,
            email=args.email,
            password=password,
            display_name=args.name,
            is_admin=args.admin,
        )
        audit.record(
            session, None, "users-create", target=("user", user.id), details={"via": "cli"}
        )
        return f"created {'admin ' if user.is_admin else ''}account {user.email} ({user.id})"

    try:
        print(asyncio.run(_with_database(work)))
    except CoderAIError as exc:
        _fail(exc.detail)


def _tokens_create(args: argparse.Namespace) -> None:
    """Create an API token for an account and print it alone on stdout (for scripts)."""
    from coderai.auth import service as auth_service
    from coderai.members import audit

    async def work(session: AsyncSession) -> str | None:
        user = await auth_service.find_user(session, args.email)
        if user is None:
            return None
        row, token = await auth_service.create_api_token(session, user, args.name)
        audit.record(
            session, user, "auth-tokens-create", target=("token", row.id), details={"via": "cli"}
        )
        return token

    token = asyncio.run(_with_database(work))
    if token is None:
        _fail(f"no account has the email {args.email!r}")
    print(token)


def _openapi(args: argparse.Namespace) -> None:
    from coderai.main import create_app

    document = json.dumps(create_app().openapi(), indent=2, sort_keys=False) + "\n"
    if args.output == "-":
        sys.stdout.write(document)
    else:
        Path(args.output).write_text(document)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coderai", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API (and the job runner)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(func=_migrate)

    worker = commands.add_parser("worker", help="run the job runner without the HTTP API")
    worker.add_argument("--concurrency", type=int, default=None)
    worker.add_argument(
        "--port", type=int, default=None, help="serve /health/live, /health/ready and /metrics"
    )
    worker.add_argument("--host", default="127.0.0.1")
    worker.set_defaults(func=_worker)

    users = commands.add_parser("users", help="manage accounts").add_subparsers(
        dest="users_command", required=True
    )
    create_user = users.add_parser("create", help="create an account (password on stdin)")
    create_user.add_argument("email")
    create_user.add_argument("--admin", action="store_true", help="an instance admin")
    create_user.add_argument("--name", default=None, help="display name")
    create_user.set_defaults(func=_users_create)

    tokens = commands.add_parser("tokens", help="manage API tokens").add_subparsers(
        dest="tokens_command", required=True
    )
    create_token = tokens.add_parser("create", help="create an API token; prints it alone")
    create_token.add_argument("email")
    create_token.add_argument("--name", required=True, help="what the token is for")
    create_token.set_defaults(func=_tokens_create)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default="specs/openapi.json")
    openapi.set_defaults(func=_openapi)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
