"""Fixtures for the LLM tests (until the root conftest registers the fake LLM plugin)."""

from tests.support.fake_llm.fixtures import *  # noqa: F403
