"""Batch collation as a plain function: which queued images run together next.

`next_batch` looks at the per-shape queues and the current time and returns a Plan: images
to drop (deadline passed, client gone), and either one batch to run now or how long to wait
before one becomes ready. No asyncio, no clock, no torch: the scheduler owns those, and the
tests drive this with hand-made queues and times.

Policy:
- A queue per ShapeKey (model, kind, height, width): only same-shape images share a pass.
- A key's batch limit is max_batch images, fewer for big images: at most max_pixels pixels per
  pass, so 64 textures of 1024 px never land in one forward pass (memory), but one always fits.
- A key is ready when it holds a full batch, or its oldest image has waited max_wait.
- Among ready keys, one with interactive images wins; ties go to the longest-waiting.
- Within a key, interactive images fill the batch before background ones.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .jobs import PRIORITIES, ShapeKey, WorkItem


@dataclass
class KeyQueue:
    interactive: deque[WorkItem] = field(default_factory=deque)
    background: deque[WorkItem] = field(default_factory=deque)

    def push(self, item: WorkItem) -> None:
        (self.interactive if item.interactive else self.background).append(item)

    def __len__(self) -> int:
        return len(self.interactive) + len(self.background)

    def oldest(self) -> float:
        """Enqueue time of the longest-waiting image (queues are in arrival order)."""
        fronts = [q[0].enqueued_at for q in (self.interactive, self.background) if q]
        return min(fronts)


@dataclass
class Plan:
    key: ShapeKey | None = None
    batch: list[WorkItem] = field(default_factory=list)
    dropped: list[tuple[WorkItem, str]] = field(default_factory=list)  # (item, status code name)
    wait_s: float | None = None  # no batch: seconds until one is ready; None = nothing queued


def drop_dead(queues: dict[ShapeKey, KeyQueue], now: float) -> list[tuple[WorkItem, str]]:
    """Remove images whose job was cancelled or whose deadline passed, before they cost compute."""
    dropped: list[tuple[WorkItem, str]] = []
    for key in list(queues):
        kq = queues[key]
        for name in PRIORITIES:              # the KeyQueue field of each priority
            q: deque[WorkItem] = getattr(kq, name)
            if not any(i.job.cancelled or i.job.expired(now) for i in q):
                continue
            keep: deque[WorkItem] = deque()
            for item in q:
                if item.job.cancelled:
                    dropped.append((item, "CANCELLED"))
                elif item.job.expired(now):
                    dropped.append((item, "DEADLINE_EXCEEDED"))
                else:
                    keep.append(item)
            setattr(kq, name, keep)
        if not kq:
            del queues[key]
    return dropped


def batch_limit(key: ShapeKey, max_batch: int, max_pixels: int | None) -> int:
    """Images of this shape per forward pass: max_batch, capped by the pixel budget, at least 1."""
    if max_pixels is None:
        return max_batch
    return max(1, min(max_batch, max_pixels // (key.height * key.width)))


def next_batch(queues: dict[ShapeKey, KeyQueue], now: float, max_batch: int, max_wait: float,
               max_pixels: int | None = None) -> Plan:
    """Pop the next batch from `queues` (mutated in place) or say how long to wait for one."""
    if max_batch < 1:
        raise ValueError(f"max_batch must be at least 1, got {max_batch}")
    plan = Plan(dropped=drop_dead(queues, now))
    if not queues:
        return plan

    limits = {k: batch_limit(k, max_batch, max_pixels) for k in queues}
    ready = [k for k, kq in queues.items() if len(kq) >= limits[k] or now - kq.oldest() >= max_wait]
    if not ready:
        plan.wait_s = max(0.0, min(kq.oldest() + max_wait for kq in queues.values()) - now)
        return plan

    def urgency(key: ShapeKey) -> tuple[bool, float]:
        kq = queues[key]
        if kq.interactive:
            return (False, kq.interactive[0].enqueued_at)
        return (True, kq.oldest())

    key = min(ready, key=urgency)
    kq = queues[key]
    batch: list[WorkItem] = []
    for q in (kq.interactive, kq.background):
        while q and len(batch) < limits[key]:
            batch.append(q.popleft())
    if not kq:
        del queues[key]
    plan.key, plan.batch = key, batch
    return plan
