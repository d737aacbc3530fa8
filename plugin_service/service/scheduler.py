"""The scheduler: queues images per shape, forms batches, runs them, hands results back.

Lives on the event loop. Model compute goes to one worker thread (torch is never called on
the loop and never from two threads at once); PNG encoding goes to a small pool, so encoding
batch N overlaps computing batch N+1. Which images run together is decided by the pure
function batching.next_batch; this module only owns the timing, the threads and delivery.

Results come back through a JobStream per job: an async iterator of AssetResult that raises
ServiceError if the job fails (cancelled, deadline passed before compute, runner error).
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .batching import KeyQueue, next_batch
from .catalog import ModelCatalog
from .config import ServiceConfig
from .encode import encode_asset
from .jobs import AssetResult, Job, RetryLater, RunBatch, Runner, ServiceError, ShapeKey, WorkItem

log = logging.getLogger(__name__)

DROP_MESSAGES = {
    "CANCELLED": "the request was cancelled before it was computed",
    "DEADLINE_EXCEEDED": "the deadline passed while the request waited in the queue; allow more time "
                         "or ask for fewer or smaller assets",
}


class QueueFull(RetryLater):
    """RESOURCE_EXHAUSTED with a hint: about when enough of the queue will have drained for this
    request to fit."""

    def __init__(self, queued: int, limit: int, retry_after_ms: int) -> None:
        super().__init__("RESOURCE_EXHAUSTED",
                         f"the server queue is full ({queued} images waiting, limit {limit}); ask for fewer assets or",
                         retry_after_ms, "queue")


UNAVAILABLE_RETRY_MS = 1000     # warming up or shutting down: a restart takes seconds, not milliseconds
RETRY_MS_BOUNDS = (10, 60_000)  # never tell a client to hammer, never to give up for minutes
EMA_WEIGHT = 0.2                # how fast the per-image compute estimate follows the latest batch

# The UNAVAILABLE answers of a scheduler that is not (or no longer) taking work: this one and the
# Ray backend's (ray_backend.RayScheduler) give the same ones.
_UNAVAILABLE = {
    "warming": ("the server is still loading and warming its models (health turns SERVING when ready)", "warming"),
    "draining": ("the server is shutting down; use another instance, or this one once it is back", "draining"),
    "shut_down": ("the server shut down before this request finished", "draining"),
}


def unavailable(state: str) -> RetryLater:
    """RetryLater UNAVAILABLE for `state`: warming, draining (new work) or shut_down (work in flight)."""
    message, reason = _UNAVAILABLE[state]
    return RetryLater("UNAVAILABLE", message, UNAVAILABLE_RETRY_MS, reason)


class JobStream:
    """One job's results, in the order they finish (not necessarily index order)."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.remaining = job.count
        self.error: ServiceError | None = None
        self._events: asyncio.Queue[AssetResult | ServiceError] = asyncio.Queue()

    @property
    def finished(self) -> bool:
        return self.error is not None or self.remaining == 0

    def _deliver(self, result: AssetResult) -> None:
        if not self.finished:
            self.remaining -= 1
            self._events.put_nowait(result)

    def _fail(self, error: ServiceError) -> None:
        if not self.finished:
            self.error = error
            self.job.cancelled = True  # its other queued images are dropped, not computed
            self._events.put_nowait(error)

    async def __aiter__(self) -> AsyncIterator[AssetResult]:
        delivered = 0
        while delivered < self.job.count:
            event = await self._events.get()
            if isinstance(event, ServiceError):
                raise event
            delivered += 1
            yield event


@dataclass
class SchedulerStats:
    batches: int = 0
    images: int = 0
    largest_batch: int = 0
    dropped: int = 0
    ms_per_image: float | None = None  # moving average of compute time per image (retry hints)
    compute_s: float = 0.0             # total time inside runner.run: busy share = compute_s / wall time


class Scheduler:
    def __init__(self, runner: Runner, catalog: ModelCatalog, config: ServiceConfig,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`clock` (seconds, monotonic) decides batch timing and deadlines; tests pass a fake one.
        Job deadlines must be on the same clock (validation uses time.monotonic())."""
        self.clock = clock
        self.runner = runner
        self.catalog = catalog
        self.config = config
        self.stats = SchedulerStats()
        self.ready = False
        self._draining = False
        self._queues: dict[ShapeKey, KeyQueue] = {}
        self._queued = 0
        self._streams: dict[Job, JobStream] = {}
        self._wakeup = asyncio.Event()
        # Set while the loop waits with nothing computing or encoding: what tests (and a drain)
        # wait for instead of sleeping.
        self._quiet = asyncio.Event()
        self._waiting = False
        self._compute = ThreadPoolExecutor(1, thread_name_prefix="assetgen-compute")
        self._encode = ThreadPoolExecutor(config.encode_threads, thread_name_prefix="assetgen-encode")
        self._encoding: set[asyncio.Task] = set()
        self._loop_task: asyncio.Task | None = None

    async def start(self) -> None:
        """Load and warm the models in the compute thread, then start batching."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._compute, self.runner.load)
        await loop.run_in_executor(self._compute, self.runner.warm_up)
        self._loop_task = loop.create_task(self._run_forever(), name="assetgen-scheduler")
        self.ready = True

    def submit(self, job: Job) -> JobStream:
        if self._draining:
            raise unavailable("draining")
        if not self.ready:
            raise unavailable("warming")
        if self._queued + job.count > self.config.max_queued_images:
            raise QueueFull(self._queued, self.config.max_queued_images, self.retry_after_ms(job.count))
        stream = JobStream(job)
        self._streams[job] = stream
        now = self.clock()
        queue = self._queues.setdefault(job.key, KeyQueue())
        for index in range(job.count):
            queue.push(WorkItem(job, index, now))
        self._queued += job.count
        self._poke()
        return stream

    def retry_after_ms(self, count: int) -> int:
        """How long until `count` more images would fit: the excess drains at the measured compute
        rate (50 ms per image until a batch has been measured)."""
        excess = self._queued + count - self.config.max_queued_images
        per_image = self.stats.ms_per_image if self.stats.ms_per_image is not None else 50.0
        low, high = RETRY_MS_BOUNDS
        return int(min(high, max(low, math.ceil(excess * per_image))))

    def wake(self) -> None:
        """Re-plan now (tests call it after moving a fake clock; submit and cancel do it anyway)."""
        self._poke()

    def _poke(self) -> None:
        self._quiet.clear()
        self._wakeup.set()

    async def quiescent(self) -> None:
        """Return once the scheduler has acted on everything it was told (submits, cancels, a wake)
        and is waiting, with no batch computing and no asset encoding."""
        await self._quiet.wait()

    def _maybe_quiet(self) -> None:
        if self._waiting and not self._encoding and not self._wakeup.is_set():
            self._quiet.set()

    @property
    def queued_images(self) -> int:
        """Images waiting in the queues (not yet in a batch)."""
        return self._queued

    @property
    def open_jobs(self) -> int:
        """Jobs the scheduler still holds a result stream for: 0 when idle (else something leaked)."""
        return len(self._streams)

    def cancel(self, job: Job, message: str = "cancelled by the client") -> None:
        """Fail the job with CANCELLED; its queued images are dropped at the next batch decision."""
        stream = self._streams.get(job)
        job.cancelled = True
        if stream is not None:
            self._finish(stream, ServiceError("CANCELLED", message))
        self._poke()

    def _finish(self, stream: JobStream, error: ServiceError | None = None) -> None:
        if error is not None:
            stream._fail(error)
        if stream.finished:
            self._streams.pop(stream.job, None)

    async def _run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        max_wait = self.config.max_wait_ms / 1000.0
        while True:
            plan = next_batch(self._queues, self.clock(), self.config.max_batch, max_wait,
                              self.config.max_batch_pixels)
            self._queued -= len(plan.dropped) + len(plan.batch)
            self.stats.dropped += len(plan.dropped)
            for item, code in plan.dropped:
                stream = self._streams.get(item.job)
                if stream is not None:
                    self._finish(stream, ServiceError(code, DROP_MESSAGES[code]))
            if not plan.batch:
                self._wakeup.clear()
                self._waiting = True
                self._maybe_quiet()
                try:
                    await asyncio.wait_for(self._wakeup.wait(), plan.wait_s)
                except asyncio.TimeoutError:
                    pass
                self._waiting = False
                continue
            batch = plan.batch
            derived = tuple(tuple(m for m in i.job.maps if m != "albedo") for i in batch)
            run = RunBatch(plan.key, tuple(i.job.prompt for i in batch), tuple(i.seed for i in batch),
                           tuple(i.noise for i in batch),   # per-item noise spec (variations): noise.py
                           derived if any(derived) else ())  # material maps, derived by the runner
            started = time.perf_counter()
            try:
                output = await loop.run_in_executor(self._compute, self.runner.run, run)
            except Exception as e:  # one bad batch fails its jobs, never the server
                log.exception("batch %s of %d failed", plan.key, len(batch))
                for item in batch:
                    stream = self._streams.get(item.job)
                    if stream is not None:
                        self._finish(stream, ServiceError("INTERNAL", f"generation failed: {e}"))
                continue
            took_ms = (time.perf_counter() - started) * 1e3
            log.debug("ran %s x%d in %.1f ms", plan.key, len(batch), took_ms)
            per_image = took_ms / len(batch)
            previous = self.stats.ms_per_image
            self.stats.ms_per_image = per_image if previous is None else (
                (1 - EMA_WEIGHT) * previous + EMA_WEIGHT * per_image)
            self.stats.compute_s += took_ms / 1e3
            self.stats.batches += 1
            self.stats.images += len(batch)
            self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
            for row, item in enumerate(batch):
                if item.job in self._streams:
                    task = loop.create_task(self._encode_and_deliver(item, output.pixels[row], output.item_maps(row)))
                    self._encoding.add(task)
                    task.add_done_callback(self._encoded)

    def _encoded(self, task: asyncio.Task) -> None:
        self._encoding.discard(task)
        self._maybe_quiet()

    async def _encode_and_deliver(self, item: WorkItem, pixels: np.ndarray, maps: dict[str, np.ndarray]) -> None:
        job = item.job
        channels = self.catalog.get(job.model).manifest.kinds[job.kind].channels
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                self._encode, encode_asset, job, item.index, pixels, channels, maps)
        except Exception as e:
            log.exception("encoding %s #%d failed", job.kind, item.index)
            stream = self._streams.get(job)
            if stream is not None:
                self._finish(stream, ServiceError("INTERNAL", f"encoding failed: {e}"))
            return
        stream = self._streams.get(job)
        if stream is not None:
            stream._deliver(result)
            self._finish(stream)

    @property
    def draining(self) -> bool:
        return self._draining

    def drain(self) -> None:
        """Refuse new jobs (UNAVAILABLE); queued and running ones still finish."""
        self._draining = True

    async def close(self) -> None:
        self.drain()
        if self._loop_task is not None:
            self._loop_task.cancel()
            try:
                await self._loop_task
            except asyncio.CancelledError:
                pass
        for stream in list(self._streams.values()):
            self._finish(stream, unavailable("shut_down"))
        self._compute.shutdown(wait=True, cancel_futures=True)
        self._encode.shutdown(wait=True, cancel_futures=True)
        self.ready = False
