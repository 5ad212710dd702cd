"""Run the fake LLM in the foreground: `python -m tests.support.fake_llm --port 8089`.

Run it from `backend/`.

Prints `fake-llm listening on http://HOST:PORT/v1` once it accepts connections; everything the
flags set can be changed later through the `/_admin` routes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tests.support.fake_llm.facts import Fact
from tests.support.fake_llm.server import bind_socket, uvicorn_server
from tests.support.fake_llm.state import FakeConfig, FakeLLMState


def _rates(text: str) -> dict[str, float]:
    rates: dict[str, float] = {}
    for item in filter(None, text.split(",")):
        name, _, probability = item.partition("=")
        rates[name.strip()] = float(probability)
    return rates


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.support.fake_llm", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089, help="0 picks a free port")
    parser.add_argument("--model", default="fake-gpt")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--latency-jitter-ms", type=float, default=0.0)
    parser.add_argument("--rpm", type=int, default=0, help="requests per window, 0 = unlimited")
    parser.add_argument("--tpm", type=int, default=0, help="tokens per window, 0 = unlimited")
    parser.add_argument("--window-seconds", type=float, default=60.0)
    parser.add_argument("--hang-seconds", type=float, default=30.0)
    parser.add_argument("--fault-rates", type=_rates, default={}, help="e.g. 500=0.2,429=0.1")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-json-schema", action="store_true", help="400 on json_schema")
    parser.add_argument(
        "--json-schema-500",
        action="store_true",
        help="refuse json_schema with a 500 naming response_format (llama-cpp-python's way)",
    )
    parser.add_argument("--no-tools", action="store_true", help="400 on tools")
    parser.add_argument(
        "--facts",
        type=Path,
        help='JSON file: {"facts": [{"variable", "pattern", "value"?, ...}], "entity_pattern"?}',
    )
    parser.add_argument("--entity-pattern", default=None)
    return parser.parse_args(argv)


def build_state(args: argparse.Namespace) -> FakeLLMState:
    state = FakeLLMState(
        FakeConfig(
            model=args.model,
            rpm=args.rpm,
            tpm=args.tpm,
            window_seconds=args.window_seconds,
            latency_ms=args.latency_ms,
            latency_jitter_ms=args.latency_jitter_ms,
            hang_seconds=args.hang_seconds,
            supports_json_schema=not (args.no_json_schema or args.json_schema_500),
            json_schema_refusal_status=500 if args.json_schema_500 else 400,
            supports_tools=not args.no_tools,
        )
    )
    if args.facts:
        planted = json.loads(args.facts.read_text(encoding="utf-8"))
        for item in planted.get("facts", []):
            fact = Fact.from_json(item)
            state.book.facts.append(fact)
        if planted.get("entity_pattern"):
            state.set_entity_pattern(planted["entity_pattern"])
    if args.entity_pattern:
        state.set_entity_pattern(args.entity_pattern)
    if args.fault_rates:
        state.set_fault_rates(args.fault_rates, seed=args.seed)
    return state


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    state = build_state(args)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as error:
        raise SystemExit(
            f"fake-llm: cannot listen on {args.host}:{args.port} ({error.strerror}); is another "
            "fake LLM running there? Stop it, or choose another port with --port."
        ) from None
    host, port = sock.getsockname()[:2]
    # The socket already listens, so clients that connect right after this line just queue.
    print(f"fake-llm listening on http://{host}:{port}/v1", flush=True)
    uvicorn_server(state).run(sockets=[sock])


if __name__ == "__main__":
    main()
