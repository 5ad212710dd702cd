"""LLMClient against the fake server over real HTTP, with the real langchain-openai client."""

import asyncio
import math
import re
import time
from typing import Any

import pytest
from pydantic import SecretStr

from coderai.core.config import Settings
from coderai.llm import LLMCallError, LLMClient, LLMNotConfiguredError, LLMOutputError, TokenUsage
from coderai.llm.errors import retry_after_seconds
from coderai.llm.pricing import cost_usd
from coderai.llm.rate_limiter import RateLimiter
from tests.support.fake_llm import FakeLLM
from tests.support.fake_llm.schemas import document_schema, entity_schema, user_prompt

NULLABLE_TEXT = {"type": ["string", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
SYSTEM = "You are a careful research assistant who codes documents."
REPORT = (
    "Annual report. ACME Corp is headquartered in Lyon, France. "
    "The company had 1,250 employees at year end."
)
SCHEMA = document_schema({"city": NULLABLE_TEXT, "employees": NULLABLE_NUMBER})
PRICES = {"fake-gpt": {"input": 2.0, "cached_input": 0.5, "output": 8.0}}


def make_client(fake: FakeLLM, **options: Any) -> LLMClient:
    settings: dict[str, Any] = {
        "model": "fake-gpt",
        "base_url": fake.base_url,
        "timeout_seconds": 5.0,
        "max_retries": 3,
        "backoff_initial_seconds": 0.02,
        "backoff_max_seconds": 0.2,
        "prices": PRICES,
        **options,
    }
    return LLMClient(**settings)


async def ask(client: LLMClient, document: str = REPORT, **options: Any) -> Any:
    arguments: dict[str, Any] = {
        "system": SYSTEM,
        "user": user_prompt(document),
        "json_schema": SCHEMA,
        "schema_name": "coding",
        "temperature": 0.0,
        "max_tokens": 400,
        **options,
    }
    return await client.complete_structured(**arguments)


@pytest.fixture
def planted(fake_llm: FakeLLM) -> FakeLLM:
    fake_llm.add_fact("city", r"headquartered in (?P<value>\w+)")
    fake_llm.add_fact("employees", r"(?P<value>[\d,]+) employees", confidence=0.8)
    return fake_llm


async def test_structured_call_returns_planted_values_usage_and_cost(planted: FakeLLM) -> None:
    result = await ask(make_client(planted))

    assert result.method == "json_schema"
    assert result.attempts == 1
    assert result.model == "fake-gpt"
    assert result.data["city"]["value"] == "Lyon"
    assert result.data["city"]["quote"] == "headquartered in Lyon"
    assert result.data["employees"] | {"reasoning": None} == {
        "value": 1250,
        "confidence": 0.8,
        "quote": "1,250 employees",
        "reasoning": None,
    }
    record = planted.stats.records[0]
    assert result.usage == TokenUsage(record.prompt_tokens, record.completion_tokens, 0)
    expected = (record.prompt_tokens * 2.0 + record.completion_tokens * 8.0) / 1e6
    assert result.cost_usd == pytest.approx(expected)
    sent = planted.last_request
    assert sent is not None
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert sent["temperature"] == 0.0 and sent["max_completion_tokens"] == 400


async def test_entity_mode_returns_one_record_per_entity(fake_llm: FakeLLM) -> None:
    fake_llm.set_entity_pattern(r"^Respondent \d+:", flags=re.M)
    fake_llm.add_fact("age", r"aged (?P<value>\d+)")
    fake_llm.add_fact("region", r"from the (?P<value>\w+)")
    document = "Interview notes.\nRespondent 1: aged 41, from the North.\nRespondent 2: aged 29.\n"
    schema = entity_schema({"age": NULLABLE_NUMBER, "region": NULLABLE_TEXT})

    result = await ask(make_client(fake_llm), document, json_schema=schema)

    entities = result.data["entities"]
    assert [(e["age"]["value"], e["region"]["value"]) for e in entities] == [
        (41, "North"),
        (29, None),
    ]


async def test_cached_prefix_is_reported_and_priced_lower(planted: FakeLLM) -> None:
    client = make_client(planted)
    long_report = REPORT + " The board met monthly to review progress." * 150

    first = await ask(client, long_report)
    second = await ask(client, long_report, system=SYSTEM)

    assert first.usage.cached_tokens == 0
    assert second.usage.cached_tokens >= 1024 and second.usage.cached_tokens % 128 == 0
    usage = second.usage
    expected = (
        (usage.prompt_tokens - usage.cached_tokens) * 2.0
        + usage.cached_tokens * 0.5
        + usage.completion_tokens * 8.0
    ) / 1e6
    assert second.cost_usd == pytest.approx(expected)
    assert second.cost_usd < first.cost_usd


async def test_429_is_retried_after_the_retry_after_delay(planted: FakeLLM) -> None:
    planted.inject("429", retry_after=0.6)

    result = await ask(make_client(planted))

    rejected, accepted = planted.stats.records
    assert (rejected.status, accepted.status) == (429, 200)
    assert 0.6 <= accepted.t - rejected.t < 1.2
    assert result.attempts == 2
    assert result.data["city"]["value"] == "Lyon"


async def test_server_errors_are_retried_with_backoff(planted: FakeLLM) -> None:
    planted.inject("500", times=2)

    result = await ask(make_client(planted))

    assert result.attempts == 3
    assert [r.status for r in planted.stats.records] == [500, 500, 200]


async def test_a_hung_request_times_out_and_is_retried(planted: FakeLLM) -> None:
    planted.inject("timeout")
    started = time.monotonic()

    result = await ask(make_client(planted, timeout_seconds=0.4))

    assert result.attempts == 2
    assert 0.4 <= time.monotonic() - started < 3
    assert [r.status for r in planted.stats.records] == [0, 200]


@pytest.mark.parametrize(
    ("fault", "params", "kind", "requests"),
    [
        ("429", {"retry_after": 0.05}, "rate_limited", 3),
        ("500", {}, "server_error", 3),
        ("timeout", {}, "timeout", 3),
        ("400", {}, "bad_request", 1),  # never retried
    ],
)
async def test_persistent_failures_raise_the_right_kind_after_retries(
    planted: FakeLLM, fault: str, params: dict[str, Any], kind: str, requests: int
) -> None:
    planted.inject(fault, times=10, **params)
    client = make_client(planted, max_retries=2, timeout_seconds=0.3)

    with pytest.raises(LLMCallError) as caught:
        await ask(client)

    assert caught.value.kind == kind
    assert caught.value.attempts == requests
    assert planted.stats.total_requests == requests


async def test_unreachable_server_is_a_connection_error(fake_llm: FakeLLM) -> None:
    client = LLMClient(
        model="fake-gpt",
        base_url="http://127.0.0.1:9/v1",  # discard port: nothing listens
        max_retries=1,
        backoff_initial_seconds=0.01,
    )

    with pytest.raises(LLMCallError) as caught:
        await ask(client)

    assert caught.value.kind == "connection"
    assert caught.value.attempts == 2


async def test_rejected_json_schema_falls_back_to_function_calling_once(
    planted: FakeLLM,
) -> None:
    planted.configure(supports_json_schema=False)
    client = make_client(planted)

    first = await ask(client)
    second = await ask(client)

    assert (first.method, second.method) == ("function_calling", "function_calling")
    assert first.data["city"]["value"] == second.data["city"]["value"] == "Lyon"
    assert [r.method for r in planted.stats.records] == [
        "json_schema",
        "function_calling",
        "function_calling",
    ]
    assert client.method == "function_calling"


async def test_without_tools_either_it_falls_back_to_json_mode(planted: FakeLLM) -> None:
    planted.configure(supports_json_schema=False, supports_tools=False)

    result = await ask(make_client(planted))

    assert result.method == "json_mode"
    assert result.attempts == 3
    assert result.data["employees"]["value"] == 1250
    sent = planted.last_request
    assert sent is not None and "JSON schema:" in sent["messages"][-1]["content"]


async def test_injected_json_schema_rejection_also_triggers_the_fallback(
    planted: FakeLLM,
) -> None:
    planted.inject("reject_json_schema")

    result = await ask(make_client(planted))

    assert result.method == "function_calling"


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
async def test_truncated_output_raises_an_output_error(planted: FakeLLM, method: str) -> None:
    client = make_client(planted)
    planted.configure(
        supports_json_schema=method == "json_schema", supports_tools=method != "json_mode"
    )
    await ask(client)  # settle on the method first
    planted.inject("truncated")

    with pytest.raises(LLMOutputError) as caught:
        await ask(client)

    error = caught.value
    assert error.kind == "truncated"
    assert error.raw_text.startswith("{") and "Lyon" in error.raw_text
    assert error.usage.completion_tokens > 0 and error.cost_usd > 0
    assert planted.stats.records[-1].method == method


async def test_malformed_output_raises_an_output_error_with_the_raw_text(
    planted: FakeLLM,
) -> None:
    planted.inject("malformed")

    with pytest.raises(LLMOutputError) as caught:
        await ask(make_client(planted))

    assert caught.value.kind == "malformed"
    assert "'Lyon'" in caught.value.raw_text
    assert caught.value.attempts == 1


async def test_concurrent_calls_never_exceed_the_request_limit(planted: FakeLLM) -> None:
    planted.configure(rpm=20, window_seconds=1.0)
    client = make_client(planted, requests_per_window=20, window_seconds=1.0, max_concurrency=32)
    started = time.monotonic()

    results = await asyncio.gather(*(ask(client) for _ in range(60)))

    elapsed = time.monotonic() - started
    stats = planted.stats
    assert all(r.data["city"]["value"] == "Lyon" for r in results)
    assert stats.rejected_rate_limit == 0
    assert stats.max_requests_in_window(1.0) == 20
    # 60 calls at 20 per window need two full windows after the first burst; each slot is
    # also held for its call's duration, which here is mostly this process's own CPU time.
    achieved = (60 - 20) / elapsed
    assert elapsed >= 2.0
    assert achieved / 20 > 0.6, f"achieved {achieved:.1f} req/s of 20"


async def test_concurrent_calls_never_exceed_the_token_limit(planted: FakeLLM) -> None:
    probe = await ask(make_client(planted), max_tokens=150)
    per_call = probe.usage.total_tokens
    planted.reset_stats()
    budget = per_call * 6
    planted.configure(tpm=budget, window_seconds=1.0)
    client = make_client(planted, tokens_per_window=budget, window_seconds=1.0)

    await asyncio.gather(*(ask(client, max_tokens=150) for _ in range(12)))

    stats = planted.stats
    assert stats.rejected_rate_limit == 0
    assert stats.max_tokens_in_window(1.0) <= budget
    assert stats.accepted_requests == 12


async def test_slow_responses_still_respect_the_limit(planted: FakeLLM) -> None:
    planted.configure(rpm=8, window_seconds=1.0, latency_ms=250, latency_jitter_ms=100)
    client = make_client(planted, requests_per_window=8, window_seconds=1.0)

    await asyncio.gather(*(ask(client) for _ in range(16)))

    assert planted.stats.rejected_rate_limit == 0
    assert planted.stats.max_requests_in_window(1.0) == 8


async def test_a_429_pauses_every_caller_of_the_shared_limiter(planted: FakeLLM) -> None:
    client = make_client(planted)
    planted.inject("429", retry_after=0.5)

    first = asyncio.create_task(ask(client))
    await asyncio.sleep(0.15)  # the 429 is back by now
    await asyncio.gather(first, *(ask(client) for _ in range(3)))

    records = planted.stats.records
    rejected = next(r.t for r in records if r.status == 429)
    accepted = [r.t for r in records if r.status == 200]
    assert len(accepted) == 4
    assert min(accepted) - rejected >= 0.45


async def test_cancelled_calls_give_back_their_slots(planted: FakeLLM) -> None:
    client = make_client(planted, requests_per_window=5, max_concurrency=1)
    planted.inject("timeout")

    call = asyncio.create_task(ask(client))
    await asyncio.sleep(0.2)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    result = await asyncio.wait_for(ask(client), timeout=2)  # the one concurrency slot is free

    assert result.data["city"]["value"] == "Lyon"
    assert client.limiter.usage()[0] == 2  # both stay counted for the window


async def test_settled_usage_frees_the_token_budget_early() -> None:
    limiter = RateLimiter(tokens_per_window=100, window_seconds=30.0)

    async with limiter.slot(90) as reservation:
        limiter.settle(reservation, 20)
    started = time.monotonic()
    async with limiter.slot(70):
        pass

    assert time.monotonic() - started < 0.1
    assert limiter.usage() == (2, 90)


async def test_slots_are_held_a_window_after_the_reply_or_an_assumed_arrival() -> None:
    now = [100.0]
    strict = RateLimiter(requests_per_window=5, window_seconds=10.0, clock=lambda: now[0])
    optimistic = RateLimiter(
        requests_per_window=5,
        window_seconds=10.0,
        safety_margin_seconds=0.5,
        assume_arrival_within_seconds=1.0,
        clock=lambda: now[0],
    )

    for limiter, held_while_slow in ((strict, 1), (optimistic, 0)):
        async with limiter.slot(1):
            now[0] += 30.0  # a call far slower than the window
            assert limiter.usage()[0] == held_while_slow
        now[0] += 10.0
        assert limiter.usage()[0] == held_while_slow  # strict: window + margin after the reply
        now[0] += 0.06
        assert limiter.usage()[0] == 0


async def test_a_request_larger_than_the_token_window_is_refused(fake_llm: FakeLLM) -> None:
    client = make_client(fake_llm, tokens_per_window=100)

    with pytest.raises(LLMCallError) as caught:
        await ask(client)

    assert caught.value.kind == "bad_request"
    assert "raise LLM_TOKENS_PER_MINUTE or lower CHUNK_TOKENS" in str(caught.value)
    assert fake_llm.stats.total_requests == 0


def test_retry_after_headers_are_read_in_milliseconds_first() -> None:
    class Response:
        def __init__(self, headers: dict[str, str]) -> None:
            self.headers = headers

    class Failure(Exception):
        def __init__(self, headers: dict[str, str]) -> None:
            self.response = Response(headers)

    assert retry_after_seconds(Failure({"retry-after-ms": "250", "retry-after": "1"})) == 0.25
    assert retry_after_seconds(Failure({"retry-after": "2"})) == 2.0
    assert retry_after_seconds(Failure({})) is None
    assert retry_after_seconds(ValueError()) is None


def test_cost_uses_input_cached_and_output_prices() -> None:
    usage = TokenUsage(prompt_tokens=1_000_000, completion_tokens=500_000, cached_tokens=400_000)

    cost = cost_usd(usage, {"input": 1.0, "cached_input": 0.25, "output": 4.0})

    assert math.isclose(cost, 0.6 + 0.1 + 2.0)
    assert cost_usd(usage, None) == 0.0


def test_client_from_settings(fake_llm: FakeLLM) -> None:
    settings = Settings(
        _env_file=None,
        llm_base_url=fake_llm.base_url,
        llm_api_key=SecretStr("local"),
        llm_requests_per_minute=120,
        llm_tokens_per_minute=50_000,
        llm_max_concurrency=4,
    )

    client = LLMClient.from_settings(settings)

    assert client.limiter.requests_per_window == 120
    assert client.limiter.tokens_per_window == 50_000
    assert client.limiter.window_seconds == 60.0
    assert client.limiter.max_concurrency == 4
    assert client.prices == settings.llm_prices


def test_no_llm_configured_is_a_clear_error() -> None:
    settings = Settings(_env_file=None)

    with pytest.raises(LLMNotConfiguredError, match="no LLM provider configured"):
        LLMClient.from_settings(settings)


def test_other_providers_need_their_langchain_package() -> None:
    with pytest.raises(LLMNotConfiguredError, match="anthropic"):
        LLMClient(model="claude", provider="anthropic", api_key="k")
