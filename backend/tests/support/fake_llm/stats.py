"""What the fake LLM saw: counters and one record per chat-completion request."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class RequestRecord:
    """One chat-completion request as the server saw it.

    `t` is its arrival (`time.monotonic()`), `status` the HTTP status answered (0 when it hung
    until the client left), `counted` whether it passed the rate limiter and so counts toward
    the window, `charged_tokens` what it cost against the token limit, `model` the model the
    request asked for.
    """

    t: float
    status: int
    method: str | None
    fault: str | None
    counted: bool
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    charged_tokens: int = 0
    model: str | None = None  # the model the request named


@dataclass
class FakeStats:
    """A snapshot of what the server has seen since the last reset."""

    total_requests: int = 0
    accepted_requests: int = 0
    rejected_rate_limit: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    records: list[RequestRecord] = field(default_factory=list)

    @property
    def request_times(self) -> list[float]:
        """Arrival times of every chat-completion request."""
        return [record.t for record in self.records]

    @property
    def accepted_times(self) -> list[float]:
        """Arrival times of the requests that passed the rate limiter."""
        return [record.t for record in self.records if record.counted]

    def max_requests_in_window(self, window_seconds: float) -> int:
        """Most accepted requests inside any window `(t - window, t]`."""
        return _max_in_window([(r.t, 1) for r in self.records if r.counted], window_seconds)

    def max_tokens_in_window(self, window_seconds: float) -> int:
        """Most tokens charged to accepted requests inside any window `(t - window, t]`."""
        points = [(r.t, r.charged_tokens) for r in self.records if r.counted]
        return _max_in_window(points, window_seconds)

    def count_fault(self, fault: str | None) -> None:
        if fault is not None:
            self.faults[fault] = self.faults.get(fault, 0) + 1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FakeStats:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["records"] = [RequestRecord(**record) for record in data.get("records", [])]
        return cls(**values)


def _max_in_window(points: list[tuple[float, int]], window: float) -> int:
    points.sort()
    best = total = start = 0
    for t, weight in points:
        total += weight
        while points[start][0] <= t - window:
            total -= points[start][1]
            start += 1
        best = max(best, total)
    return best
