"""The fake OpenAI-compatible server, exercised over raw HTTP (what any client would see)."""

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.fake_llm import FakeLLM, FakeLLMRemote, count_tokens, spawn_fake_llm
from tests.support.fake_llm.schemas import (
    answers_schema,
    document_schema,
    entity_schema,
    user_prompt,
)

NULLABLE_TEXT = {"type": ["string", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
REPORT = (
    "Annual report. ACME Corp is headquartered in Lyon, France. "
    "The company had 1,250 employees at year end and is listed on Euronext."
)


def completion_body(
    schema: dict[str, Any], document: str, *, question: str = "Code it.", **extra: Any
) -> dict[str, Any]:
    return {
        "model": "fake-gpt",
        "messages": [
            {"role": "system", "content": "You code documents for researchers."},
            {"role": "user", "content": user_prompt(document, question)},
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "coding", "schema": schema, "strict": True},
        },
        **extra,
    }


_http = httpx.Client()  # one pool for the module: a new client per request costs ~20 ms


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    _http.close()


def chat(fake: FakeLLM, body: dict[str, Any], timeout: float = 5.0) -> httpx.Response:
    return _http.post(f"{fake.base_url}/chat/completions", json=body, timeout=timeout)


def answer(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = json.loads(response.json()["choices"][0]["message"]["content"])
    return data


def test_models_endpoint_lists_the_configured_model(fake_llm: FakeLLM) -> None:
    fake_llm.configure(model="fake-large")

    listing = _http.get(f"{fake_llm.base_url}/models").json()

    assert [model["id"] for model in listing["data"]] == ["fake-large"]


def test_planted_facts_answer_with_value_and_verbatim_quote(fake_llm: FakeLLM) -> None:
    fake_llm.add_fact("city", r"headquartered in (?P<value>\w+)", confidence=0.95)
    fake_llm.add_fact("employees", r"(?P<value>[\d,]+) employees")
    fake_llm.add_fact("listed", r"listed on (Euronext|NYSE)", value=True)
    schema = document_schema(
        {
            "city": NULLABLE_TEXT,
            "employees": NULLABLE_NUMBER,
            "listed": {"type": ["boolean", "null"]},
            "ceo": NULLABLE_TEXT,
        }
    )

    data = answer(chat(fake_llm, completion_body(schema, REPORT)))

    assert data["city"]["value"] == "Lyon"
    assert data["city"]["quote"] == "headquartered in Lyon"
    assert data["city"]["confidence"] == 0.95
    assert data["employees"]["value"] == 1250
    assert data["employees"]["quote"] in REPORT
    assert data["listed"] == {
        "value": True,
        "confidence": 0.9,
        "quote": "listed on Euronext",
        "reasoning": data["listed"]["reasoning"],
    }
    assert data["ceo"]["value"] is None and data["ceo"]["quote"] is None
    assert data["ceo"]["confidence"] < 0.5


def test_a_list_of_answers_has_one_per_variable_and_one_per_distinct_value(
    fake_llm: FakeLLM,
) -> None:
    document = "Offices in Lyon and in Paris; the head office is in Lyon. 1,250 employees."
    fake_llm.add_fact("office", r"in (?P<value>Lyon|Paris)")
    fake_llm.add_fact("employees", r"(?P<value>[\d,]+) employees")
    schema = answers_schema(["office", "employees", "ceo"], {"type": ["string", "number", "null"]})

    data = answer(chat(fake_llm, completion_body(schema, document)))

    found = [(a["variable"], a["value"], a["quote"]) for a in data["answers"]]
    assert found == [
        ("office", "Lyon", "in Lyon"),
        ("office", "Paris", "in Paris"),
        ("employees", "1,250", "1,250 employees"),
        ("ceo", None, None),
    ]
    assert list(data["answers"][0]) == ["variable", "value", "confidence", "quote", "reasoning"]


def test_values_take_the_type_the_schema_asks_for(fake_llm: FakeLLM) -> None:
    document = "Topics: Health. Topics: Education. Budget: 3.5 million. Status: ACTIVE."
    fake_llm.add_fact("topics", r"Topics: (?P<value>\w+)")
    fake_llm.add_fact("budget", r"Budget: (?P<value>[\d.]+) million")
    fake_llm.add_fact("budget_int", r"Budget: (?P<value>[\d.]+) million")
    fake_llm.add_fact("status", r"Status: (?P<value>\w+)")
    fake_llm.add_fact("budget_text", r"Budget: (?P<value>[\d.]+)")
    schema = document_schema(
        {
            "topics": {"type": "array", "items": {"type": "string"}},
            "budget": {"type": "number"},
            "budget_int": {"type": "integer"},
            "status": {"type": ["string", "null"], "enum": ["active", "closed", None]},
            "budget_text": {"type": "string"},
            "missing": {"type": "string"},
        }
    )

    data = answer(chat(fake_llm, completion_body(schema, document)))

    assert data["topics"]["value"] == ["Health", "Education"]
    assert data["topics"]["quote"] == "Topics: Health"
    assert data["budget"]["value"] == 3.5
    assert data["budget_int"]["value"] == 4
    assert data["status"]["value"] == "active"
    assert data["budget_text"]["value"] == "3.5"
    assert data["missing"]["value"] == ""  # not nullable: an empty string, never null


def test_conditional_fact_is_wrong_until_the_prompt_carries_the_clarification(
    fake_llm: FakeLLM,
) -> None:
    # The clarification phrase in the *document* must not count: only the prompt around it.
    document = REPORT + " Note: count only full-time staff."
    fake_llm.add_fact(
        "employees",
        r"(?P<value>[\d,]+) employees",
        when_prompt_contains="count only full-time staff",
        otherwise_value=9999,
    )
    schema = document_schema({"employees": NULLABLE_NUMBER})

    before = answer(chat(fake_llm, completion_body(schema, document)))
    refined = completion_body(
        schema, document, question="Employees: count only FULL-TIME   staff. Code it."
    )
    after = answer(chat(fake_llm, refined))

    assert before["employees"]["value"] == 9999
    assert before["employees"]["quote"] == "1,250 employees"
    assert after["employees"]["value"] == 1250


def test_entity_mode_gives_one_record_per_segment(fake_llm: FakeLLM) -> None:
    document = (
        "Preamble without any patient.\n"
        "Patient: Ann, age 34, smoker.\n"
        "Patient: Bob, age 51.\n"
        "Patient: Cy, age 7, smoker."
    )
    fake_llm.set_entity_pattern(r"^Patient:", flags=re.M)
    fake_llm.add_fact("name", r"Patient: (?P<value>\w+)")
    fake_llm.add_fact("age", r"age (?P<value>\d+)")
    fake_llm.add_fact("smoker", r"smoker", value=True, otherwise_value=None)
    schema = entity_schema(
        {"name": NULLABLE_TEXT, "age": NULLABLE_NUMBER, "smoker": {"type": ["boolean", "null"]}}
    )

    data = answer(chat(fake_llm, completion_body(schema, document)))

    rows = [(e["name"]["value"], e["age"]["value"], e["smoker"]["value"]) for e in data["entities"]]
    assert rows == [("Ann", 34, True), ("Bob", 51, None), ("Cy", 7, True)]
    assert data["entities"][1]["age"]["quote"] == "age 51"


def test_function_calling_and_json_mode_requests_get_the_same_answer(fake_llm: FakeLLM) -> None:
    fake_llm.add_fact("city", r"headquartered in (?P<value>\w+)")
    schema = document_schema({"city": NULLABLE_TEXT})
    base = completion_body(schema, REPORT)
    del base["response_format"]
    tools = {
        **base,
        "tools": [{"type": "function", "function": {"name": "coding", "parameters": schema}}],
        "tool_choice": {"type": "function", "function": {"name": "coding"}},
    }
    json_mode = {**base, "response_format": {"type": "json_object"}}
    json_mode["messages"] = [
        base["messages"][0],
        {
            "role": "user",
            "content": base["messages"][1]["content"] + "\nJSON schema:\n" + json.dumps(schema),
        },
    ]

    tool_reply = chat(fake_llm, tools).json()["choices"][0]["message"]
    json_reply = answer(chat(fake_llm, json_mode))

    arguments = json.loads(tool_reply["tool_calls"][0]["function"]["arguments"])
    assert tool_reply["content"] is None
    assert arguments["city"]["value"] == "Lyon"
    assert json_reply["city"]["value"] == "Lyon"
    assert [r.method for r in fake_llm.stats.records] == ["function_calling", "json_mode"]


def test_usage_reports_tokens_and_cached_prefix(fake_llm: FakeLLM) -> None:
    long_document = "The committee met and discussed the budget in detail. " * 120  # ~1,650 tok
    schema = document_schema({"city": NULLABLE_TEXT})

    short = chat(fake_llm, completion_body(schema, REPORT)).json()["usage"]
    first = chat(fake_llm, completion_body(schema, long_document, question="Q1")).json()["usage"]
    second = chat(fake_llm, completion_body(schema, long_document, question="Q2")).json()["usage"]

    assert short["total_tokens"] == short["prompt_tokens"] + short["completion_tokens"]
    assert short["prompt_tokens_details"]["cached_tokens"] == 0
    assert first["prompt_tokens_details"]["cached_tokens"] == 0  # nothing seen before
    cached = second["prompt_tokens_details"]["cached_tokens"]
    assert cached >= 1024 and cached % 128 == 0
    assert cached <= second["prompt_tokens"]
    assert first["prompt_tokens"] > count_tokens(long_document)
    assert fake_llm.stats.cached_tokens == cached


def test_max_tokens_cuts_the_output_with_finish_reason_length(fake_llm: FakeLLM) -> None:
    fake_llm.add_fact("city", r"headquartered in (?P<value>\w+)")
    schema = document_schema({"city": NULLABLE_TEXT, "country": NULLABLE_TEXT})

    reply = chat(fake_llm, completion_body(schema, REPORT, max_completion_tokens=10)).json()

    choice = reply["choices"][0]
    assert choice["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == 10
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice["message"]["content"])


def test_rate_limit_rejects_and_counts_requests_beyond_the_window(fake_llm: FakeLLM) -> None:
    fake_llm.configure(rpm=3, window_seconds=1.0)
    schema = document_schema({"city": NULLABLE_TEXT})

    statuses = [chat(fake_llm, completion_body(schema, REPORT)) for _ in range(5)]
    rejected = statuses[-1]
    time.sleep(1.05)
    later = chat(fake_llm, completion_body(schema, REPORT))

    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
    assert float(rejected.headers["retry-after-ms"]) <= 1000
    assert int(rejected.headers["retry-after"]) >= 1
    assert rejected.json()["error"]["code"] == "rate_limit_exceeded"
    assert later.status_code == 200
    stats = fake_llm.stats
    assert (stats.total_requests, stats.accepted_requests, stats.rejected_rate_limit) == (6, 4, 2)
    assert stats.max_requests_in_window(1.0) == 3


def test_token_limit_counts_prompt_and_completion(fake_llm: FakeLLM) -> None:
    schema = document_schema({"city": NULLABLE_TEXT})
    probe = chat(fake_llm, completion_body(schema, REPORT)).json()["usage"]["total_tokens"]
    fake_llm.reset()  # empties the rate window too, unlike reset_stats()
    fake_llm.configure(tpm=probe * 2, window_seconds=30)

    statuses = [chat(fake_llm, completion_body(schema, REPORT)).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert fake_llm.stats.max_tokens_in_window(30) == probe * 2


def test_injected_faults_hit_the_next_requests_in_order(fake_llm: FakeLLM) -> None:
    fake_llm.add_fact("city", r"headquartered in (?P<value>\w+)")
    schema = document_schema({"city": NULLABLE_TEXT})
    body = completion_body(schema, REPORT)
    fake_llm.inject("429", retry_after=2.5)
    fake_llm.inject("500", times=2)
    fake_llm.inject("400")
    fake_llm.inject("malformed")
    fake_llm.inject("bad_quote")

    replies = [chat(fake_llm, body) for _ in range(7)]

    assert [r.status_code for r in replies] == [429, 500, 500, 400, 200, 200, 200]
    assert replies[0].headers["retry-after-ms"] == "2500"
    assert replies[0].headers["retry-after"] == "3"
    with pytest.raises(json.JSONDecodeError):
        json.loads(replies[4].json()["choices"][0]["message"]["content"])
    invented = answer(replies[5])["city"]["quote"]
    assert invented and invented not in REPORT
    assert answer(replies[6])["city"]["quote"] == "headquartered in Lyon"
    stats = fake_llm.stats
    assert stats.faults == {"429": 1, "500": 2, "400": 1, "malformed": 1, "bad_quote": 1}
    assert stats.rejected_rate_limit == 0  # injected 429s are faults, not the limiter's


def test_json_schema_rejection_waits_for_a_json_schema_request(fake_llm: FakeLLM) -> None:
    schema = document_schema({"city": NULLABLE_TEXT})
    json_mode = {**completion_body(schema, REPORT), "response_format": {"type": "json_object"}}
    fake_llm.inject("reject_json_schema")

    untouched = chat(fake_llm, json_mode)
    rejected = chat(fake_llm, completion_body(schema, REPORT))
    accepted = chat(fake_llm, completion_body(schema, REPORT))

    assert (untouched.status_code, rejected.status_code, accepted.status_code) == (200, 400, 200)
    assert rejected.json()["error"]["param"] == "response_format"


def test_timeout_fault_hangs_until_the_client_gives_up(fake_llm: FakeLLM) -> None:
    schema = document_schema({"city": NULLABLE_TEXT})
    fake_llm.inject("timeout")
    started = time.monotonic()

    with pytest.raises(httpx.ReadTimeout):
        chat(fake_llm, completion_body(schema, REPORT), timeout=0.3)
    after = chat(fake_llm, completion_body(schema, REPORT))

    assert 0.3 <= time.monotonic() - started < 3
    assert after.status_code == 200
    assert [r.status for r in fake_llm.stats.records] == [0, 200]


def test_latency_is_added_before_answering(fake_llm: FakeLLM) -> None:
    fake_llm.configure(latency_ms=150, latency_jitter_ms=50)
    fake_llm.inject("latency", latency_ms=200)
    body = completion_body(document_schema({"city": NULLABLE_TEXT}), REPORT)

    durations = []
    for _ in range(2):
        started = time.monotonic()
        assert chat(fake_llm, body).status_code == 200
        durations.append(time.monotonic() - started)

    assert 0.35 <= durations[0] < 1.5
    assert 0.15 <= durations[1] < 1.0


def test_fault_rates_are_random_but_reproducible(fake_llm: FakeLLM) -> None:
    body = completion_body(document_schema({"city": NULLABLE_TEXT}), REPORT)

    def run() -> list[int]:
        fake_llm.set_fault_rates({"500": 0.3, "429": 0.2}, seed=42)
        return [chat(fake_llm, body).status_code for _ in range(40)]

    first, second = run(), run()

    assert first == second
    assert set(first) == {200, 429, 500}
    assert 5 <= first.count(500) <= 20 and 2 <= first.count(429) <= 15


def test_reset_forgets_facts_faults_limits_and_stats(fake_llm: FakeLLM) -> None:
    fake_llm.add_fact("city", r"headquartered in (?P<value>\w+)")
    fake_llm.configure(rpm=1, window_seconds=60)
    fake_llm.inject("500", times=5)
    chat(fake_llm, completion_body(document_schema({"city": NULLABLE_TEXT}), REPORT))

    fake_llm.reset()
    data = answer(chat(fake_llm, completion_body(document_schema({"city": NULLABLE_TEXT}), REPORT)))

    assert data["city"]["value"] is None
    assert fake_llm.stats.total_requests == 1


def test_reset_returns_to_the_configuration_the_fake_was_built_with() -> None:
    fake = FakeLLM(model="base-model", rpm=2)
    fake.configure(model="other", rpm=0, latency_ms=100)

    fake.reset()

    config = fake.state.config
    assert (config.model, config.rpm, config.latency_ms) == ("base-model", 2, 0.0)


def test_admin_routes_control_the_server_over_http(fake_llm: FakeLLM) -> None:
    remote = FakeLLMRemote(fake_llm.base_url)
    try:
        remote.add_fact("city", re.compile(r"HEADQUARTERED IN (?P<value>\w+)", re.I))
        remote.add_fact("size", r"(?P<value>[\d,]+) employees", value="large")
        remote.inject("500")
        remote.configure(rpm=100, window_seconds=5)
        schema = document_schema({"city": NULLABLE_TEXT, "size": NULLABLE_TEXT})
        body = completion_body(schema, REPORT)

        failed, succeeded = chat(fake_llm, body), chat(fake_llm, body)
        stats = remote.stats

        assert (failed.status_code, succeeded.status_code) == (500, 200)
        data = answer(succeeded)
        assert (data["city"]["value"], data["size"]["value"]) == ("Lyon", "large")
        assert stats.total_requests == 2 and stats.faults == {"500": 1}
        assert remote.last_request is not None
        admin = fake_llm.base_url.removesuffix("/v1") + "/_admin"
        bad = _http.post(f"{admin}/faults", json={"fault": "nope"})
        assert bad.status_code == 400
        remote.reset()
        assert remote.stats.total_requests == 0
    finally:
        remote.stop()


def test_command_line_server_runs_in_a_subprocess(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(
        json.dumps({"facts": [{"variable": "city", "pattern": r"headquartered in (?P<value>\w+)"}]})
    )
    with spawn_fake_llm("--rpm", "1", "--window-seconds", "30", "--facts", str(facts)) as remote:
        body = completion_body(document_schema({"city": NULLABLE_TEXT}), REPORT)
        url = f"{remote.base_url}/chat/completions"

        first, second = _http.post(url, json=body), _http.post(url, json=body)

        assert answer(first)["city"]["value"] == "Lyon"
        assert second.status_code == 429
        assert remote.stats.rejected_rate_limit == 1
        process = remote.process
    assert process is not None and process.poll() is not None
