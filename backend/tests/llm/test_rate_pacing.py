"""Pacing: with `burst_requests`, requests start no faster than the limit's rate once a burst
is spent, instead of a whole window's quota at once (providers may quantize per-minute limits
to seconds and answer such bursts with 429s)."""

import time

from pydantic import SecretStr

from coderai.core.config import Settings
from coderai.llm import LLMClient
from coderai.llm.rate_limiter import RateLimiter
from tests.support.fake_llm import FakeLLM


async def start_times(limiter: RateLimiter, requests: int) -> list[float]:
    started = time.monotonic()
    times = []
    for _ in range(requests):
        async with limiter.slot(1):
            times.append(time.monotonic() - started)
    return times


async def test_requests_start_at_the_limits_pace_after_a_burst() -> None:
    # 200 per second: one request every 5 ms once the burst of 4 is spent.
    paced = RateLimiter(requests_per_window=200, window_seconds=1.0, burst_requests=4)

    times = await start_times(paced, 24)

    assert times[3] < 0.004  # the burst goes at once
    assert times[-1] >= 0.095  # then 20 more at 5 ms intervals
    assert times[-1] < 0.5


async def test_without_a_burst_setting_the_window_alone_decides() -> None:
    unpaced = RateLimiter(requests_per_window=200, window_seconds=1.0)

    times = await start_times(unpaced, 24)

    assert times[-1] < 0.05


def test_the_apps_client_paces_to_one_seconds_share_of_the_minute(fake_llm: FakeLLM) -> None:
    settings = Settings(
        _env_file=None,
        llm_base_url=fake_llm.base_url,
        llm_api_key=SecretStr("local"),
        llm_requests_per_minute=1200,
    )

    client = LLMClient.from_settings(settings)

    assert client.limiter.burst_requests == 20
    assert client.limiter.window_seconds == 60.0
