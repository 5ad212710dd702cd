"""The in-process job runner: a claimer feeding an asyncio.Queue, a fixed pool of workers, a
heartbeat that keeps leases alive and notices cancelled items, and a graceful stop."""

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid

from coderai.core import metrics
from coderai.core.config import Settings
from coderai.core.database import Database
from coderai.core.logging import log_context
from coderai.jobs.runner import claims
from coderai.jobs.runner.claims import ClaimedItem
from coderai.jobs.runner.items import ExtractFn, JobInputsCache, process_item

logger = logging.getLogger(__name__)

# How often an idle claimer looks for jobs left open with no item to run (see
# `claims.finish_drained_jobs`).
DRAINED_SWEEP_SECONDS = 5.0


class JobRunner:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        extract: ExtractFn,
        *,
        concurrency: int | None = None,
        owner: str | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.extract = extract
        self.concurrency = concurrency or settings.runner_concurrency
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._queue: asyncio.Queue[ClaimedItem] = asyncio.Queue()
        self._in_flight: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._jobs_of: dict[uuid.UUID, uuid.UUID] = {}  # in-flight item -> its job
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._job_inputs = JobInputsCache()
        self._next_sweep = 0.0
        # Claim in batches: a claim transaction per finished item costs about as much as the
        # item's own store, and leaving a few of many slots free for a moment costs nothing.
        self._claim_batch = max(1, self.concurrency // 4)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._claim_loop(), name="runner-claimer"),
            asyncio.create_task(self._heartbeat_loop(), name="runner-heartbeat"),
            *(
                asyncio.create_task(self._worker(i), name=f"runner-worker-{i}")
                for i in range(self.concurrency)
            ),
        ]
        metrics.watch_runner(self)
        logger.info("job runner %s started with %d workers", self.owner, self.concurrency)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming, let in-flight items finish for up to `grace_seconds`, then cancel
        them and hand their items back so another runner can take them at once."""
        self._stopping.set()
        self._wake.set()
        metrics.forget_runner(self)
        pending = self._drain_queue()
        in_flight = list(self._in_flight.values())
        if in_flight:
            await asyncio.wait(in_flight, timeout=grace_seconds)
        unfinished = [item_id for item_id, task in self._in_flight.items() if not task.done()]
        for task in self._tasks + list(self._in_flight.values()):
            task.cancel()
        await asyncio.gather(*self._tasks, *self._in_flight.values(), return_exceptions=True)
        async with self.db.transaction() as session:
            released = await claims.release_items(
                session, owner=self.owner, item_ids=pending + unfinished
            )
        logger.info("job runner %s stopped; %d items handed back", self.owner, released)

    def notify(self) -> None:
        """New work exists (a job was created or resumed): claim now, not at the next poll."""
        self._wake.set()

    def cancel_job(self, job_id: uuid.UUID) -> None:
        """Stop this process's in-flight items of a cancelled job now, not at the next heartbeat."""
        self.cancel_items({item for item, job in self._jobs_of.items() if job == job_id})

    def cancel_items(self, item_ids: set[uuid.UUID]) -> None:
        for item_id in item_ids:
            task = self._in_flight.get(item_id)
            if task is not None:
                task.cancel()

    @property
    def alive(self) -> bool:
        """Started, not stopping, and none of its loops has ended (a crashed loop ends)."""
        return (
            bool(self._tasks)
            and not self._stopping.is_set()
            and not any(task.done() for task in self._tasks)
        )

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    @property
    def queued(self) -> int:
        """Claimed items waiting for a free worker."""
        return self._queue.qsize()

    # --- loops -----------------------------------------------------------------------------

    def _drain_queue(self) -> list[uuid.UUID]:
        drained = []
        while not self._queue.empty():
            drained.append(self._queue.get_nowait().id)
        return drained

    async def _claim_loop(self) -> None:
        while not self._stopping.is_set():
            room = self.concurrency - len(self._in_flight) - self._queue.qsize()
            idle = not self._in_flight and self._queue.empty()
            claimed: list[ClaimedItem] = []
            if room >= self._claim_batch or (room > 0 and idle):
                try:
                    async with self.db.transaction() as session:
                        claimed = await claims.claim_items(
                            session,
                            owner=self.owner,
                            limit=room,
                            lease_seconds=self.settings.runner_lease_seconds,
                        )
                except Exception:
                    logger.exception("claiming job items failed; retrying")
            if not claimed and time.monotonic() >= self._next_sweep:
                self._next_sweep = time.monotonic() + DRAINED_SWEEP_SECONDS
                await self._finish_drained_jobs()
            for item in claimed:
                # Our own lease lapsed (a late heartbeat) and we took the item back: it is
                # still running here, and the claim has just renewed its lease.
                running = self._in_flight.get(item.id)
                if running is None or running.done():
                    self._queue.put_nowait(item)
            if claimed and len(claimed) == room:
                continue  # more work is likely waiting
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.runner_poll_seconds)

    async def _finish_drained_jobs(self) -> None:
        try:
            async with self.db.transaction() as session:
                await claims.finish_drained_jobs(session)
        except Exception:
            logger.exception("closing drained jobs failed")

    async def _worker(self, index: int) -> None:
        while not self._stopping.is_set():
            item = await self._queue.get()
            # The task copies the context as it is created: its log lines name the job.
            with log_context(job_id=item.job_id):
                task = asyncio.create_task(
                    process_item(
                        self.db, self.settings, self.extract, item, self.owner, self._job_inputs
                    ),
                    name=f"item-{item.id}",
                )
            self._in_flight[item.id] = task
            self._jobs_of[item.id] = item.job_id
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    raise
                # The item was cancelled (its job was cancelled): carry on with the next one.
            except Exception:
                logger.exception("item %s crashed", item.id)
            finally:
                if task.done() and self._in_flight.get(item.id) is task:
                    self._in_flight.pop(item.id, None)
                    self._jobs_of.pop(item.id, None)
                self._wake.set()

    async def _heartbeat_loop(self) -> None:
        interval = max(self.settings.runner_lease_seconds / 3, 0.2)
        while not self._stopping.is_set():
            await asyncio.sleep(interval)
            ids = list(self._in_flight)
            if not ids:
                continue
            try:
                async with self.db.transaction() as session:
                    ours = await claims.extend_leases(
                        session,
                        owner=self.owner,
                        item_ids=ids,
                        lease_seconds=self.settings.runner_lease_seconds,
                    )
            except Exception:
                logger.exception("extending leases failed")
                continue
            # Items no longer ours were cancelled (or our lease lapsed and was taken): stop them.
            self.cancel_items(set(ids) - ours)
