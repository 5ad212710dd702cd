"""One limiter for every LLM call in the process: requests and tokens per sliding window, plus
a cap on calls in flight.

Each request reserves its place *before* it is sent and holds it for a window after the provider
could have counted it. We cannot see when the provider stamps a request, only that it happens
after our reservation and before we read the response; so, by default, a reservation is held
until `response received + window + safety margin` (forever while in flight). Then any `limit`
requests the provider counts within one of its windows were all still held on our side when
the next one was reserved: the provider never sees more than the limit, whatever the network
latency, our own scheduling delays or the offset between the two clocks. The small safety
margin covers servers whose window edges are inclusive or whose clocks run slightly fast.

The price is throughput: a slot is busy for the window plus the call's duration. With
`assume_arrival_within_seconds`, a slow call's slot is instead freed a window after
`reserved + that bound`, which is only safe while requests really reach the provider within the
bound (a starved event loop can break it; the client then meets a 429 and backs off).

A window admits its whole quota at once. Providers may enforce a per-minute limit over shorter
periods too (OpenAI: "60,000 requests/minute may be enforced as 1,000 requests/second"), so
with `burst_requests` requests also start no faster than the limit's rate, at most that many
back to back (a GCRA pacer in front of the window).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass


@dataclass(eq=False)
class Reservation:
    """One request's claim on the window: its token estimate and how long it is held."""

    tokens: int
    reserved_at: float
    hold_until: float
    expired: bool = False


class RequestTooLargeError(ValueError):
    """A single request needs more tokens than the whole window allows."""


def default_safety_margin(window_seconds: float) -> float:
    """0.5% of the window, at least 10 ms: 0.3 s for a one-minute window."""
    return max(0.01, 0.005 * window_seconds)


class RateLimiter:
    """Sliding-window log of reservations (requests and tokens) plus a concurrency semaphore.

    `None` or 0 for a limit means unlimited. Share one instance per process and event loop.
    """

    def __init__(
        self,
        *,
        requests_per_window: int | None = None,
        tokens_per_window: int | None = None,
        window_seconds: float = 60.0,
        max_concurrency: int | None = None,
        safety_margin_seconds: float | None = None,
        assume_arrival_within_seconds: float | None = None,
        burst_requests: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self.requests_per_window = requests_per_window or None
        self.tokens_per_window = tokens_per_window or None
        self.window_seconds = window_seconds
        self.max_concurrency = max_concurrency or None
        self.safety_margin_seconds = (
            default_safety_margin(window_seconds)
            if safety_margin_seconds is None
            else safety_margin_seconds
        )
        self.assume_arrival_within_seconds = assume_arrival_within_seconds
        self.burst_requests = burst_requests or None
        self._clock = clock
        # (hold_until, sequence, reservation); entries go stale when a reservation's hold shrinks.
        self._heap: list[tuple[float, int, Reservation]] = []
        self._sequence = itertools.count()
        self._live_requests = 0
        self._live_tokens = 0
        self._paused_until = 0.0
        self._paced_until = 0.0  # when the pacer's bucket is empty again (GCRA arrival time)
        self._turn = asyncio.Lock()  # FIFO: the head waiter alone watches the window
        self._changed = asyncio.Event()
        self._semaphore = asyncio.Semaphore(max_concurrency) if max_concurrency else None

    @asynccontextmanager
    async def slot(self, tokens: int) -> AsyncIterator[Reservation]:
        """Wait for a concurrency slot and room in the window; hold both for one request."""
        if self.tokens_per_window and tokens > self.tokens_per_window:
            raise RequestTooLargeError(
                f"a request estimated at {tokens} tokens can never fit the "
                f"{self.tokens_per_window}-token window"
            )
        # Concurrency first, window second: time spent queueing for the semaphore must not
        # count against a reservation.
        if self._semaphore is not None:
            await self._semaphore.acquire()
        try:
            reservation = await self._reserve(tokens)
            try:
                yield reservation
            finally:
                self._finish(reservation)
        finally:
            if self._semaphore is not None:
                self._semaphore.release()

    def settle(self, reservation: Reservation, tokens_used: int) -> None:
        """Replace a reservation's estimate by what the provider reported using."""
        if not reservation.expired:
            self._live_tokens += tokens_used - reservation.tokens
            self._changed.set()
        reservation.tokens = tokens_used

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (the provider said so with a 429 and Retry-After)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def usage(self) -> tuple[int, int]:
        """(requests, tokens) currently held in the window."""
        self._prune(self._clock())
        return self._live_requests, self._live_tokens

    async def _reserve(self, tokens: int) -> Reservation:
        async with self._turn:
            while True:
                now = self._clock()
                self._prune(now)
                wait = self._wait_seconds(now, tokens)
                if wait <= 0:
                    break
                self._changed.clear()
                with suppress(TimeoutError):
                    # No timeout while every slot is in flight: a finishing call wakes us.
                    timeout = None if math.isinf(wait) else wait
                    await asyncio.wait_for(self._changed.wait(), timeout=timeout)
            hold = math.inf
            if self.assume_arrival_within_seconds is not None:
                hold = (
                    now
                    + self.assume_arrival_within_seconds
                    + self.window_seconds
                    + self.safety_margin_seconds
                )
            interval = self._pace_interval()
            if interval:
                self._paced_until = max(self._paced_until, now) + interval
            reservation = Reservation(tokens=tokens, reserved_at=now, hold_until=hold)
            heapq.heappush(self._heap, (hold, next(self._sequence), reservation))
            self._live_requests += 1
            self._live_tokens += tokens
            return reservation

    def _finish(self, reservation: Reservation) -> None:
        # The provider counted the request (if at all) before we got here.
        hold = self._clock() + self.window_seconds + self.safety_margin_seconds
        if not reservation.expired and hold < reservation.hold_until:
            reservation.hold_until = hold
            heapq.heappush(self._heap, (hold, next(self._sequence), reservation))
            self._changed.set()

    def _pace_interval(self) -> float:
        """Seconds between request starts at the limit's rate (0: no pacing)."""
        if self.burst_requests is None or self.requests_per_window is None:
            return 0.0
        return self.window_seconds / self.requests_per_window

    def _wait_seconds(self, now: float, tokens: int) -> float:
        wait = self._paused_until - now
        interval = self._pace_interval()
        if interval and self.burst_requests is not None:
            wait = max(wait, self._paced_until - (self.burst_requests - 1) * interval - now)
        over_requests = (
            self.requests_per_window is not None and self._live_requests >= self.requests_per_window
        )
        over_tokens = (
            self.tokens_per_window is not None
            and self._live_tokens + tokens > self.tokens_per_window
        )
        if (over_requests or over_tokens) and self._heap:
            # Re-check when the earliest reservation ends (or sooner, if one is settled).
            wait = max(wait, self._heap[0][0] - now)
        return wait

    def _prune(self, now: float) -> None:
        while self._heap:
            hold, _, reservation = self._heap[0]
            stale = reservation.expired or hold != reservation.hold_until
            if not stale and hold > now:
                return
            heapq.heappop(self._heap)
            if not stale:
                reservation.expired = True
                self._live_requests -= 1
                self._live_tokens -= reservation.tokens
