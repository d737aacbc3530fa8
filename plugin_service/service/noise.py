"""Per-item noise for a RunBatch: the one place that decides what noise an asset gets.

Every item's noise is a function of that item alone (its seed, and later its variation spec),
never of a shared generator state or of the batch it lands in: that is what makes an asset
reproducible from its sidecar whatever else the server was doing.
"""
from __future__ import annotations

import torch

from ..model.config import GeneratorConfig
from ..model.generator import make_noise
from .jobs import RunBatch


def batch_noise(batch: RunBatch, cfg: GeneratorConfig) -> torch.Tensor:
    """[B, noise_channels, H / stride, W / stride] float32 on the CPU."""
    h, w = batch.key.height // cfg.stride, batch.key.width // cfg.stride
    return torch.stack([make_noise(seed, cfg.noise_channels, h, w) for seed in batch.seeds])
