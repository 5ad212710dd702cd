"""The one door to the LLM: structured calls with output-method fallbacks, retries (policy in
`errors`), rate limits (`rate_limiter`) and costs (`pricing`); the chat model comes from
`providers`. Every attempt goes through the process-wide `RateLimiter`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import SecretStr
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from coderai.core import metrics
from coderai.llm.rate_limiter import RateLimiter, RequestTooLargeError

if TYPE_CHECKING:
    from coderai.core.config import Settings

from coderai.llm.errors import (
    LLMCallError,
    LLMNotConfiguredError,
    LLMOutputError,
    RetryAfterOrBackoff,
    classify,
    is_transient,
    log_retry,
    retry_after_seconds,
    status_code_of,
)
from coderai.llm.pricing import TokenUsage, cost_usd, estimate_prompt_tokens, lookup_price
from coderai.llm.providers import OPENAI_COMPATIBLE_PROVIDERS, build_chat_model
from coderai.llm.structured import (
    MethodMemory,
    StructuredMethod,
    next_method,
    refuses_method,
)

logger = logging.getLogger(__name__)

_JSON_FENCE = re.compile(r"^```(?:json)?\s*\n?(.*?)\n?```$", re.S)


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


class _MethodRejectedError(Exception):
    """The server refused this structured-output method; try the next one."""


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
        methods: MethodMemory | None = None,
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
        self._wait = RetryAfterOrBackoff(
            backoff_initial_seconds, backoff_max_seconds, max_retry_after_seconds
        )
        # The method that works for this server and model, shared with the process's other
        # clients when given (`registry.LLMClients`).
        self.methods = methods or MethodMemory()
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
        return self.methods.method(self.provider, self.base_url, self.model)

    @metrics.llm_call
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
            method = self.method
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
                following = next_method(method)
                if following is None:
                    raise LLMCallError(
                        "bad_request",
                        f"the server rejected every structured-output method: {rejected}",
                        status_code=status_code_of(rejected.__cause__ or rejected),
                        attempts=attempts[0],
                    ) from rejected
                self.methods.learn(
                    self.provider, self.base_url, self.model, method, following, str(rejected)
                )

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
            before_sleep=log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts[0] += 1
                    try:
                        raw = await self._send(runnable, messages, estimate)
                    except Exception as exc:
                        # A refusal is an answer, not a fault: the next method at once, with
                        # no retry spent, whatever status it came with (500 included).
                        if refuses_method(exc, method):
                            raise _MethodRejectedError(str(exc)) from exc
                        raise
        except _MethodRejectedError:
            raise
        except (LLMOutputError, LLMCallError) as exc:
            exc.attempts = attempts[0]
            raise
        except RequestTooLargeError as exc:
            hint = "; raise LLM_TOKENS_PER_MINUTE or lower CHUNK_TOKENS"
            raise LLMCallError("bad_request", f"{exc}{hint}", attempts=attempts[0]) from exc
        except Exception as exc:
            kind = classify(exc)
            if kind is None:
                raise
            raise LLMCallError(
                kind, str(exc), status_code=status_code_of(exc), attempts=attempts[0]
            ) from exc
        return self._result(raw, method, attempts[0])

    @metrics.llm_request(classify)
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
        # One line per call, at DEBUG (the HTTP client's own per-request lines are quieted).
        logger.debug(
            "LLM call %s via %s: %d prompt (%d cached) + %d completion tokens, %d attempt(s)",
            model,
            method,
            usage.prompt_tokens,
            usage.cached_tokens,
            usage.completion_tokens,
            attempts,
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
        return cost_usd(
            usage, lookup_price(model, self.prices) or lookup_price(self.model, self.prices)
        )

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
