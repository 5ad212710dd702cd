"""An OpenAI-compatible fake LLM for tests: planted facts, realistic usage, faults on demand.

The extraction service's conventions it honours: the document sits in the user message between
the lines `<document>` and `</document>`; the variables asked for are the properties of the
JSON schema sent as `response_format` (json_schema), as the one tool's parameters (function
calling), or written after a line `JSON schema:` in the prompt (JSON mode).
"""

from tests.support.fake_llm.facts import CHARS_PER_TOKEN, count_tokens
from tests.support.fake_llm.remote import FakeLLMRemote, spawn_fake_llm
from tests.support.fake_llm.server import FakeLLM, create_app
from tests.support.fake_llm.state import FakeConfig, Fault
from tests.support.fake_llm.stats import FakeStats, RequestRecord

__all__ = [
    "CHARS_PER_TOKEN",
    "FakeConfig",
    "FakeLLM",
    "FakeLLMRemote",
    "FakeStats",
    "Fault",
    "RequestRecord",
    "count_tokens",
    "create_app",
    "spawn_fake_llm",
]
