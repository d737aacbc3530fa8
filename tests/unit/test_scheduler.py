"""The scheduler's timing, priorities, drops and back-pressure, driven by a fake clock.

The runner here is a recorder (the scheduler is what is under test): it returns blank pixels and
remembers every RunBatch it was given, so each test can say exactly what reached compute.
"""
from __future__ import annotations

import asyncio
import math
import threading

import numpy as np
import pytest

from plugin_service.service.catalog import ModelCatalog
from plugin_service.service.config import ServiceConfig
from plugin_service.service.jobs import Job, RunBatch, RunOutput, ServiceError
from plugin_service.service.scheduler import QueueFull, Scheduler

TEST_MODEL = "assetgen-test"  # the conftest models_dir fixture builds it


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class RecordingRunner:
    device = "cpu"

    def __init__(self) -> None:
        self.batches: list[RunBatch] = []
        self.threads: set[str] = set()

    def load(self) -> None: ...

    def warm_up(self) -> None: ...

    def counters(self) -> dict[str, int]:
        return {}

    def run(self, batch: RunBatch) -> RunOutput:
        self.batches.append(batch)
        self.threads.add(threading.current_thread().name)
        return RunOutput(np.zeros((len(batch.seeds), batch.key.height, batch.key.width, 4), np.uint8))


def make_job(kind: str = "texture", count: int = 1, priority: str = "interactive", deadline: float | None = None,
             seed: int = 0) -> Job:
    return Job(tag="", model=TEST_MODEL, model_version="test-0", kind=kind, prompt="p", width=64, height=64,
               count=count, seed=seed, format="png", tileable=kind == "texture", priority=priority,
               deadline=deadline)


async def collect(stream) -> list:
    return [r async for r in stream]


@pytest.fixture()
def harness(models_dir):
    def make(**overrides):
        config = ServiceConfig(models=models_dir, model=TEST_MODEL, device="cpu",
                               **{"max_batch": 4, "max_wait_ms": 10.0, **overrides})
        clock, runner = FakeClock(), RecordingRunner()
        scheduler = Scheduler(runner, ModelCatalog.scan(models_dir, TEST_MODEL), config, clock=clock)
        return scheduler, runner, clock
    return make


def run_async(coro):
    return asyncio.run(coro)


def test_partial_batch_waits_for_max_wait_on_the_clock(harness):
    async def body():
        scheduler, runner, clock = harness()
        await scheduler.start()
        stream = scheduler.submit(make_job(count=2))
        await scheduler.quiescent()
        assert runner.batches == []          # 2 of 4, and no time has passed on the clock
        clock.now += 0.009
        scheduler.wake()
        await scheduler.quiescent()
        assert runner.batches == []          # still under 10 ms
        clock.now += 0.001
        scheduler.wake()
        results = await asyncio.wait_for(collect(stream), 5)
        assert [len(b.seeds) for b in runner.batches] == [2]
        assert sorted(r.index for r in results) == [0, 1]
        await scheduler.close()
    run_async(body())


def test_full_batch_runs_without_waiting(harness):
    async def body():
        scheduler, runner, clock = harness()
        await scheduler.start()
        stream = scheduler.submit(make_job(count=6))
        await scheduler.quiescent()
        assert [len(b.seeds) for b in runner.batches] == [4]   # the rest waits for the clock
        clock.now += 0.010
        scheduler.wake()
        await asyncio.wait_for(collect(stream), 5)
        assert [len(b.seeds) for b in runner.batches] == [4, 2]
        await scheduler.close()
    run_async(body())


def test_interactive_runs_before_older_background(harness):
    async def body():
        scheduler, runner, clock = harness()
        await scheduler.start()
        background = scheduler.submit(make_job("texture", priority="background", seed=1))
        clock.now += 0.001
        interactive = scheduler.submit(make_job("sprite", seed=2))
        clock.now += 0.050
        scheduler.wake()
        await asyncio.wait_for(asyncio.gather(collect(background), collect(interactive)), 5)
        assert [b.key.kind for b in runner.batches] == ["sprite", "texture"]
        await scheduler.close()
    run_async(body())


def test_expired_and_cancelled_jobs_never_reach_compute(harness):
    async def body():
        scheduler, runner, clock = harness()
        await scheduler.start()
        late = scheduler.submit(make_job(deadline=clock.now + 0.005, seed=1))
        gone_job = make_job(seed=2)
        gone = scheduler.submit(gone_job)
        kept = scheduler.submit(make_job(seed=3))
        scheduler.cancel(gone_job)
        clock.now += 0.020   # past the deadline and past max_wait
        scheduler.wake()
        with pytest.raises(ServiceError) as expired:
            await asyncio.wait_for(collect(late), 5)
        assert expired.value.code == "DEADLINE_EXCEEDED"
        with pytest.raises(ServiceError) as cancelled:
            await asyncio.wait_for(collect(gone), 5)
        assert cancelled.value.code == "CANCELLED"
        assert [r.seed for r in await asyncio.wait_for(collect(kept), 5)] == [3]
        assert [b.seeds for b in runner.batches] == [(3,)]
        assert scheduler.stats.dropped == 2
        await scheduler.close()
    run_async(body())


def test_full_queue_refuses_with_a_retry_hint_instead_of_growing(harness):
    async def body():
        scheduler, runner, clock = harness(max_queued_images=5, max_batch=64)
        await scheduler.start()
        scheduler.submit(make_job(count=5))
        with pytest.raises(QueueFull) as refused:
            scheduler.submit(make_job(count=2))
        error = refused.value
        assert error.code == "RESOURCE_EXHAUSTED"
        assert 10 <= error.retry_after_ms <= 60_000
        assert f"retry after {error.retry_after_ms} ms" in error.message and "limit 5" in error.message
        assert scheduler.queued_images == 5        # the refused job did not enter the queue
        # Once a batch has been measured the hint follows the measured compute time.
        clock.now += 1.0
        scheduler.wake()
        await scheduler.quiescent()
        assert scheduler.stats.ms_per_image is not None
        # The queue is empty again: 6 images exceed the limit of 5 by one image's compute time.
        assert scheduler.retry_after_ms(6) == max(10, math.ceil(scheduler.stats.ms_per_image))
        await scheduler.close()
    run_async(body())


def test_compute_and_encoding_run_off_the_event_loop(harness):
    async def body():
        scheduler, runner, clock = harness()
        await scheduler.start()
        stream = scheduler.submit(make_job(count=4))
        results = await asyncio.wait_for(collect(stream), 5)
        assert runner.threads and all(name.startswith("assetgen-compute") for name in runner.threads)
        assert all(r.data.startswith(b"\x89PNG") for r in results)  # encoded by the pool
        await scheduler.close()
    run_async(body())
