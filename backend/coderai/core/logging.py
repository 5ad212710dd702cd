"""Process-wide logging: one line per record, text or JSON (LOG_FORMAT), level from LOG_LEVEL.

Every record carries the fields bound to the current context (request id, user, project, job);
see `bind` and `log_context`, and `core.access` for the per-request middleware."""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]
CONTEXT_FIELDS = ("request_id", "user_id", "project_id", "job_id")

# One mutable dict per request (or job item): a field bound deep in a dependency is seen by
# the access line the middleware writes afterwards, and by threads the request hands work to.
_context: ContextVar[dict[str, str] | None] = ContextVar("coderai_log_context", default=None)


def bind(**fields: object) -> None:
    """Add fields to the current context (ignored outside one; None values are skipped)."""
    current = _context.get()
    if current is not None:
        current.update({key: str(value) for key, value in fields.items() if value is not None})


@contextmanager
def log_context(**fields: object) -> Iterator[dict[str, str]]:
    """A new context for the block: the enclosing fields plus `fields`."""
    values = {**(_context.get() or {})}
    values.update({key: str(value) for key, value in fields.items() if value is not None})
    token = _context.set(values)
    try:
        yield values
    finally:
        _context.reset(token)


def context_fields() -> dict[str, str]:
    return dict(_context.get() or {})


class ContextFilter(logging.Filter):
    """Copies the context's fields onto each record (as `record.context`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "context"):
            record.context = context_fields()
        return True


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    """Structured fields a caller passed as `extra={"fields": {...}}` (the access line)."""
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else {}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context, any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        body.update(getattr(record, "context", None) or {})
        body.update(_extra(record))
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            body["stack"] = self.formatStack(record.stack_info)
        return json.dumps(body, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic line, with the context's fields appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = getattr(record, "context", None) or {}
        if not context:
            return line
        head, newline, rest = line.partition("\n")
        tail = " ".join(f"{key}={value}" for key, value in context.items())
        return f"{head} [{tail}]{newline}{rest}"


def _handler(log_format: LogFormat) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.coderai = True  # type: ignore[attr-defined]
    return handler


def configure_logging(level: str, log_format: LogFormat = "text") -> None:
    """Install our handler on the root logger (replacing an earlier one of ours, leaving one
    an embedding host or pytest installed), and route uvicorn's loggers through it."""
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if getattr(handler, "coderai", False)]
    for handler in ours:
        root.removeHandler(handler)
    if len(root.handlers) == 0:
        root.addHandler(_handler(log_format))
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # `core.access` writes one access line per request, with the route template.
    logging.getLogger("uvicorn.access").disabled = True
    # The HTTP clients log every request at INFO ("HTTP Request: POST …/chat/completions"):
    # the LLM client writes its own line per call at DEBUG instead.
    for name in ("httpx", "httpcore", "openai"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
