"""The fake LLM's mutable state: configuration, planted facts, faults, rate limits and stats.

Everything here is synchronous and guarded by one lock, so the HTTP handlers (in the server's
own thread and event loop) and the tests (in theirs) can both touch it safely. Times are
`time.monotonic()` seconds, a clock shared by every thread and process on the machine.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections import deque
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

from tests.support.fake_llm.facts import (
    CHARS_PER_TOKEN,
    FactBook,
    count_tokens,
    extract_document,
    make_fact,
    strip_document,
)
from tests.support.fake_llm.stats import FakeStats, RequestRecord
from tests.support.fake_llm.wire import (
    ChatRequest,
    PrefixCache,
    completion_body,
    error_body,
    parse_request,
)


class Fault(StrEnum):
    """Failures the fake can inject, by the name tests use."""

    RATE_LIMIT = "429"  # param retry_after (seconds)
    SERVER_ERROR = "500"
    BAD_REQUEST = "400"
    TIMEOUT = "timeout"  # hang until the client gives up (param seconds, else hang_seconds)
    MALFORMED = "malformed"  # content that is not valid JSON
    MISSHAPEN = "misshapen"  # valid JSON that ignores the requested schema
    TRUNCATED = "truncated"  # JSON cut short, finish_reason "length"
    BAD_QUOTE = "bad_quote"  # quotes that are not in the document
    REJECT_JSON_SCHEMA = "reject_json_schema"  # 400 for response_format json_schema
    # 500 for response_format json_schema, with a validation error naming `response_format`:
    # what llama-cpp-python's server answers (it wraps its request-model error as a 500).
    JSON_SCHEMA_SERVER_ERROR = "json_schema_500"
    LATENCY = "latency"  # an extra delay before answering (param latency_ms)


_JSON_SCHEMA_FAULTS = (Fault.REJECT_JSON_SCHEMA, Fault.JSON_SCHEMA_SERVER_ERROR)

# What llama-cpp-python 0.3.36's server answers (with HTTP 500, typed internal_server_error)
# to a `json_schema` response format: its request model knows only "text" and "json_object",
# and its error handler wraps the validation error as a server fault.
LLAMA_CPP_JSON_SCHEMA_ERROR = (
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', "
    "'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
    "'ctx': {'expected': \"'text' or 'json_object'\"}}\n\n  File \"llama_cpp/server/app.py\", "
    "line 376, in create_chat_completion\n    POST /v1/chat/completions"
)


@dataclass
class FakeConfig:
    """Server behaviour; 0 for `rpm`/`tpm` means unlimited."""

    model: str = "fake-gpt"
    rpm: int = 0
    tpm: int = 0
    window_seconds: float = 60.0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    hang_seconds: float = 30.0
    retry_after_seconds: float = 1.0  # for injected 429s without their own
    supports_json_schema: bool = True
    # How a server without json_schema refuses it: 400 (an OpenAI-style invalid request) or
    # 500 (llama-cpp-python's validation error, see `Fault.JSON_SCHEMA_SERVER_ERROR`).
    json_schema_refusal_status: int = 400
    supports_tools: bool = True
    missing_confidence: float = 0.1


@dataclass
class Plan:
    """What the handler must do for one request, decided synchronously at arrival."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    hang_seconds: float = 0.0
    generation: int = 0


@dataclass
class _Injected:
    fault: Fault
    remaining: int
    params: dict[str, Any]


class FakeLLMState:
    """All the behaviour of the fake server that is not HTTP plumbing."""

    def __init__(self, config: FakeConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._initial_config = replace(config or FakeConfig())
        self.config = replace(self._initial_config)
        self.book = FactBook(missing_confidence=self.config.missing_confidence)
        self._injected: list[_Injected] = []
        self._rates: dict[Fault, float] = {}
        self._random = random.Random(0)
        self._window: deque[tuple[float, int]] = deque()  # (arrival, tokens charged)
        self._window_tokens = 0
        self._cache = PrefixCache()
        self._stats = FakeStats()
        self._counter = 0
        self.generation = 0  # bumped by reset(); hanging requests give up when it changes
        self.last_request: dict[str, Any] | None = None

    # --- control ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the starting configuration, with no facts, faults, windows, cache or stats."""
        with self._lock:
            self.config = replace(self._initial_config)
            self.book = FactBook(missing_confidence=self.config.missing_confidence)
            self._injected.clear()
            self._rates = {}
            self._window.clear()
            self._window_tokens = 0
            self._cache.clear()
            self._stats = FakeStats()
            self.generation += 1
            self.last_request = None

    def reset_stats(self) -> None:
        with self._lock:
            self._stats = FakeStats()

    def configure(self, **changes: Any) -> None:
        """Change configuration fields (see `FakeConfig`); unknown names are an error."""
        unknown = set(changes) - {f.name for f in fields(FakeConfig)}
        if unknown:
            raise ValueError(f"unknown fake LLM settings: {sorted(unknown)}")
        with self._lock:
            for name, value in changes.items():
                if value is not None:
                    setattr(self.config, name, value)
            self.book.missing_confidence = self.config.missing_confidence

    def add_fact(self, variable: str, pattern: str | re.Pattern[str], **options: Any) -> None:
        fact = make_fact(variable, pattern, **options)
        with self._lock:
            self.book.facts.append(fact)

    def clear_facts(self) -> None:
        with self._lock:
            self.book.facts.clear()

    def set_entity_pattern(self, pattern: str | re.Pattern[str] | None, flags: int = 0) -> None:
        compiled = re.compile(pattern, flags) if isinstance(pattern, str) else pattern
        with self._lock:
            self.book.entity_pattern = compiled

    def inject(self, fault: str | Fault, times: int = 1, **params: Any) -> None:
        """Make the next `times` requests (to which the fault applies) fail this way."""
        kind = Fault(fault)
        with self._lock:
            self._injected.append(_Injected(kind, times, params))

    def set_fault_rates(self, rates: dict[str, float], seed: int | None = None) -> None:
        """Fail each request at random: `{"500": 0.2, "429": 0.1}`, at most one fault each."""
        parsed = {Fault(name): float(p) for name, p in rates.items()}
        if sum(parsed.values()) > 1.0:
            raise ValueError("fault probabilities add up to more than 1")
        with self._lock:
            self._rates = parsed
            self._random = random.Random(seed)

    def clear_faults(self) -> None:
        with self._lock:
            self._injected.clear()
            self._rates = {}

    def stats(self) -> FakeStats:
        with self._lock:
            return FakeStats.from_json(self._stats.to_json())

    def describe(self) -> dict[str, Any]:
        """Configuration, facts and pending faults, as JSON (for `GET /_admin/state`)."""
        with self._lock:
            pattern = self.book.entity_pattern
            return {
                "config": asdict(self.config),
                "facts": [fact.to_json() for fact in self.book.facts],
                "entity_pattern": pattern.pattern if pattern else None,
                "injected": [
                    {"fault": str(i.fault), "remaining": i.remaining, **i.params}
                    for i in self._injected
                ],
                "fault_rates": {str(k): v for k, v in self._rates.items()},
            }

    # --- requests --------------------------------------------------------------------------

    def plan(self, body: dict[str, Any], now: float) -> Plan:
        """Decide, atomically at arrival, the answer to one chat-completion request."""
        with self._lock:
            self.last_request = body
            self._stats.total_requests += 1
            request = parse_request(body)
            if isinstance(request, str):
                return self._reject(now, None, None, request, model=body.get("model"))
            return self._plan(request, now)

    def _plan(self, request: ChatRequest, now: float) -> Plan:
        config = self.config
        fault, params = self._next_fault(request.method)
        refused = self._refusal(request, now, fault, params)
        if refused is not None:
            return refused

        content, finish_reason, completion_tokens = self._content(request, fault)
        prompt_tokens = request.prompt_tokens()
        charge = prompt_tokens + completion_tokens
        retry_after = self._limit_wait(now, charge)
        if retry_after is not None:
            self._stats.rejected_rate_limit += 1
            return self._rate_limited(now, request, None, retry_after, "limit reached")
        self._window.append((now, charge))
        self._window_tokens += charge
        cached_tokens = self._cache.cached_tokens(request.cache_text(), prompt_tokens)

        self._counter += 1
        record = RequestRecord(
            t=now,
            status=200,
            method=request.method,
            model=request.model,
            fault=str(fault) if fault else None,
            counted=True,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cached_tokens=cached_tokens,
            charged_tokens=charge,
        )
        self._stats.records.append(record)
        self._stats.accepted_requests += 1
        self._stats.count_fault(record.fault)

        delay = config.latency_ms / 1000
        if config.latency_jitter_ms:
            delay += self._random.uniform(0, config.latency_jitter_ms / 1000)
        if fault is Fault.LATENCY:
            delay += float(params.get("latency_ms", 1000)) / 1000
        if fault is Fault.SERVER_ERROR:
            record.status = 500
            message = "The server had an error processing your request."
            return Plan(500, error_body(message, "server_error"), delay_seconds=delay)
        if fault is Fault.TIMEOUT:
            record.status = 0
            return Plan(
                504,
                error_body("upstream timed out", "timeout"),
                delay_seconds=delay,
                hang_seconds=float(params.get("seconds", config.hang_seconds)),
                generation=self.generation,
            )

        self._stats.prompt_tokens += prompt_tokens
        self._stats.completion_tokens += completion_tokens
        self._stats.cached_tokens += cached_tokens
        body = completion_body(
            request,
            number=self._counter,
            model=config.model,
            content=content,
            finish_reason=finish_reason,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cached_tokens=cached_tokens,
        )
        return Plan(200, body, delay_seconds=delay)

    def _refusal(
        self, request: ChatRequest, now: float, fault: Fault | None, params: dict[str, Any]
    ) -> Plan | None:
        """Errors decided before the rate limiter (so they do not count toward the window)."""
        method, model = request.method, request.model
        if fault is Fault.RATE_LIMIT:
            seconds = float(params.get("retry_after", self.config.retry_after_seconds))
            return self._rate_limited(now, request, fault, seconds, "injected rate limit")
        if fault is Fault.BAD_REQUEST:
            return self._reject(
                now, method, fault, "Invalid request (injected fault).", model=model
            )
        if method == "json_schema" and (
            fault is Fault.JSON_SCHEMA_SERVER_ERROR
            or (
                not self.config.supports_json_schema
                and self.config.json_schema_refusal_status >= 500
            )
        ):
            return self._reject(
                now, method, fault, LLAMA_CPP_JSON_SCHEMA_ERROR, status=500, model=model
            )
        if method == "json_schema" and (
            fault is Fault.REJECT_JSON_SCHEMA or not self.config.supports_json_schema
        ):
            message = (
                "Invalid parameter: 'response_format' of type 'json_schema' is not supported "
                "by this server."
            )
            return self._reject(
                now,
                method,
                fault,
                message,
                "response_format",
                status=self.config.json_schema_refusal_status,
                model=model,
            )
        if method == "function_calling" and not self.config.supports_tools:
            message = "'tools' are not supported here."
            return self._reject(now, method, fault, message, "tools", model=model)
        return None

    def _content(self, request: ChatRequest, fault: Fault | None) -> tuple[str, str, int]:
        """(content, finish_reason, completion tokens) after output faults and max_tokens."""
        data: Any = None
        if request.schema is not None:
            prompt = request.prompt_text
            document = extract_document(prompt)
            data = self.book.answer(
                request.schema, document, strip_document(prompt), model=request.model
            )
        if fault is Fault.BAD_QUOTE and data is not None:
            _invent_quotes(data)
        if fault is Fault.MISSHAPEN:
            data = {"summary": "The document describes a programme."}
        content = json.dumps(data, ensure_ascii=False) if data is not None else "OK"
        finish_reason = "tool_calls" if request.method == "function_calling" else "stop"
        if fault is Fault.MALFORMED:
            # Python-repr style quotes: the classic way a model's "JSON" fails to parse.
            content = content.replace('"', "'")
        tokens = count_tokens(content)
        limit = request.max_tokens
        if fault is Fault.TRUNCATED:
            limit = max(1, min(limit or tokens, tokens // 2))
        if limit is not None and tokens > limit:
            tokens = limit
            content = content[: limit * CHARS_PER_TOKEN]
            finish_reason = "length"
        return content, finish_reason, tokens

    def _next_fault(self, method: str | None) -> tuple[Fault | None, dict[str, Any]]:
        for injected in self._injected:
            if injected.fault in _JSON_SCHEMA_FAULTS and method != "json_schema":
                continue  # only applies to json_schema requests; wait for one
            injected.remaining -= 1
            if injected.remaining <= 0:
                self._injected.remove(injected)
            return injected.fault, injected.params
        if self._rates:
            draw = self._random.random()
            for fault, probability in self._rates.items():
                if draw < probability:
                    return fault, {}
                draw -= probability
        return None, {}

    def _limit_wait(self, now: float, tokens: int) -> float | None:
        """None when the request fits the sliding windows, else seconds until it would."""
        config = self.config
        window = config.window_seconds
        while self._window and self._window[0][0] <= now - window:
            self._window_tokens -= self._window.popleft()[1]
        waits: list[float] = []
        if config.rpm and len(self._window) >= config.rpm:
            oldest = self._window[len(self._window) - config.rpm][0]
            waits.append(oldest + window - now)
        if config.tpm and self._window_tokens + tokens > config.tpm:
            if tokens > config.tpm:
                return window  # can never fit; real providers also answer 429 here
            freed = 0
            for t, charged in self._window:
                freed += charged
                if self._window_tokens - freed + tokens <= config.tpm:
                    waits.append(t + window - now)
                    break
        return max(waits) if waits else None

    def _rate_limited(
        self, now: float, request: ChatRequest, fault: Fault | None, seconds: float, why: str
    ) -> Plan:
        seconds = max(seconds, 0.001)
        name = str(fault) if fault else None
        record = RequestRecord(now, 429, request.method, name, counted=False, model=request.model)
        self._stats.records.append(record)
        self._stats.count_fault(name)
        config = self.config
        remaining = max(0, config.rpm - len(self._window)) if config.rpm else 0
        headers = {
            "retry-after": str(max(1, round(seconds + 0.4999))),
            "retry-after-ms": str(max(1, round(seconds * 1000))),
            "x-ratelimit-limit-requests": str(config.rpm),
            "x-ratelimit-remaining-requests": str(remaining),
            "x-ratelimit-limit-tokens": str(config.tpm),
            "x-ratelimit-remaining-tokens": str(max(0, config.tpm - self._window_tokens)),
        }
        message = (
            f"Rate limit reached for {config.model} ({why}): limit {config.rpm} requests / "
            f"{config.tpm} tokens per {config.window_seconds:g}s. "
            f"Please try again in {seconds * 1000:.0f}ms."
        )
        return Plan(429, error_body(message, "requests", "rate_limit_exceeded"), headers=headers)

    def _reject(
        self,
        now: float,
        method: str | None,
        fault: Fault | None,
        message: str,
        param: str | None = None,
        *,
        status: int = 400,
        model: str | None = None,
    ) -> Plan:
        name = str(fault) if fault else None
        record = RequestRecord(now, status, method, name, counted=False, model=model)
        self._stats.records.append(record)
        self._stats.count_fault(name)
        if status >= 500:
            # llama-cpp-python's shape: its own exception text, typed as a server error.
            return Plan(status, error_body(message, "internal_server_error"))
        body = error_body(message, "invalid_request_error", "invalid_request", param)
        return Plan(status, body)


def _invent_quotes(data: Any) -> None:
    """Replace every non-empty quote with one that is not in the document."""
    if isinstance(data, list):
        for item in data:
            _invent_quotes(item)
    elif isinstance(data, dict):
        for key, value in data.items():
            if key == "quote" and isinstance(value, str) and value:
                data[key] = f"As the report plainly puts it, {value[::-1]}"
            else:
                _invent_quotes(value)
