"""What can go wrong in a call, and the retry policy: provider exceptions classified into
a few kinds, transient ones retried with backoff that honours Retry-After.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

import openai
from langchain_core.exceptions import (
    ModelAPIError,
    ModelConnectionError,
    ModelError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from tenacity import RetryCallState
from tenacity.wait import wait_base, wait_exponential_jitter

from coderai.llm.pricing import TokenUsage

OutputErrorKind = Literal["malformed", "truncated"]


CallErrorKind = Literal["rate_limited", "server_error", "timeout", "connection", "bad_request"]


class LLMNotConfiguredError(RuntimeError):
    """No LLM provider is configured, or its LangChain integration is not installed."""


class LLMOutputError(Exception):
    """The model answered, but not with a usable JSON object (the caller may re-ask once)."""

    def __init__(
        self,
        kind: OutputErrorKind,
        raw_text: str,
        *,
        message: str | None = None,
        usage: TokenUsage | None = None,
        cost_usd: float = 0.0,
        attempts: int = 1,
    ) -> None:
        super().__init__(message or f"model output is {kind}")
        self.kind: OutputErrorKind = kind
        self.raw_text = raw_text
        self.usage = usage or TokenUsage()
        self.cost_usd = cost_usd
        self.attempts = attempts


class LLMCallError(Exception):
    """The call failed for good (after retries where retrying made sense)."""

    def __init__(
        self,
        kind: CallErrorKind,
        message: str,
        *,
        status_code: int | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.kind: CallErrorKind = kind
        self.message = message
        self.status_code = status_code
        self.attempts = attempts


def retry_after_seconds(exc: BaseException) -> float | None:
    """The wait a provider asked for in `retry-after-ms` / `Retry-After`, if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    seconds = headers.get("retry-after")
    if not seconds:
        return None
    try:
        return max(0.0, float(seconds))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(seconds)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def status_code_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def is_transient(exc: BaseException) -> bool:
    """Worth another try: rate limits, server errors, timeouts, connection failures."""
    if isinstance(exc, ModelError):
        return exc.is_retryable
    if isinstance(exc, openai.APIConnectionError | TimeoutError):
        return True
    status = status_code_of(exc)
    return status is not None and (status in (408, 409, 429) or status >= 500)


def classify(exc: BaseException) -> CallErrorKind | None:
    """The `LLMCallError` kind of a provider exception, or None for an unexpected one."""
    status = status_code_of(exc)
    if isinstance(exc, ModelRateLimitError | openai.RateLimitError) or status == 429:
        return "rate_limited"
    # Timeouts before connection errors: the SDK's timeout is a kind of connection error.
    if isinstance(exc, ModelTimeoutError | openai.APITimeoutError | TimeoutError) or status == 408:
        return "timeout"
    if isinstance(exc, ModelConnectionError | openai.APIConnectionError):
        return "connection"
    if isinstance(exc, ModelAPIError) or (status is not None and status >= 500):
        return "server_error"
    if isinstance(exc, ModelError) or status is not None:
        return "bad_request"
    return None


class RetryAfterOrBackoff(wait_base):
    """Honour the provider's Retry-After when given, else exponential backoff with jitter."""

    def __init__(self, initial: float, maximum: float, max_retry_after: float) -> None:
        self._backoff = wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)
        self._max_retry_after = max_retry_after

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        hint = retry_after_seconds(exc) if exc is not None else None
        if hint is None:
            return float(self._backoff(retry_state))
        # A little jitter on top, so callers told the same instant do not return together.
        return min(hint, self._max_retry_after) + random.uniform(0, min(0.1 * hint, 1.0))


logger = logging.getLogger(__name__)


def log_retry(retry_state: RetryCallState) -> None:
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
    logger.warning(
        "LLM call attempt %d failed (%s: %s); retrying in %.2fs",
        retry_state.attempt_number,
        classify(exc) if exc else "?",
        exc,
        wait,
    )
