"""One limiter for every LLM call in the process: requests and tokens per sliding window, plus
a cap on calls in flight.

Each request reserves its place *before* it is sent and keeps it for a window after the
provider could have seen it. The provider's clock stamps the request somewhere between our send
and the response arriving, so a reservation is held until

    window + min(response received, reserved + safety margin)

The first term is always safe (the request cannot arrive after its response); the second assumes
the request reaches the provider within `safety_margin` of being reserved, which keeps slow
generations from costing a whole extra window. The margin also absorbs clock skew between us and
the provider, since only the two clocks' *differences* matter within one window.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
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
    """2% of the window, at least 250 ms: 1.2 s for a one-minute window.

    The floor covers our own event loop: when many calls are released at once, the last one
    leaves a busy process (building payloads, parsing replies) ~100 ms after its reservation.
    """
    return max(0.25, 0.02 * window_seconds)


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
        self._clock = clock
        # (hold_until, sequence, reservation); entries go stale when a reservation's hold shrinks.
        self._heap: list[tuple[float, int, Reservation]] = []
        self._sequence = itertools.count()
        self._live_requests = 0
        self._live_tokens = 0
        self._paused_until = 0.0
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
        # Concurrency first, window second: a reservation must be followed at once by the send,
        # or the safety margin would be eaten by time spent queueing for the semaphore.
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
            self._wake()
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
                    await asyncio.wait_for(self._changed.wait(), timeout=wait)
            hold = now + self.safety_margin_seconds + self.window_seconds
            reservation = Reservation(tokens=tokens, reserved_at=now, hold_until=hold)
            heapq.heappush(self._heap, (hold, next(self._sequence), reservation))
            self._live_requests += 1
            self._live_tokens += tokens
            return reservation

    def _finish(self, reservation: Reservation) -> None:
        # The provider saw the request before we saw its answer: the hold can end a window
        # after now, if that is sooner than the margin-based guess.
        hold = self._clock() + self.window_seconds
        if not reservation.expired and hold < reservation.hold_until:
            reservation.hold_until = hold
            heapq.heappush(self._heap, (hold, next(self._sequence), reservation))
            self._wake()

    def _wait_seconds(self, now: float, tokens: int) -> float:
        wait = self._paused_until - now
        over_requests = (
            self.requests_per_window is not None
            and self._live_requests >= self.requests_per_window
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

    def _wake(self) -> None:
        self._changed.set()
