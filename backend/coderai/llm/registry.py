"""The model a project or job runs on (`ModelChoice`) and the process's clients, one per
model (`LLMClients`), each with its model's prices and rate limits and all sharing the
structured-output method memory (docs/ARCHITECTURE.md, "llm/").

Keys stay in the environment: a choice names the variable that holds its key
(`api_key_env`, e.g. `MISTRAL_API_KEY`), never the key itself.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from coderai.llm.client import LLMClient
from coderai.llm.errors import LLMNotConfiguredError
from coderai.llm.pricing import price_for
from coderai.llm.structured import MethodMemory

if TYPE_CHECKING:
    from coderai.core.config import Settings

# Only variables named like API keys may be referenced: a project cannot have the server send
# SECRET_KEY or DATABASE_URL to a model server.
API_KEY_ENV_PATTERN = r"^[A-Z][A-Z0-9_]{0,60}_API_KEY$"
_API_KEY_ENV = re.compile(API_KEY_ENV_PATTERN)


class ModelChoiceError(ValueError):
    """A model choice that cannot run here; `field` names the part at fault (camelCase)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ModelChoice:
    """Which model to call, where, and with which key variable; `temperature` None keeps each
    prompt's own."""

    provider: str
    model: str
    base_url: str | None = None
    temperature: float | None = None
    api_key_env: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "baseUrl": self.base_url,
            "temperature": self.temperature,
            "apiKeyEnv": self.api_key_env,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelChoice:
        return cls(
            provider=str(data["provider"]),
            model=str(data["model"]),
            base_url=data.get("baseUrl"),
            temperature=data.get("temperature"),
            api_key_env=data.get("apiKeyEnv"),
        )

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> ModelChoice:
        """This choice with the fields `overrides` sets (wire names; a null keeps ours)."""
        if not overrides:
            return self
        names = {
            "provider": "provider",
            "model": "model",
            "baseUrl": "base_url",
            "temperature": "temperature",
            "apiKeyEnv": "api_key_env",
        }
        changes = {names[k]: v for k, v in overrides.items() if k in names and v is not None}
        return replace(self, **changes)


def _normal_url(url: str | None) -> str | None:
    return url.rstrip("/") if url else None


def _limit(limits: Mapping[str, Mapping[str, float]], model: str, name: str, default: int) -> int:
    entry = price_for(model, limits)  # the same name matching as prices (dated snapshots)
    value = entry.get(name) if entry else None
    return int(value) if value else default


class LLMClients:
    """One `LLMClient` per (provider, model, base URL, key variable), made on first use.

    The environment's model (LLM_MODEL, LLM_PROVIDER, LLM_BASE_URL and its key) is the default;
    a choice may only name the environment's base URL or one of LLM_ALLOWED_BASE_URLS, since a
    key goes wherever the base URL points.
    """

    def __init__(self, settings: Settings, environ: Mapping[str, str] | None = None) -> None:
        if not settings.llm_configured:
            raise LLMNotConfiguredError(
                "no LLM provider configured: set OPENAI_API_KEY, or LLM_BASE_URL for an "
                "OpenAI-compatible server"
            )
        self.settings = settings
        self.environ = os.environ if environ is None else environ
        self.methods = MethodMemory()
        self.default_choice = ModelChoice(
            provider=settings.llm_provider,
            model=settings.llm_model,
            base_url=_normal_url(settings.llm_base_url),
        )
        self._clients: dict[tuple[str, str, str | None, str | None], LLMClient] = {}
        self.default = self.get(self.default_choice)

    @property
    def allowed_base_urls(self) -> list[str | None]:
        """Where a choice may send its requests: the environment's server (None: the
        provider's own endpoint) and LLM_ALLOWED_BASE_URLS."""
        urls: list[str | None] = [_normal_url(self.settings.llm_base_url)]
        urls += [_normal_url(url) for url in self.settings.llm_allowed_base_urls]
        return list(dict.fromkeys(urls))

    def resolve(self, *layers: Mapping[str, Any] | None) -> ModelChoice:
        """The environment's choice with each layer's fields over it (project, then job)."""
        choice = self.default_choice
        for layer in layers:
            choice = choice.with_overrides(layer)
        return replace(choice, base_url=_normal_url(choice.base_url))

    def check(self, choice: ModelChoice) -> None:
        """Raise `ModelChoiceError` unless `choice` can run here (its client is built too)."""
        if choice.base_url not in self.allowed_base_urls:
            raise ModelChoiceError(
                "baseUrl",
                f"base URL {choice.base_url!r} is not one this server may call: the operator "
                "lists them in LLM_ALLOWED_BASE_URLS",
            )
        if choice.api_key_env is not None:
            if not _API_KEY_ENV.match(choice.api_key_env):
                raise ModelChoiceError(
                    "apiKeyEnv", "must name an environment variable ending in _API_KEY"
                )
            if not self.environ.get(choice.api_key_env):
                raise ModelChoiceError(
                    "apiKeyEnv",
                    f"the environment variable {choice.api_key_env} is not set on the server",
                )
        try:
            self.get(choice)
        except (LLMNotConfiguredError, ValueError) as exc:  # LangChain: unknown provider
            raise ModelChoiceError("provider", str(exc)) from exc

    def get(self, choice: ModelChoice | None = None) -> LLMClient:
        """The client for `choice` (the default when None)."""
        if choice is None:
            return self.default
        key = (
            choice.provider.lower(),
            choice.model,
            _normal_url(choice.base_url),
            choice.api_key_env,
        )
        client = self._clients.get(key)
        if client is None:
            client = self._build(choice)
            self._clients[key] = client
        return client

    def _build(self, choice: ModelChoice) -> LLMClient:
        settings = self.settings
        if choice.api_key_env:
            api_key: SecretStr | None = SecretStr(self.environ.get(choice.api_key_env, ""))
        else:
            api_key = settings.llm_api_key or settings.openai_api_key
        limits = settings.llm_rate_limits
        requests = _limit(
            limits, choice.model, "requests_per_minute", settings.llm_requests_per_minute
        )
        tokens = _limit(limits, choice.model, "tokens_per_minute", settings.llm_tokens_per_minute)
        return LLMClient(
            model=choice.model,
            provider=choice.provider,
            base_url=_normal_url(choice.base_url),
            api_key=api_key,
            timeout_seconds=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
            requests_per_window=requests,
            tokens_per_window=tokens,
            window_seconds=60.0,
            # A second's share of the per-minute limit back to back, then its pace.
            burst_requests=max(1, math.ceil(requests / 60)),
            max_concurrency=settings.llm_max_concurrency,
            prices=settings.llm_prices,
            methods=self.methods,
        )

    def clients(self) -> list[LLMClient]:
        return list(self._clients.values())

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
