"""Structured-output fallback decided by what the server says: a refusal that names the
feature moves to the next method at once (500 included, the way llama-cpp-python answers a
json_schema response format), spends no retry, and is remembered per server and model."""

import asyncio
import logging

import pytest

from coderai.llm.structured import MethodMemory
from tests.llm.test_llm_client import ask, make_client
from tests.support.fake_llm import FakeLLM


@pytest.fixture
def planted(fake_llm: FakeLLM) -> FakeLLM:
    fake_llm.add_fact("city", r"headquartered in (?P<value>\w+)")
    fake_llm.add_fact("employees", r"(?P<value>[\d,]+) employees", confidence=0.8)
    return fake_llm


def llama_cpp_like(fake: FakeLLM) -> None:
    """json_schema refused with a 500 naming `response_format`; tools work."""
    fake.configure(supports_json_schema=False, json_schema_refusal_status=500)


async def test_a_500_naming_response_format_falls_back_at_once_without_retrying(
    planted: FakeLLM,
) -> None:
    llama_cpp_like(planted)
    client = make_client(planted, max_retries=3)

    result = await ask(client)

    assert result.method == "function_calling"
    assert result.data["city"]["value"] == "Lyon"
    # One refused request, no retry of it (max_retries=3 would have sent four), then the answer.
    assert [(r.method, r.status) for r in planted.stats.records] == [
        ("json_schema", 500),
        ("function_calling", 200),
    ]
    assert result.attempts == 2


async def test_the_working_method_is_remembered_for_later_calls(planted: FakeLLM) -> None:
    llama_cpp_like(planted)
    client = make_client(planted)

    await ask(client)
    second = await ask(client)
    third = await ask(client)

    assert (second.method, third.method) == ("function_calling", "function_calling")
    assert (second.attempts, third.attempts) == (1, 1)
    assert [r.method for r in planted.stats.records] == [
        "json_schema",
        "function_calling",
        "function_calling",
        "function_calling",
    ]
    assert client.method == "function_calling"


async def test_the_injected_json_schema_500_fault_is_refused_once(planted: FakeLLM) -> None:
    planted.inject("json_schema_500")

    result = await ask(make_client(planted))

    assert result.method == "function_calling"
    assert [r.status for r in planted.stats.records] == [500, 200]
    assert planted.stats.faults == {"json_schema_500": 1}


async def test_a_plain_500_is_still_a_server_fault_that_is_retried(planted: FakeLLM) -> None:
    planted.inject("500", times=2)
    client = make_client(planted)

    result = await ask(client)

    assert result.method == "json_schema"
    assert [(r.method, r.status) for r in planted.stats.records] == [
        ("json_schema", 500),
        ("json_schema", 500),
        ("json_schema", 200),
    ]
    assert client.method == "json_schema"


async def test_memory_is_per_base_url_and_model(planted: FakeLLM) -> None:
    """Two clients of one server and model share what was learnt; another model there, or the
    same model on another server, starts from json_schema again."""
    llama_cpp_like(planted)
    memory = MethodMemory()
    first = make_client(planted, methods=memory)
    await ask(first)
    planted.reset_stats()

    same = make_client(planted, methods=memory)
    other_model = make_client(planted, methods=memory, model="other-model")
    other_server = make_client(
        planted, methods=memory, base_url=planted.base_url.replace("127.0.0.1", "localhost")
    )

    assert same.method == "function_calling"
    assert other_model.method == other_server.method == "json_schema"
    await ask(same)
    assert [r.method for r in planted.stats.records] == ["function_calling"]
    assert memory.known() == {("openai", planted.base_url, "fake-gpt"): "function_calling"}


async def test_the_fallback_is_logged_once_however_many_calls_meet_it(
    planted: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    llama_cpp_like(planted)
    client = make_client(planted)

    with caplog.at_level(logging.WARNING, logger="coderai.llm"):
        results = await asyncio.gather(*(ask(client) for _ in range(6)))

    assert {r.method for r in results} == {"function_calling"}
    learnt = [r for r in caplog.records if "from now on" in r.getMessage()]
    assert len(learnt) == 1
    message = learnt[0].getMessage()
    assert "refused json_schema for model fake-gpt" in message
    assert "structured output by function_calling" in message
    # Nothing was retried: every json_schema request was answered by a refusal, once each.
    retried = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert retried == []


async def test_a_422_naming_tools_moves_on_to_json_mode(planted: FakeLLM) -> None:
    planted.configure(supports_json_schema=False, json_schema_refusal_status=422)
    planted.configure(supports_tools=False)

    result = await ask(make_client(planted))

    assert result.method == "json_mode"
    assert [(r.method, r.status) for r in planted.stats.records] == [
        ("json_schema", 422),
        ("function_calling", 400),
        ("json_mode", 200),
    ]


async def test_a_self_hosted_server_is_also_sent_max_tokens(planted: FakeLLM) -> None:
    """llama-cpp-python's server knows `max_tokens` only and ignores the newer
    `max_completion_tokens`: without it, a small model may write until its context is full."""
    await ask(make_client(planted), max_tokens=321)

    sent = planted.last_request
    assert sent is not None
    assert sent["max_tokens"] == sent["max_completion_tokens"] == 321
