"""Chat models by provider: LangChain's `ChatOpenAI` for OpenAI and any OpenAI-compatible
server, other providers through `init_chat_model` when their integration is installed. The
SDK's own retries are off: `coderai.llm.errors` holds the retry policy.
"""

from __future__ import annotations

import importlib
from typing import Any, cast
from urllib.parse import urlsplit

import openai
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from coderai.llm.errors import LLMNotConfiguredError

OPENAI_COMPATIBLE_PROVIDERS = frozenset({"openai", "openai_compatible", "openai-compatible"})


# Local servers ignore the key, but the OpenAI SDK insists on having one.
_PLACEHOLDER_API_KEY = "not-needed"


def _speaks_older_dialect(base_url: str | None) -> bool:
    """A server of our own (not OpenAI's or Azure's), which may know only `max_tokens`."""
    if not base_url:
        return False
    host = (urlsplit(base_url).hostname or "").lower()
    return not host.endswith(("openai.com", "openai.azure.com"))


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
        # LangChain sends the limit as `max_completion_tokens`, which OpenAI-compatible servers
        # of an older dialect ignore (llama-cpp-python's would then write until its context is
        # full): they get `max_tokens` too.
        extra_body = {"max_tokens": max_tokens} if _speaks_older_dialect(base_url) else None
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
            extra_body=extra_body,
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
