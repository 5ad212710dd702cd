"""The one door to the LLM: structured calls with fallbacks, retries, rate limits and costs.

A chat model comes from LangChain (`ChatOpenAI` for OpenAI and any OpenAI-compatible server,
other providers by name when their integration is installed). The SDK's own retries are off:
tenacity retries here, and every attempt goes through the process-wide `RateLimiter`.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal, cast

import openai
from langchain_core.exceptions import (
    ModelAPIError,
    ModelConnectionError,
    ModelError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import SecretStr
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential_jitter

from coderai.llm.rate_limiter import RateLimiter, RequestTooLargeError

if TYPE_CHECKING:
    from coderai.core.config import Settings

logger = logging.getLogger(__name__)

StructuredMethod = Literal["json_schema", "function_calling", "json_mode"]
OutputErrorKind = Literal["malformed", "truncated"]
CallErrorKind = Literal["rate_limited", "server_error", "timeout", "connection", "bad_request"]

# Tried in this order; a server that rejects one is asked the next way from then on.
METHODS: tuple[StructuredMethod, ...] = ("json_schema", "function_calling", "json_mode")
OPENAI_COMPATIBLE_PROVIDERS = frozenset({"openai", "openai_compatible", "openai-compatible"})
# Local servers ignore the key, but the OpenAI SDK insists on having one.
_PLACEHOLDER_API_KEY = "not-needed"
# Budget estimate: 3 characters per token is pessimistic for real tokenizers (~4 for English),
# so the limiter errs on the safe side until the provider's reported usage is credited back.
_ESTIMATE_CHARS_PER_TOKEN = 3
_ESTIMATE_TOKENS_PER_MESSAGE = 8
_JSON_FENCE = re.compile(r"^```(?:json)?\s*\n?(.*?)\n?```$", re.S)


@dataclass(frozen=True)
class TokenUsage:
    """Tokens of one call as the provider reported them (cached ⊆ prompt)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class LLMResult:
    """A parsed structured answer with what it cost."""

    data: dict[str, Any]
    raw_text: str
    usage: TokenUsage
    cost_usd: float
    model: str
    attempts: int
    method: StructuredMethod


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


class _MethodRejectedError(Exception):
    """The server refused this structured-output method; try the next one."""


def estimate_prompt_tokens(*texts: str) -> int:
    """A deliberately generous token estimate for rate budgeting (3 characters per token)."""
    chars = sum(len(text) for text in texts)
    return math.ceil(chars / _ESTIMATE_CHARS_PER_TOKEN) + _ESTIMATE_TOKENS_PER_MESSAGE * len(texts)


def price_for(model: str, prices: Mapping[str, Mapping[str, float]]) -> Mapping[str, float] | None:
    """The price entry of `model`, else of the longest name it starts with (dated snapshots)."""
    if model in prices:
        return prices[model]
    candidates = [name for name in prices if model.startswith(name)]
    return prices[max(candidates, key=len)] if candidates else None


def cost_usd(usage: TokenUsage, price: Mapping[str, float] | None) -> float:
    """Dollars for `usage` at USD-per-million-token prices (input, cached_input, output)."""
    if not price:
        return 0.0
    input_price = price.get("input", 0.0)
    cached_price = price.get("cached_input", input_price)
    fresh = max(0, usage.prompt_tokens - usage.cached_tokens)
    total = (
        fresh * input_price
        + usage.cached_tokens * cached_price
        + usage.completion_tokens * price.get("output", 0.0)
    )
    return total / 1_000_000


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


def _status_code(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def is_transient(exc: BaseException) -> bool:
    """Worth another try: rate limits, server errors, timeouts, connection failures."""
    if isinstance(exc, ModelError):
        return exc.is_retryable
    if isinstance(exc, openai.APIConnectionError | TimeoutError):
        return True
    status = _status_code(exc)
    return status is not None and (status in (408, 409, 429) or status >= 500)


def classify(exc: BaseException) -> CallErrorKind | None:
    """The `LLMCallError` kind of a provider exception, or None for an unexpected one."""
    status = _status_code(exc)
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


def _rejects_method(exc: BaseException, method: StructuredMethod) -> bool:
    """Whether a 400-style error says the server cannot do `method` (not that we erred)."""
    if _status_code(exc) not in (400, 404, 422) and not isinstance(exc, ModelError):
        return False
    if classify(exc) != "bad_request":
        return False
    text = str(exc).lower()
    hints = {
        "json_schema": ("response_format", "json_schema", "structured output"),
        "function_calling": ("tool", "function"),
        "json_mode": ("response_format", "json_object", "json mode"),
    }[method]
    return any(hint in text for hint in hints)


class _RetryAfterOrBackoff(wait_base):
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


def _log_retry(retry_state: RetryCallState) -> None:
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


def build_chat_model(
    *,
    provider: str,
    model: str,
    base_url: str | None,
    api_key: SecretStr | None,
    timeout_seconds: float,
    temperature: float,
    max_tokens: int,
    http_client: openai.DefaultAsyncHttpxClient | None = None,
) -> BaseChatModel:
    """A LangChain chat model with the SDK's retries off and a per-request timeout."""
    if provider.lower() in OPENAI_COMPATIBLE_PROVIDERS:
        from langchain_openai import ChatOpenAI

        key = api_key or SecretStr(_PLACEHOLDER_API_KEY)
        return ChatOpenAI(
            model=model,
            base_url=base_url,
            api_key=key,
            timeout=timeout_seconds,
            max_retries=0,
            temperature=temperature,
            max_tokens=max_tokens,
            use_responses_api=False,  # chat completions: what OpenAI-compatible servers speak
            http_async_client=http_client,
        )
    try:
        chat_models = importlib.import_module("langchain.chat_models")
    except ImportError as exc:
        raise LLMNotConfiguredError(
            f"LLM provider {provider!r} needs the `langchain` package and its "
            f"`langchain-{provider}` integration; install them or use provider 'openai' "
            "with LLM_BASE_URL for an OpenAI-compatible server"
        ) from exc
    options: dict[str, Any] = {
        "model_provider": provider,
        "timeout": timeout_seconds,
        "max_retries": 0,
        "temperature": temperature,
        "max_tokens": max_tokens,
    }
    if base_url:
        options["base_url"] = base_url
    if api_key:
        options["api_key"] = api_key.get_secret_value()
    try:
        return cast(BaseChatModel, chat_models.init_chat_model(model, **options))
    except ImportError as exc:
        raise LLMNotConfiguredError(f"LLM provider {provider!r} is not installed: {exc}") from exc


class LLMClient:
    """Structured LLM calls for the whole app: one instance, one rate limiter, shared by all."""

    def __init__(
        self,
        *,
        model: str,
        provider: str = "openai",
        base_url: str | None = None,
        api_key: str | SecretStr | None = None,
        timeout_seconds: float = 30.0,
        max_retries: int = 4,
        requests_per_window: int | None = None,
        tokens_per_window: int | None = None,
        window_seconds: float = 60.0,
        max_concurrency: int | None = 16,
        safety_margin_seconds: float | None = None,
        assume_arrival_within_seconds: float | None = None,
        burst_requests: int | None = None,
        prices: Mapping[str, Mapping[str, float]] | None = None,
        backoff_initial_seconds: float = 0.5,
        backoff_max_seconds: float = 30.0,
        max_retry_after_seconds: float = 120.0,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.model = model
        self.provider = provider
        self.base_url = base_url
        self._api_key = SecretStr(api_key) if isinstance(api_key, str) else api_key
        self.timeout_seconds = timeout_seconds
        self.max_retries = max_retries
        self.prices: Mapping[str, Mapping[str, float]] = prices or {}
        self.limiter = limiter or RateLimiter(
            requests_per_window=requests_per_window,
            tokens_per_window=tokens_per_window,
            window_seconds=window_seconds,
            max_concurrency=max_concurrency,
            safety_margin_seconds=safety_margin_seconds,
            assume_arrival_within_seconds=assume_arrival_within_seconds,
            burst_requests=burst_requests,
        )
        self._wait = _RetryAfterOrBackoff(
            backoff_initial_seconds, backoff_max_seconds, max_retry_after_seconds
        )
        self._method: StructuredMethod = METHODS[0]
        self._models: dict[tuple[float, int], BaseChatModel] = {}
        # Our own connection pool rather than LangChain's process-wide cached one, which stays
        # bound to the first event loop that used it and cannot be closed by us.
        self._http: openai.DefaultAsyncHttpxClient | None = (
            openai.DefaultAsyncHttpxClient()
            if provider.lower() in OPENAI_COMPATIBLE_PROVIDERS
            else None
        )
        # Fail at construction, not at the first call, when the provider cannot be built.
        self._chat_model(0.0, 1)

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMClient:
        """The app's client, from LLM_* settings (requests and tokens per minute)."""
        if not settings.llm_configured:
            raise LLMNotConfiguredError(
                "no LLM provider configured: set OPENAI_API_KEY, or LLM_BASE_URL for an "
                "OpenAI-compatible server"
            )
        return cls(
            model=settings.llm_model,
            provider=settings.llm_provider,
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key or settings.openai_api_key,
            timeout_seconds=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
            requests_per_window=settings.llm_requests_per_minute,
            tokens_per_window=settings.llm_tokens_per_minute,
            window_seconds=60.0,
            # A second's share of the per-minute limit back to back, then its pace: a job
            # whose calls fit one minute must not send them all in its first seconds.
            burst_requests=max(1, math.ceil(settings.llm_requests_per_minute / 60)),
            max_concurrency=settings.llm_max_concurrency,
            prices=settings.llm_prices,
        )

    async def aclose(self) -> None:
        """Close the HTTP connection pool (call on shutdown)."""
        if self._http is not None:
            await self._http.aclose()

    @property
    def method(self) -> StructuredMethod:
        """The structured-output method calls start with (after any fallback so far)."""
        return self._method

    async def complete_structured(
        self,
        *,
        system: str,
        user: str,
        json_schema: dict[str, Any],
        schema_name: str,
        temperature: float = 0.0,
        max_tokens: int = 1024,
    ) -> LLMResult:
        """Ask for a JSON object valid against `json_schema`; raises LLMOutputError/LLMCallError."""
        attempts = [0]
        while True:
            method = self._method
            try:
                return await self._complete(
                    method,
                    system,
                    user,
                    json_schema,
                    schema_name,
                    temperature,
                    max_tokens,
                    attempts,
                )
            except _MethodRejectedError as rejected:
                following = _next_method(method)
                if following is None:
                    raise LLMCallError(
                        "bad_request",
                        f"the server rejected every structured-output method: {rejected}",
                        status_code=_status_code(rejected.__cause__ or rejected),
                        attempts=attempts[0],
                    ) from rejected
                logger.warning(
                    "LLM server rejected %s (%s); falling back to %s", method, rejected, following
                )
                if METHODS.index(self._method) < METHODS.index(following):
                    self._method = following

    async def _complete(
        self,
        method: StructuredMethod,
        system: str,
        user: str,
        json_schema: dict[str, Any],
        schema_name: str,
        temperature: float,
        max_tokens: int,
        attempts: list[int],
    ) -> LLMResult:
        if method == "json_mode":
            # JSON mode cannot carry a schema, so it goes at the end of the prompt (after the
            # document, which keeps the prompt's long prefix cacheable).
            user = (
                f"{user}\n\nAnswer with one JSON object, valid against this schema.\n"
                f"JSON schema:\n{json.dumps(json_schema, ensure_ascii=False)}"
            )
        messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(user)]
        schema_text = json.dumps(json_schema, separators=(",", ":"))
        estimate = estimate_prompt_tokens(system, user, schema_text) + max_tokens
        runnable = self._structured_runnable(
            method, json_schema, schema_name, temperature, max_tokens
        )
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(is_transient),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts[0] += 1
                    raw = await self._send(runnable, messages, estimate)
        except (LLMOutputError, LLMCallError) as exc:
            exc.attempts = attempts[0]
            raise
        except RequestTooLargeError as exc:
            hint = "; raise LLM_TOKENS_PER_MINUTE or lower CHUNK_TOKENS"
            raise LLMCallError("bad_request", f"{exc}{hint}", attempts=attempts[0]) from exc
        except Exception as exc:
            if _rejects_method(exc, method):
                raise _MethodRejectedError(str(exc)) from exc
            kind = classify(exc)
            if kind is None:
                raise
            raise LLMCallError(
                kind, str(exc), status_code=_status_code(exc), attempts=attempts[0]
            ) from exc
        return self._result(raw, method, attempts[0])

    async def _send(self, runnable: Any, messages: list[BaseMessage], estimate: int) -> AIMessage:
        """One HTTP attempt inside the limiter; usage is credited back as soon as it is known."""
        async with self.limiter.slot(estimate) as reservation:
            try:
                # A backstop for integrations that ignore their timeout setting.
                async with asyncio.timeout(self.timeout_seconds * 1.5 + 1):
                    output = await runnable.ainvoke(messages)
            except openai.LengthFinishReasonError as exc:
                usage = _completion_usage(exc.completion)
                self.limiter.settle(reservation, usage.total_tokens)
                raise LLMOutputError(
                    "truncated",
                    _completion_text(exc.completion),
                    message="model output hit max_tokens",
                    usage=usage,
                    cost_usd=self._cost(usage, exc.completion.model),
                ) from exc
            except openai.ContentFilterFinishReasonError as exc:
                raise LLMCallError(
                    "bad_request", "the provider's content filter blocked the answer"
                ) from exc
            except Exception as exc:
                if classify(exc) == "rate_limited":
                    hint = retry_after_seconds(exc)
                    if hint:
                        self.limiter.pause(hint)
                raise
            # A bound chat model answers with the message; `with_structured_output` with a dict.
            raw = cast(AIMessage, output["raw"] if isinstance(output, dict) else output)
            usage = _message_usage(raw)
            if usage.total_tokens:
                self.limiter.settle(reservation, usage.total_tokens)
            return raw

    def _result(self, raw: AIMessage, method: StructuredMethod, attempts: int) -> LLMResult:
        usage = _message_usage(raw)
        model = str(raw.response_metadata.get("model_name") or self.model)
        cost = self._cost(usage, model)
        text = _message_text(raw, method)
        if raw.response_metadata.get("finish_reason") == "length":
            raise LLMOutputError(
                "truncated",
                text,
                message="model output hit max_tokens",
                usage=usage,
                cost_usd=cost,
                attempts=attempts,
            )
        refusal = raw.additional_kwargs.get("refusal")
        if refusal and not text:
            raise LLMOutputError(
                "malformed",
                str(refusal),
                message="model refused",
                usage=usage,
                cost_usd=cost,
                attempts=attempts,
            )
        data = _parse_json_object(text)
        if data is None:
            raise LLMOutputError(
                "malformed",
                text,
                message="model output is not a JSON object",
                usage=usage,
                cost_usd=cost,
                attempts=attempts,
            )
        return LLMResult(
            data=data,
            raw_text=text,
            usage=usage,
            cost_usd=cost,
            model=model,
            attempts=attempts,
            method=method,
        )

    def _cost(self, usage: TokenUsage, model: str) -> float:
        return cost_usd(usage, price_for(model, self.prices) or price_for(self.model, self.prices))

    def _chat_model(self, temperature: float, max_tokens: int) -> BaseChatModel:
        # One model object per (temperature, max_tokens): every integration accepts them at
        # construction, not every one accepts them per call.
        key = (temperature, max_tokens)
        if key not in self._models:
            self._models[key] = build_chat_model(
                provider=self.provider,
                model=self.model,
                base_url=self.base_url,
                api_key=self._api_key,
                timeout_seconds=self.timeout_seconds,
                temperature=temperature,
                max_tokens=max_tokens,
                http_client=self._http,
            )
        return self._models[key]

    def _structured_runnable(
        self,
        method: StructuredMethod,
        json_schema: dict[str, Any],
        schema_name: str,
        temperature: float,
        max_tokens: int,
    ) -> Any:
        chat = self._chat_model(temperature, max_tokens)
        spec = {"name": schema_name, "schema": json_schema, "strict": True}
        tool = {
            "name": schema_name,
            "description": "Record the structured answer.",
            "parameters": json_schema,
        }
        if self.provider.lower() in OPENAI_COMPATIBLE_PROVIDERS:
            # The request `with_structured_output` would send, without its output parsers:
            # `_result` parses the raw message itself, and LangChain's parsing chain (parallel
            # runnables, a thread hop for the JSON parser) cost ~20% of the client's CPU per call.
            if method == "json_schema":
                return chat.bind(response_format={"type": "json_schema", "json_schema": spec})
            if method == "function_calling":
                return chat.bind_tools([tool], tool_choice=schema_name, parallel_tool_calls=False)
            return chat.bind(response_format={"type": "json_object"})
        if method == "json_schema":
            return chat.with_structured_output(
                spec, method="json_schema", strict=True, include_raw=True
            )
        if method == "function_calling":
            return chat.with_structured_output(tool, method="function_calling", include_raw=True)
        return chat.with_structured_output(json_schema, method="json_mode", include_raw=True)


def _next_method(method: StructuredMethod) -> StructuredMethod | None:
    position = METHODS.index(method)
    return METHODS[position + 1] if position + 1 < len(METHODS) else None


def _message_usage(message: AIMessage) -> TokenUsage:
    metadata = message.usage_metadata
    if not metadata:
        return TokenUsage()
    details = metadata.get("input_token_details") or {}
    return TokenUsage(
        prompt_tokens=metadata.get("input_tokens", 0),
        completion_tokens=metadata.get("output_tokens", 0),
        cached_tokens=details.get("cache_read", 0) or 0,
    )


def _message_text(message: AIMessage, method: StructuredMethod) -> str:
    """The JSON text the model produced: tool arguments for function calling, else content."""
    if method == "function_calling":
        for call in message.additional_kwargs.get("tool_calls") or []:
            arguments = (call.get("function") or {}).get("arguments")
            if isinstance(arguments, str):
                return arguments
        if message.tool_calls:
            return json.dumps(message.tool_calls[0]["args"])
        # Arguments that are not valid JSON (cut or malformed) land here, as the raw string.
        for invalid in message.invalid_tool_calls:
            if invalid.get("args"):
                return str(invalid["args"])
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in content)


def _completion_usage(completion: Any) -> TokenUsage:
    usage = getattr(completion, "usage", None)
    if usage is None:
        return TokenUsage()
    details = getattr(usage, "prompt_tokens_details", None)
    return TokenUsage(
        prompt_tokens=usage.prompt_tokens or 0,
        completion_tokens=usage.completion_tokens or 0,
        cached_tokens=(getattr(details, "cached_tokens", 0) or 0) if details else 0,
    )


def _completion_text(completion: Any) -> str:
    """Text of a raw SDK completion (content, or the first tool call's arguments)."""
    if not completion.choices:
        return ""
    message = completion.choices[0].message
    if message.content:
        return str(message.content)
    for call in message.tool_calls or []:
        function = getattr(call, "function", None)
        if function is not None:
            return str(function.arguments)
    return ""


def _parse_json_object(text: str) -> dict[str, Any] | None:
    """Strict JSON (a Markdown code fence around it is tolerated); None unless an object."""
    stripped = text.strip()
    fenced = _JSON_FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    try:
        data = json.loads(stripped)
    except (json.JSONDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None
