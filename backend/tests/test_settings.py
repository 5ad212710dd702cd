"""Every setting is documented in .env.example, and the environment reaches the settings."""

from pathlib import Path

import pytest

from coderai.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_setting() -> None:
    documented = (ROOT / ".env.example").read_text()
    missing = [
        name.upper() for name in Settings.model_fields if f"{name.upper()}=" not in documented
    ]
    assert missing == [], f"add these to .env.example: {missing}"


def test_environment_overrides_and_secrets_stay_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/x")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("CORS_ORIGINS", '["https://app.example"]')
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql://u:p@db:5432/x"
    assert settings.cors_origins == ["https://app.example"]
    assert settings.llm_configured
    assert "sk-secret" not in repr(settings)
    assert settings.files_dir == settings.data_dir / "files"


@pytest.mark.parametrize(
    "env",
    [
        {"CHUNK_TOKENS": "8"},
        {"ENTITY_CHUNK_TOKENS": "400", "CHUNK_OVERLAP_TOKENS": "250"},
        {"CHUNK_OVERLAP_TOKENS": "-1"},
    ],
)
def test_chunk_settings_the_chunker_would_refuse_stop_the_start(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match="CHUNK_OVERLAP_TOKENS"):
        Settings(_env_file=None)  # type: ignore[call-arg]
