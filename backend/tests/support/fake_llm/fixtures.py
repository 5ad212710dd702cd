"""Pytest fixtures for the fake LLM (register with `pytest_plugins` or star-import).

`fake_llm_server` runs one server for the whole session; `fake_llm` hands it to a test freshly
reset (no facts, faults, limits or stats).
"""

from collections.abc import Iterator

import pytest

from tests.support.fake_llm.server import FakeLLM

__all__ = ["fake_llm", "fake_llm_server"]


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(fake_llm_server: FakeLLM) -> Iterator[FakeLLM]:
    fake_llm_server.reset()
    yield fake_llm_server
    fake_llm_server.reset()
