"""One captured CUDA graph per (shape, batch bucket): static buffers, capture, replay.

A graph records generator + uint8 post-processing for a fixed batch; replaying it costs one
launch instead of ~60 kernel launches, which is most of a 64 px sprite's time on a big GPU.
Rules that keep replay correct (docs/DESIGN.md, "Contracts between stages": Generator):
- Inputs live in static device buffers allocated before capture (outside the shared pool);
  each batch copies its text embeddings and noise into the first n rows. The padding rows keep
  whatever the last batch left: items never interact (no batch statistics), so they cannot
  change a real item's pixels, and not clearing them saves a kernel.
- The output buffer lives in the shared pool. Graphs replay one at a time from the single
  compute thread and each result is copied to the host before the next replay, so sharing the
  pool between graphs is safe.
- Host side: pinned buffers and non_blocking copies, one synchronize per batch.

Nothing here runs without CUDA; tests/gpu/ checks it (replay == eager bit for bit per bucket).
"""
from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn as nn

from ..model.config import KIND_INDEX, GeneratorConfig
from .jobs import ShapeKey
from .postprocess import rgba8_on_device

log = logging.getLogger(__name__)
EAGER_WARMUPS = 3  # cuDNN/cuBLAS pick algorithms and allocate workspaces here, not during capture


@contextmanager
def frozen_gc():
    """vLLM does the same: a GC pass during capture walks every Python object while the graph
    records, and frozen objects are never collected mid-capture."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class CapturedGraph:
    def __init__(self, module: nn.Module, cfg: GeneratorConfig, key: ShapeKey, bucket: int,
                 dtype: torch.dtype, device: torch.device) -> None:
        self.module, self.key, self.bucket, self.device = module, key, bucket, device
        self.opaque = key.kind == "texture"
        h, w = key.height // cfg.stride, key.width // cfg.stride
        # Static inputs (outside the graph pool, so no other graph can reuse their memory).
        self.text = torch.zeros(bucket, cfg.text_dim, dtype=torch.float32, device=device)       # [b, 384]
        self.noise = torch.zeros(bucket, cfg.noise_channels, h, w, dtype=dtype, device=device
                                 ).contiguous(memory_format=torch.channels_last)                 # [b, C, h, w]
        self.kind = torch.full((bucket,), KIND_INDEX[key.kind], dtype=torch.long, device=device)  # [b]
        # Pinned host staging: noise in (fp32, as batch_noise makes it), uint8 pixels out.
        self.host_noise = torch.empty(bucket, cfg.noise_channels, h, w, dtype=torch.float32).pin_memory()
        self.host_pixels = torch.empty(bucket, key.height, key.width, 4, dtype=torch.uint8).pin_memory()
        self.graph: torch.cuda.CUDAGraph | None = None
        self.pixels: torch.Tensor | None = None  # [b, H, W, 4] uint8, in the graph's pool

    def forward(self) -> torch.Tensor:
        """The captured work: generator on the static buffers + device post-processing."""
        images = self.module(self.text, self.noise, self.kind)    # [b, 4, H, W] in [-1, 1]
        return rgba8_on_device(images, self.opaque)               # [b, H, W, 4] uint8

    @torch.no_grad()
    def capture(self, pool) -> float:
        """Eager warm-ups on a side stream, then capture into `pool`. Returns seconds taken."""
        start = time.perf_counter()
        side = torch.cuda.Stream(self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            for _ in range(EAGER_WARMUPS):
                self.forward()
        torch.cuda.current_stream(self.device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph, pool=pool):
            self.pixels = self.forward()
        return time.perf_counter() - start

    def load(self, text: torch.Tensor, noise: torch.Tensor) -> int:
        """Copy n items into the static inputs. text: [n, 384] (any device); noise: [n, C, h, w] CPU fp32."""
        n = text.shape[0]
        if not 1 <= n <= self.bucket or noise.shape[0] != n:
            raise ValueError(f"batch of {n} text / {noise.shape[0]} noise rows does not fit bucket {self.bucket}")
        self.host_noise[:n].copy_(noise)
        self.noise[:n].copy_(self.host_noise[:n], non_blocking=True)  # H2D + cast to the compute dtype
        self.text[:n].copy_(text, non_blocking=True)
        return n

    @torch.no_grad()
    def run(self, text: torch.Tensor, noise: torch.Tensor) -> np.ndarray:
        """-> [n, H, W, 4] uint8 (a fresh array: the pinned buffer is reused by the next batch)."""
        n = self.load(text, noise)
        self.graph.replay()
        self.host_pixels[:n].copy_(self.pixels[:n], non_blocking=True)
        torch.cuda.current_stream(self.device).synchronize()
        return self.host_pixels[:n].numpy().copy()

    @torch.no_grad()
    def run_with_maps(self, text: torch.Tensor, noise: torch.Tensor,
                      derive: Callable[[torch.Tensor], dict[str, torch.Tensor]]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Replay, then `derive` (materials.MapPlan.on_device) runs eagerly on the graph's device
        output before the host copy. Maps are not captured: which items want which maps changes
        per batch, and the filters are a few small kernels next to the generator. Their outputs
        come from the ordinary allocator, not the graph pool, so the next replay cannot touch them."""
        n = self.load(text, noise)
        self.graph.replay()
        maps = derive(self.pixels[:n])
        self.host_pixels[:n].copy_(self.pixels[:n], non_blocking=True)
        host_maps = {name: m.to("cpu", non_blocking=False) for name, m in maps.items()}
        torch.cuda.current_stream(self.device).synchronize()
        return self.host_pixels[:n].numpy().copy(), {name: m.numpy() for name, m in host_maps.items()}

    @torch.no_grad()
    def run_eager(self, text: torch.Tensor, noise: torch.Tensor) -> np.ndarray:
        """The same computation without the graph, on the same buffers: the reference replay must equal."""
        n = self.load(text, noise)
        return self.forward()[:n].cpu().numpy()


def capture_all(graphs: list[CapturedGraph]) -> None:
    """Capture in the given order (largest first, see dispatcher.capture_plan) into one shared
    pool with the GC frozen, then replay each once so the first real request pays nothing."""
    if not graphs:
        return
    pool = torch.cuda.graph_pool_handle()
    with frozen_gc():
        for g in graphs:
            took = g.capture(pool)
            log.info("captured %s x%d in %.0f ms", g.key, g.bucket, took * 1e3)
    for g in graphs:
        g.graph.replay()
    torch.cuda.synchronize()
