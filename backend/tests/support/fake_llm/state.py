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
import time
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from tests.support.fake_llm.facts import (
    UNSET,
    FactBook,
    count_tokens,
    extract_document,
    make_fact,
    strip_document,
)

# OpenAI caches prompt prefixes of at least 1024 tokens, in steps of 128.
CACHE_MIN_TOKENS = 1024
CACHE_STEP_TOKENS = 128
_CACHE_HISTORY = 256
_JSON_SCHEMA_LINE = re.compile(r"^JSON schema:[ \t]*$", re.M)


class Fault(StrEnum):
    """Failures the fake can inject, by the name tests use."""

    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    BAD_REQUEST = "400"
    TIMEOUT = "timeout"  # hang until the client gives up (or `hang_seconds`)
    MALFORMED = "malformed"  # content that is not valid JSON
    TRUNCATED = "truncated"  # JSON cut short, finish_reason "length"
    BAD_QUOTE = "bad_quote"  # quotes that are not in the document
    REJECT_JSON_SCHEMA = "reject_json_schema"  # 400 for response_format json_schema
    LATENCY = "latency"  # an extra delay (`latency_ms` param) before answering


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
    supports_tools: bool = True
    missing_confidence: float = 0.1


@dataclass
class RequestRecord:
    """One chat-completion request as the server saw it.

    `status` is the HTTP status answered, 0 when the request hung until the client left.
    `counted` says whether it passed the rate limiter (and so counts toward the window).
    """

    t: float
    status: int
    method: str | None
    fault: str | None
    counted: bool
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    charged_tokens: int = 0


@dataclass
class FakeStats:
    """A snapshot of what the server has seen since the last reset."""

    total_requests: int = 0
    accepted_requests: int = 0
    rejected_rate_limit: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    records: list[RequestRecord] = field(default_factory=list)

    @property
    def request_times(self) -> list[float]:
        """Arrival times of every chat-completion request."""
        return [record.t for record in self.records]

    @property
    def accepted_times(self) -> list[float]:
        """Arrival times of the requests that passed the rate limiter."""
        return [record.t for record in self.records if record.counted]

    def max_requests_in_window(self, window_seconds: float) -> int:
        """Most accepted requests inside any window `(t - window, t]`."""
        return _max_in_window(
            [(r.t, 1) for r in self.records if r.counted], window_seconds
        )

    def max_tokens_in_window(self, window_seconds: float) -> int:
        """Most tokens charged to accepted requests inside any window `(t - window, t]`."""
        return _max_in_window(
            [(r.t, r.charged_tokens) for r in self.records if r.counted], window_seconds
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FakeStats:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["records"] = [RequestRecord(**record) for record in data.get("records", [])]
        return cls(**values)


def _max_in_window(points: list[tuple[float, int]], window: float) -> int:
    points.sort()
    best = total = start = 0
    for t, weight in points:
        total += weight
        while points[start][0] <= t - window:
            total -= points[start][1]
            start += 1
        best = max(best, total)
    return best


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


class PrefixCache:
    """Remembers recent prompts to report OpenAI-style cached (prefix) tokens."""

    def __init__(self, size: int = _CACHE_HISTORY) -> None:
        self._prompts: deque[str] = deque(maxlen=size)

    def cached_tokens(self, prompt: str, prompt_tokens: int) -> int:
        """Tokens of the longest prefix shared with an earlier prompt, then remember this one."""
        longest = max((_common_prefix(prompt, seen) for seen in self._prompts), default=0)
        self._prompts.append(prompt)
        tokens = longest // 4
        if tokens < CACHE_MIN_TOKENS:
            return 0
        return min(tokens, prompt_tokens) // CACHE_STEP_TOKENS * CACHE_STEP_TOKENS

    def clear(self) -> None:
        self._prompts.clear()


def _common_prefix(a: str, b: str) -> int:
    # Binary search on slice equality: slices compare in C, so this stays fast for long prompts.
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class FakeLLMState:
    """All the behaviour of the fake server that is not HTTP plumbing."""

    def __init__(self, config: FakeConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.config = config or FakeConfig()
        self.book = FactBook(missing_confidence=self.config.missing_confidence)
        self._injected: list[_Injected] = []
        self._rates: dict[Fault, float] = {}
        self._random = random.Random(0)
        self._window: deque[tuple[float, int]] = deque()
        self._window_tokens = 0
        self._cache = PrefixCache()
        self._stats = FakeStats()
        self._counter = 0
        self.generation = 0  # bumped by reset(); hanging requests give up when it changes
        self.last_request: dict[str, Any] | None = None

    # --- control ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget facts, faults, configuration, rate windows, the prefix cache and stats."""
        with self._lock:
            self.config = FakeConfig()
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
        known = {f.name for f in fields(FakeConfig)}
        unknown = set(changes) - known
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
            return self._plan(body, now)

    def _plan(self, body: dict[str, Any], now: float) -> Plan:
        config = self.config
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return self._reject(now, None, None, 400, "'messages' must be a non-empty list")
        if body.get("stream"):
            return self._reject(now, None, None, 400, "streaming is not supported by the fake")
        method, schema, tool_name = _structured_request(body)
        fault, params = self._next_fault(method)

        if fault is Fault.RATE_LIMIT:
            seconds = float(params.get("retry_after", config.retry_after_seconds))
            return self._rate_limited(now, method, fault, seconds, "injected rate limit")
        if fault is Fault.BAD_REQUEST:
            return self._reject(now, method, fault, 400, "Invalid request (injected fault).")
        if method == "json_schema" and (
            fault is Fault.REJECT_JSON_SCHEMA or not config.supports_json_schema
        ):
            return self._reject(
                now,
                method,
                fault,
                400,
                "Invalid parameter: 'response_format' of type 'json_schema' is not supported "
                "by this server.",
                param="response_format",
            )
        if method == "function_calling" and not config.supports_tools:
            return self._reject(
                now, method, fault, 400, "'tools' are not supported by this server.", "tools"
            )

        prompt_text = "\n".join(_content_text(m) for m in messages if isinstance(m, dict))
        document = extract_document(prompt_text)
        data: Any = (
            self.book.answer(schema, document, strip_document(prompt_text))
            if schema is not None
            else None
        )
        if fault is Fault.BAD_QUOTE and data is not None:
            _invent_quotes(data)
        content = json.dumps(data, ensure_ascii=False) if data is not None else "OK"
        finish_reason = "tool_calls" if method == "function_calling" else "stop"
        if fault is Fault.MALFORMED:
            # Python-repr style quotes: the classic way a model's "JSON" fails to parse.
            content = content.replace('"', "'")
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        completion_tokens = count_tokens(content)
        if fault is Fault.TRUNCATED:
            limit = max(1, min(int(limit or completion_tokens), completion_tokens // 2))
        if limit is not None and completion_tokens > int(limit):
            completion_tokens = int(limit)
            content = content[: completion_tokens * 4]
            finish_reason = "length"

        cache_key = _cache_text(messages, schema)
        prompt_tokens = _prompt_tokens(messages, schema)
        charge = prompt_tokens + completion_tokens
        retry_after = self._limit_wait(now, charge)
        if retry_after is not None:
            self._stats.rejected_rate_limit += 1
            return self._rate_limited(now, method, None, retry_after, "rate limit reached")
        self._window.append((now, charge))
        self._window_tokens += charge
        cached_tokens = self._cache.cached_tokens(cache_key, prompt_tokens)

        self._counter += 1
        record = RequestRecord(
            t=now,
            status=200,
            method=method,
            fault=str(fault) if fault else None,
            counted=True,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cached_tokens=cached_tokens,
            charged_tokens=charge,
        )
        self._stats.records.append(record)
        self._stats.accepted_requests += 1
        if fault is not None:
            self._stats.faults[str(fault)] = self._stats.faults.get(str(fault), 0) + 1

        delay = config.latency_ms / 1000
        if config.latency_jitter_ms:
            delay += self._random.uniform(0, config.latency_jitter_ms / 1000)
        if fault is Fault.LATENCY:
            delay += float(params.get("latency_ms", 1000)) / 1000
        if fault is Fault.SERVER_ERROR:
            record.status = 500
            body_500 = error_body("The server had an error processing your request.", "server_error")
            return Plan(500, body_500, delay_seconds=delay)
        if fault is Fault.TIMEOUT:
            record.status = 0
            hang = float(params.get("seconds", config.hang_seconds))
            return Plan(
                504,
                error_body("upstream timed out", "timeout"),
                delay_seconds=delay,
                hang_seconds=hang,
                generation=self.generation,
            )

        self._stats.prompt_tokens += prompt_tokens
        self._stats.completion_tokens += completion_tokens
        self._stats.cached_tokens += cached_tokens
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
        if method == "function_calling":
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": f"call_{self._counter}",
                    "type": "function",
                    "function": {"name": tool_name, "arguments": content},
                }
            ]
        response = {
            "id": f"chatcmpl-fake-{self._counter}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or config.model,
            "system_fingerprint": "fp_fake",
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": cached_tokens, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
            },
        }
        return Plan(200, response, delay_seconds=delay)

    def _next_fault(self, method: str | None) -> tuple[Fault | None, dict[str, Any]]:
        for injected in self._injected:
            if injected.fault is Fault.REJECT_JSON_SCHEMA and method != "json_schema":
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
        self, now: float, method: str | None, fault: Fault | None, seconds: float, why: str
    ) -> Plan:
        seconds = max(seconds, 0.001)
        self._stats.records.append(RequestRecord(now, 429, method, str(fault) if fault else None, False))
        if fault is not None:
            self._stats.faults[str(fault)] = self._stats.faults.get(str(fault), 0) + 1
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
            f"Rate limit reached for {config.model}: {why} "
            f"(limit {config.rpm} requests / {config.tpm} tokens per {config.window_seconds:g}s). "
            f"Please try again in {seconds * 1000:.0f}ms."
        )
        body = error_body(message, "requests", "rate_limit_exceeded")
        return Plan(429, body, headers=headers)

    def _reject(
        self,
        now: float,
        method: str | None,
        fault: Fault | None,
        status: int,
        message: str,
        param: str | None = None,
    ) -> Plan:
        self._stats.records.append(RequestRecord(now, status, method, str(fault) if fault else None, False))
        if fault is not None:
            self._stats.faults[str(fault)] = self._stats.faults.get(str(fault), 0) + 1
        body = error_body(message, "invalid_request_error", "invalid_request")
        body["error"]["param"] = param
        return Plan(status, body)


def _content_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict)
        )
    return ""


def _structured_request(
    body: dict[str, Any],
) -> tuple[str | None, dict[str, Any] | None, str | None]:
    """(method, JSON schema, tool name) of a request: json_schema, function calling or JSON mode."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        return "json_schema", spec.get("schema") or {}, None
    tools = body.get("tools") or []
    if tools:
        chosen = body.get("tool_choice")
        wanted = (
            chosen.get("function", {}).get("name") if isinstance(chosen, dict) else None
        )
        for tool in tools:
            function = tool.get("function") or {}
            if wanted in (None, function.get("name")):
                return "function_calling", function.get("parameters") or {}, function.get("name")
    if response_format.get("type") == "json_object":
        prompt = "\n".join(_content_text(m) for m in body.get("messages") or [])
        return "json_mode", _schema_in_prompt(prompt), None
    return None, None, None


def _schema_in_prompt(prompt: str) -> dict[str, Any]:
    """The JSON object written after a line `JSON schema:` (JSON mode), or {}."""
    line = _JSON_SCHEMA_LINE.search(prompt)
    if line is None:
        return {}
    start = prompt.find("{", line.end())
    if start < 0:
        return {}
    try:
        schema, _ = json.JSONDecoder().raw_decode(prompt, start)
    except json.JSONDecodeError:
        return {}
    return schema if isinstance(schema, dict) else {}


def _cache_text(messages: list[Any], schema: dict[str, Any] | None) -> str:
    # Messages first, schema last: a schema that changes per call (per-variable mode) must not
    # spoil the cache for the document that opens every call.
    parts = [f"<|{m.get('role')}|>{_content_text(m)}" for m in messages if isinstance(m, dict)]
    if schema is not None:
        parts.append(json.dumps(schema, separators=(",", ":"), sort_keys=True))
    return "\n".join(parts)


def _prompt_tokens(messages: list[Any], schema: dict[str, Any] | None) -> int:
    # Like OpenAI: a few tokens of framing per message and for the reply, plus the schema.
    tokens = 3 + sum(4 + count_tokens(_content_text(m)) for m in messages if isinstance(m, dict))
    if schema is not None:
        tokens += count_tokens(json.dumps(schema, separators=(",", ":")))
    return tokens


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


__all__ = ["UNSET", "FakeConfig", "FakeLLMState", "FakeStats", "Fault", "Plan", "RequestRecord"]
