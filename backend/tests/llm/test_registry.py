"""One client per chosen model: layered choices, that model's prices and rate limits, keys read
by name from the environment, and servers limited to the allowed ones."""

import pytest

from coderai.core.config import Settings
from coderai.llm import LLMClients, ModelChoice, ModelChoiceError, TokenUsage
from coderai.llm.pricing import cost_usd


def make_settings(**values: object) -> Settings:
    base: dict[str, object] = {
        "llm_base_url": "http://127.0.0.1:9/v1",
        "llm_model": "env-model",
        "llm_api_key": "env-key",
        "llm_requests_per_minute": 600,
        "llm_tokens_per_minute": 60_000,
        "llm_prices": {"env-model": {"input": 1.0, "output": 2.0}, "big": {"input": 10.0}},
        "llm_rate_limits": {"big": {"requests_per_minute": 60, "tokens_per_minute": 1000}},
        "llm_allowed_base_urls": ["http://127.0.0.1:10/v1/"],
        **values,
    }
    return Settings(_env_file=None, **base)  # type: ignore[call-arg, arg-type]


def test_choices_layer_over_the_environments_model() -> None:
    clients = LLMClients(make_settings(), environ={})

    assert clients.resolve() == ModelChoice("openai", "env-model", "http://127.0.0.1:9/v1")
    choice = clients.resolve({"model": "big", "temperature": 0.5}, {"model": "big-2024-08-06"})
    assert choice == ModelChoice("openai", "big-2024-08-06", "http://127.0.0.1:9/v1", 0.5)
    assert ModelChoice.from_json(choice.to_json()) == choice


def test_each_model_has_its_own_limits_prices_and_client() -> None:
    clients = LLMClients(make_settings(), environ={})

    default = clients.get()
    big = clients.get(clients.resolve({"model": "big-2024-08-06"}))

    assert big is clients.get(clients.resolve({"model": "big-2024-08-06", "temperature": 1}))
    assert big is not default and big.methods is default.methods
    assert (default.limiter.requests_per_window, default.limiter.tokens_per_window) == (
        600,
        60_000,
    )
    # The dated snapshot takes the limits and price of "big".
    assert (big.limiter.requests_per_window, big.limiter.tokens_per_window) == (60, 1000)
    usage = TokenUsage(prompt_tokens=1_000_000)
    assert big._cost(usage, big.model) == cost_usd(usage, {"input": 10.0}) == 10.0


def test_a_key_is_read_from_the_named_variable_only() -> None:
    environ = {"OTHER_API_KEY": "other-secret"}
    clients = LLMClients(make_settings(), environ=environ)

    named = clients.get(clients.resolve({"apiKeyEnv": "OTHER_API_KEY"}))

    assert named._api_key is not None and named._api_key.get_secret_value() == "other-secret"
    default_key = clients.get()._api_key
    assert default_key is not None and default_key.get_secret_value() == "env-key"
    assert "other-secret" not in repr(clients.resolve({"apiKeyEnv": "OTHER_API_KEY"}))


@pytest.mark.parametrize(
    ("layer", "field"),
    [
        ({"baseUrl": "http://127.0.0.1:11/v1"}, "baseUrl"),
        ({"apiKeyEnv": "DATABASE_URL"}, "apiKeyEnv"),
        ({"apiKeyEnv": "MISSING_API_KEY"}, "apiKeyEnv"),
    ],
)
def test_choices_that_cannot_run_name_their_field(layer: dict[str, str], field: str) -> None:
    clients = LLMClients(make_settings(), environ={})

    with pytest.raises(ModelChoiceError) as caught:
        clients.check(clients.resolve(layer))

    assert caught.value.field == field


def test_an_allowed_server_may_be_chosen() -> None:
    clients = LLMClients(make_settings(), environ={})

    choice = clients.resolve({"baseUrl": "http://127.0.0.1:10/v1"})
    clients.check(choice)

    assert clients.get(choice).base_url == "http://127.0.0.1:10/v1"
