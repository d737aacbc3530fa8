"""The pure collation function: which queued images run together, and when."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plugin_service.service.batching import KeyQueue, batch_limit, next_batch
from plugin_service.service.jobs import Job, ShapeKey, WorkItem

TEX64 = ShapeKey("m", "texture", 64, 64)
TEX128 = ShapeKey("m", "texture", 128, 128)
SPRITE = ShapeKey("m", "sprite", 64, 64)


def job(key: ShapeKey = TEX64, count: int = 1, priority: str = "interactive", deadline: float | None = None) -> Job:
    return Job(tag="", model=key.model, model_version="1", kind=key.kind, prompt="p", width=key.width,
               height=key.height, count=count, seed=0, format="png", tileable=False, priority=priority,
               deadline=deadline)


def enqueue(queues: dict, j: Job, at: float) -> list[WorkItem]:
    items = [WorkItem(j, i, at) for i in range(j.count)]
    for item in items:
        queues.setdefault(j.key, KeyQueue()).push(item)
    return items


def test_empty_queue_waits_for_nothing():
    plan = next_batch({}, now=0.0, max_batch=4, max_wait=0.002)
    assert plan.batch == [] and plan.wait_s is None and plan.dropped == []


def test_partial_batch_waits_until_max_wait_then_goes():
    queues: dict = {}
    items = enqueue(queues, job(count=2), at=10.0)
    plan = next_batch(queues, now=10.001, max_batch=4, max_wait=0.002)
    assert plan.batch == [] and abs(plan.wait_s - 0.001) < 1e-9
    plan = next_batch(queues, now=10.002, max_batch=4, max_wait=0.002)
    assert plan.batch == items and plan.key == TEX64 and not queues


def test_full_batch_goes_at_once_and_leaves_the_rest():
    queues: dict = {}
    items = enqueue(queues, job(count=6), at=0.0)
    plan = next_batch(queues, now=0.0, max_batch=4, max_wait=1.0)
    assert plan.batch == items[:4]
    assert len(queues[TEX64]) == 2


def test_only_same_shape_shares_a_batch():
    queues: dict = {}
    a = enqueue(queues, job(TEX64), at=0.0)
    b = enqueue(queues, job(TEX128), at=0.0)
    c = enqueue(queues, job(SPRITE), at=0.0)
    seen = []
    while queues:
        plan = next_batch(queues, now=1.0, max_batch=64, max_wait=0.0)
        assert len({(i.job.kind, i.job.height, i.job.width) for i in plan.batch}) == 1
        seen.append(plan.batch)
    assert sorted(map(len, seen)) == [1, 1, 1] and {id(x) for s in seen for x in s} == {id(x) for x in a + b + c}


def test_interactive_before_background_within_and_across_keys():
    queues: dict = {}
    background = enqueue(queues, job(TEX64, count=3, priority="background"), at=0.0)
    interactive = enqueue(queues, job(TEX64, count=2), at=0.5)
    other_interactive = enqueue(queues, job(SPRITE, count=1), at=0.2)
    # The oldest background key loses to keys that hold interactive work.
    plan = next_batch(queues, now=1.0, max_batch=3, max_wait=0.0)
    assert plan.batch == other_interactive
    plan = next_batch(queues, now=1.0, max_batch=3, max_wait=0.0)
    assert plan.batch == interactive + background[:1]
    plan = next_batch(queues, now=1.0, max_batch=3, max_wait=0.0)
    assert plan.batch == background[1:]


def test_cancelled_and_expired_images_are_dropped_before_compute():
    queues: dict = {}
    cancelled_job = job(count=2)
    cancelled = enqueue(queues, cancelled_job, at=0.0)
    expired = enqueue(queues, job(deadline=0.5), at=0.0)
    alive = enqueue(queues, job(deadline=5.0), at=0.0)
    cancelled_job.cancelled = True
    plan = next_batch(queues, now=1.0, max_batch=8, max_wait=0.0)
    assert plan.batch == alive
    assert [(i, c) for i, c in plan.dropped] == [(cancelled[0], "CANCELLED"), (cancelled[1], "CANCELLED"),
                                                 (expired[0], "DEADLINE_EXCEEDED")]


def test_everything_dropped_leaves_no_queue():
    queues: dict = {}
    j = job(deadline=0.1)
    enqueue(queues, j, at=0.0)
    plan = next_batch(queues, now=1.0, max_batch=8, max_wait=0.0)
    assert plan.batch == [] and len(plan.dropped) == 1 and not queues and plan.wait_s is None


def test_pixel_budget_shrinks_batches_of_big_images():
    assert batch_limit(TEX64, 64, 1 << 20) == 64
    assert batch_limit(ShapeKey("m", "texture", 256, 256), 64, 1 << 20) == 16
    assert batch_limit(ShapeKey("m", "texture", 2048, 2048), 64, 1 << 20) == 1
    queues: dict = {}
    big = ShapeKey("m", "texture", 1024, 1024)
    items = enqueue(queues, job(big, count=3), at=0.0)
    plan = next_batch(queues, now=0.0, max_batch=64, max_wait=1.0, max_pixels=1 << 20)
    assert plan.batch == items[:1], "a full (1-image) batch of a big size goes without waiting"


@settings(max_examples=60, deadline=None)
@given(
    jobs=st.lists(st.tuples(st.sampled_from([TEX64, TEX128, SPRITE]), st.integers(1, 9),
                            st.sampled_from(["interactive", "background"]), st.booleans()), max_size=12),
    max_batch=st.integers(1, 8),
)
def test_every_live_image_runs_exactly_once_within_its_limits(jobs, max_batch):
    queues: dict = {}
    live, dead = [], []
    for t, (key, count, priority, cancel) in enumerate(jobs):
        j = job(key, count, priority)
        items = enqueue(queues, j, at=float(t))
        j.cancelled = cancel
        (dead if cancel else live).extend(items)
    ran, dropped = [], []
    for _ in range(1000):
        plan = next_batch(queues, now=1e6, max_batch=max_batch, max_wait=0.0)
        dropped += [i for i, _ in plan.dropped]
        if not plan.batch:
            break
        assert 1 <= len(plan.batch) <= max_batch
        assert len({i.job.key for i in plan.batch}) == 1
        ran += plan.batch
    assert sorted(map(id, ran)) == sorted(map(id, live))
    assert sorted(map(id, dropped)) == sorted(map(id, dead))
    assert not queues
