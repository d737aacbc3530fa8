"""Out-of-memory recovery: a batch that does not fit runs again as two halves, down to one image.

Safe because the runner is batch-invariant (each image's noise comes from its own seed), so the
halves give exactly the pixels the whole batch would have. Wraps any runner with the scheduler's
runner interface; the scheduler keeps calling `run(RunBatch)` and never sees the split. Only a
single image that still does not fit fails (and then only its batch, as any runner error does).
"""
from __future__ import annotations

import logging
import sys
from dataclasses import fields, replace

import numpy as np

from .jobs import RunBatch, RunnerWrapper, RunOutput

log = logging.getLogger(__name__)


def is_out_of_memory(error: BaseException) -> bool:
    """torch.cuda.OutOfMemoryError is a RuntimeError saying "out of memory"; the CPU allocator
    says "not enough memory"; Python itself raises MemoryError."""
    if isinstance(error, MemoryError):
        return True
    text = str(error).lower()
    return isinstance(error, RuntimeError) and ("out of memory" in text or "not enough memory" in text)


def _free_cached_memory() -> None:
    torch = sys.modules.get("torch")  # only if the runner already imported it
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def halves(batch: RunBatch) -> tuple[RunBatch, RunBatch]:
    """Split every per-item tuple field (prompts, seeds, noise specs, ...) at the middle, so a
    field added to RunBatch later is split too. `key` is a NamedTuple, not per item."""
    size = len(batch.seeds)
    mid = size // 2
    per_item = [f.name for f in fields(batch)
                if f.name != "key" and isinstance(getattr(batch, f.name), tuple) and len(getattr(batch, f.name)) == size]
    return (replace(batch, **{name: getattr(batch, name)[:mid] for name in per_item}),
            replace(batch, **{name: getattr(batch, name)[mid:] for name in per_item}))


class OomSplittingRunner(RunnerWrapper):
    """Delegates to `inner`; on out-of-memory, halves the batch and retries each half."""

    def __init__(self, inner) -> None:
        super().__init__(inner)
        self.splits = 0  # how often a batch was halved (metrics read it)

    def counters(self) -> dict[str, int]:
        return {**self.inner.counters(), "oom_splits": self.splits}

    def run(self, batch: RunBatch) -> RunOutput:
        try:
            return self.inner.run(batch)
        except Exception as e:
            if not is_out_of_memory(e) or len(batch.seeds) <= 1:
                raise
            first, second = halves(batch)
            log.warning("out of memory on %s x%d; retrying as %d + %d", batch.key, len(batch.seeds),
                        len(first.seeds), len(second.seeds))
        # Outside the except block, so the failed attempt's tensors (held by the traceback) are freed.
        self.splits += 1
        _free_cached_memory()
        a, b = self.run(first), self.run(second)
        maps = (a.maps or ({},) * len(a)) + (b.maps or ({},) * len(b)) if (a.maps or b.maps) else ()
        return RunOutput(np.concatenate([a.pixels, b.pixels], axis=0), maps)
