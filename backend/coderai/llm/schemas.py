"""A model choice on the wire: what a project or job may set over the environment's model
(`ModelSettings`, checked by `registry.LLMClients.check`) and what is shown of it."""

from pydantic import Field

from coderai.core.schemas import CamelModel, StrictCamelModel
from coderai.llm.registry import API_KEY_ENV_PATTERN


class ModelSettings(StrictCamelModel):
    """A model choice over the environment's: the fields given replace its own. The key stays
    in the server's environment; `apiKeyEnv` names the variable that holds it."""

    provider: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_-]{0,49}$",
        description="openai (any OpenAI-compatible server), or a LangChain provider name",
    )
    model: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$"
    )
    base_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://[^\s]+$",
        description="One of the servers the operator allows (LLM_BASE_URL, LLM_ALLOWED_BASE_URLS)",
    )
    temperature: float | None = Field(default=None, ge=0, le=2)
    api_key_env: str | None = Field(
        default=None,
        pattern=API_KEY_ENV_PATTERN,
        description="The name of the server's environment variable holding the key",
    )

    def overrides(self) -> dict[str, object]:
        """The fields set, by wire name (what `ModelChoice.with_overrides` takes)."""
        return self.model_dump(exclude_none=True, by_alias=True)


class ModelSettingsRead(CamelModel):
    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    temperature: float | None = None
    api_key_env: str | None = None
