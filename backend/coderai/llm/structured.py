"""Structured-output methods: which ways of asking for JSON exist, how to tell that a server
refused one (from what it says, whatever the status), and the method that works, remembered
per server and model (docs/ARCHITECTURE.md, "llm/").
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Literal

from langchain_core.exceptions import ModelError

from coderai.llm.errors import classify, status_code_of

logger = logging.getLogger(__name__)

StructuredMethod = Literal["json_schema", "function_calling", "json_mode"]

# Tried in this order; a server that refuses one is asked the next way from then on.
METHODS: tuple[StructuredMethod, ...] = ("json_schema", "function_calling", "json_mode")

# Statuses a refusal comes with: OpenAI-style 400/404/422, and 500/501 from servers that let
# their request validation escape as a server error (llama-cpp-python answers a json_schema
# response format with a 500 naming `response_format`).
REFUSAL_STATUSES = frozenset({400, 404, 422, 500, 501})

# What a refusal of each method names.
_FEATURE_NAMES: dict[StructuredMethod, re.Pattern[str]] = {
    "json_schema": re.compile(r"response_format|json_schema|structured.output", re.I),
    "function_calling": re.compile(r"tool|function", re.I),
    "json_mode": re.compile(r"response_format|json_object|json.mode", re.I),
}


def refuses_method(exc: BaseException, method: StructuredMethod) -> bool:
    """Whether `exc` says the server cannot do `method` (rather than that it is down or that
    we sent something wrong): a refusal status whose body names the feature."""
    status = status_code_of(exc)
    if status is None:
        # LangChain integrations other than OpenAI's raise their own errors, without a status.
        if not isinstance(exc, ModelError) or classify(exc) != "bad_request":
            return False
    elif status not in REFUSAL_STATUSES:
        return False
    text = f"{exc} {getattr(exc, 'body', '') or ''}"
    return _FEATURE_NAMES[method].search(text) is not None


def next_method(method: StructuredMethod) -> StructuredMethod | None:
    position = METHODS.index(method)
    return METHODS[position + 1] if position + 1 < len(METHODS) else None


class MethodMemory:
    """The structured-output method each (provider, base URL, model) answers to, shared by
    every client of the process, so a server's refusal is paid for once. A change is logged
    once, when it is learnt."""

    def __init__(self) -> None:
        self._methods: dict[tuple[str, str, str], StructuredMethod] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(provider: str, base_url: str | None, model: str) -> tuple[str, str, str]:
        return (provider.lower(), (base_url or "").rstrip("/"), model)

    def method(self, provider: str, base_url: str | None, model: str) -> StructuredMethod:
        return self._methods.get(self.key(provider, base_url, model), METHODS[0])

    def learn(
        self,
        provider: str,
        base_url: str | None,
        model: str,
        refused: StructuredMethod,
        following: StructuredMethod,
        reason: str,
    ) -> None:
        """Record that `refused` was refused: calls start with `following` from now on (never
        going back to an earlier method another call has already seen refused)."""
        key = self.key(provider, base_url, model)
        with self._lock:
            current = self._methods.get(key, METHODS[0])
            if METHODS.index(current) >= METHODS.index(following):
                return
            self._methods[key] = following
        logger.warning(
            "LLM server %s refused %s for model %s (%s); structured output by %s from now on",
            base_url or provider,
            refused,
            model,
            reason[:300],
            following,
        )

    def known(self) -> dict[tuple[str, str, str], StructuredMethod]:
        """What has been learnt so far (for reports and tests)."""
        with self._lock:
            return dict(self._methods)
