"""The OpenAI chat-completions wire format, as the fake reads and writes it.

Reading: which structured-output method a request uses and with which JSON schema, the prompt
text, the token counts. Writing: completion and error bodies. Token counts use the fake's
approximation (`facts.count_tokens`, 4 characters per token).
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from tests.support.fake_llm.facts import count_tokens

# OpenAI caches prompt prefixes of at least 1024 tokens, in steps of 128.
CACHE_MIN_TOKENS = 1024
CACHE_STEP_TOKENS = 128
_CACHE_HISTORY = 256
_JSON_SCHEMA_LINE = re.compile(r"^JSON schema:[ \t]*$", re.M)


@dataclass
class ChatRequest:
    """The parts of a chat-completion request the fake acts on."""

    model: str | None
    messages: list[dict[str, Any]]
    method: str | None  # json_schema | function_calling | json_mode | None (plain chat)
    schema: dict[str, Any] | None
    tool_name: str | None
    max_tokens: int | None

    @property
    def prompt_text(self) -> str:
        return "\n".join(content_text(message) for message in self.messages)

    def prompt_tokens(self) -> int:
        """Like OpenAI: a few tokens of framing per message and for the reply, plus the schema."""
        tokens = 3 + sum(4 + count_tokens(content_text(m)) for m in self.messages)
        if self.schema is not None:
            tokens += count_tokens(json.dumps(self.schema, separators=(",", ":")))
        return tokens

    def cache_text(self) -> str:
        # Messages first, schema last: a schema that changes per call (per-variable mode) must
        # not spoil the cache for the document that opens every call.
        parts = [f"<|{m.get('role')}|>{content_text(m)}" for m in self.messages]
        if self.schema is not None:
            parts.append(json.dumps(self.schema, separators=(",", ":"), sort_keys=True))
        return "\n".join(parts)


def parse_request(body: dict[str, Any]) -> ChatRequest | str:
    """The request, or why it is invalid."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty list"
    if body.get("stream"):
        return "streaming is not supported by the fake"
    messages = [m for m in messages if isinstance(m, dict)]
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    method, schema, tool_name = _structured(body, messages)
    return ChatRequest(
        model=body.get("model"),
        messages=messages,
        method=method,
        schema=schema,
        tool_name=tool_name,
        max_tokens=int(limit) if limit else None,
    )


def content_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _structured(
    body: dict[str, Any], messages: list[dict[str, Any]]
) -> tuple[str | None, dict[str, Any] | None, str | None]:
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        return "json_schema", spec.get("schema") or {}, None
    tools = body.get("tools") or []
    if tools:
        chosen = body.get("tool_choice")
        wanted = chosen.get("function", {}).get("name") if isinstance(chosen, dict) else None
        for tool in tools:
            function = tool.get("function") or {}
            if wanted in (None, function.get("name")):
                return "function_calling", function.get("parameters") or {}, function.get("name")
    if response_format.get("type") == "json_object":
        prompt = "\n".join(content_text(m) for m in messages)
        return "json_mode", schema_in_prompt(prompt), None
    return None, None, None


def schema_in_prompt(prompt: str) -> dict[str, Any]:
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


def completion_body(
    request: ChatRequest,
    *,
    number: int,
    model: str,
    content: str,
    finish_reason: str,
    prompt_tokens: int,
    completion_tokens: int,
    cached_tokens: int,
) -> dict[str, Any]:
    """A `chat.completion` object; function-calling answers come back as the tool's arguments."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if request.method == "function_calling":
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": f"call_{number}",
                "type": "function",
                "function": {"name": request.tool_name, "arguments": content},
            }
        ]
    return {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model or model,
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


def error_body(
    message: str, kind: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """An OpenAI-style error object."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}
