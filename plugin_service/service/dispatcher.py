"""The dispatcher: the single source of truth for which (shape, batch bucket) runs as a captured
CUDA graph. Everything else runs eager.

The runner asks `lookup(key, n)` for every batch: a hit gives the graph of the smallest captured
bucket that holds n images (the batch is padded to it); a miss means eager at exactly n. What to
capture is decided once, by the pure `capture_plan`, so tests can check it without a GPU.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from .batching import batch_limit
from .catalog import ModelCatalog
from .jobs import ShapeKey

G = TypeVar("G")


def make_buckets(max_batch: int) -> tuple[int, ...]:
    """1, 2, 4, ... up to max_batch, plus max_batch itself when it is not a power of two."""
    if max_batch < 1:
        raise ValueError(f"max_batch must be at least 1, got {max_batch}")
    buckets = []
    b = 1
    while b < max_batch:
        buckets.append(b)
        b *= 2
    buckets.append(max_batch)
    return tuple(buckets)


def bucket_for(n: int, buckets: Iterable[int]) -> int | None:
    """Smallest bucket >= n, or None when n is larger than every bucket."""
    fitting = [b for b in buckets if b >= n]
    return min(fitting) if fitting else None


def serve_shapes(catalog: ModelCatalog, extra_texture_sizes: Iterable[int] = ()) -> list[ShapeKey]:
    """Every shape worth capturing: each kind at its native size, plus square textures at the extra
    sizes the manifest allows (a game asks for a few texture sizes over and over)."""
    shapes: list[ShapeKey] = []
    for entry in catalog:
        for kind, spec in entry.manifest.kinds.items():
            sizes = [spec.native_size]
            if kind == "texture":
                sizes += [s for s in extra_texture_sizes if s in spec.sizes and s != spec.native_size]
            for s in sizes:
                key = ShapeKey(entry.name, kind, s, s)
                if key not in shapes:
                    shapes.append(key)
    return shapes


def capture_plan(shapes: Iterable[ShapeKey], buckets: Iterable[int], max_batch: int,
                 max_pixels: int | None) -> list[tuple[ShapeKey, int]]:
    """(shape, bucket) pairs to capture, largest batch memory first: the first capture sizes the
    shared memory pool and every later, smaller graph reuses its blocks. A shape gets only the
    buckets the scheduler can actually form for it (batch_limit), plus the one that holds that limit."""
    plan = []
    for key in shapes:
        limit = batch_limit(key, max_batch, max_pixels)
        top = bucket_for(limit, buckets) or limit
        for b in buckets:
            if b <= top:
                plan.append((key, b))
    return sorted(plan, key=lambda kb: (-kb[1] * kb[0].height * kb[0].width, kb[0], -kb[1]))


class Dispatcher(Generic[G]):
    """Maps (shape, bucket) -> captured graph. Filled once at warm-up, read on every batch."""

    def __init__(self, buckets: Iterable[int]) -> None:
        self.buckets = tuple(sorted(set(buckets)))
        self._graphs: dict[tuple[ShapeKey, int], G] = {}

    def add(self, key: ShapeKey, bucket: int, graph: G) -> None:
        if bucket not in self.buckets:
            raise ValueError(f"bucket {bucket} is not one of {self.buckets}")
        self._graphs[(key, bucket)] = graph

    def lookup(self, key: ShapeKey, n: int) -> tuple[int, G] | None:
        """(bucket, graph) of the smallest captured bucket holding n images of `key`, else None (eager)."""
        for b in self.buckets:
            if b >= n and (key, b) in self._graphs:
                return b, self._graphs[(key, b)]
        return None

    def captured(self) -> list[tuple[ShapeKey, int]]:
        return sorted(self._graphs, key=lambda kb: (kb[0], kb[1]))

    def __len__(self) -> int:
        return len(self._graphs)
