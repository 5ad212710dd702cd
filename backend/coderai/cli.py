"""`coderai serve | worker | migrate | openapi` — one entry point for operators."""

import argparse
import asyncio
import json
import sys
from contextlib import AsyncExitStack
from pathlib import Path

from coderai.core.config import get_settings


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from coderai.main import create_app

    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info")


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

    from coderai.core.database import Database, create_engine
    from coderai.llm import LLMClient
    from coderai.main import resolve_database_url, start_runner

    settings = get_settings()
    if args.concurrency:
        settings = settings.model_copy(update={"runner_concurrency": args.concurrency})

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with AsyncExitStack() as stack:
            url = await resolve_database_url(settings, stack)
            database = Database(create_engine(url, settings))
            stack.push_async_callback(database.dispose)
            llm = LLMClient.from_settings(settings)
            stack.push_async_callback(llm.aclose)
            await start_runner(database, settings, llm, stack)
            print("worker running; Ctrl-C to stop", flush=True)
            await stop.wait()

    asyncio.run(run())


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
    worker.set_defaults(func=_worker)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default="specs/openapi.json")
    openapi.set_defaults(func=_openapi)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
