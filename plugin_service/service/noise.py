"""Per-item noise for a RunBatch: the one place that decides what noise an asset gets.

Every item's noise is a function of that item alone (its NoiseSpec: seed, and optionally a
variation or an interpolation), never of a shared generator state or of the batch it lands in:
that is what makes an asset reproducible from its sidecar whatever else the server was doing.

Variations and interpolation stay on the sphere the generator was trained on: a sum
a * cos(x) + b * sin(x) of two independent standard normal grids is itself standard normal, and
slerp keeps the norm of its two ends, so neither produces the washed-out images that linear
mixing (norm shrinks by up to 1/sqrt(2) halfway) would.
"""
from __future__ import annotations

import math

import torch

from ..model.config import GeneratorConfig
from ..model.generator import make_noise
from .jobs import NoiseSpec, RunBatch


def variation_noise(base: torch.Tensor, other: torch.Tensor, strength: float) -> torch.Tensor:
    """noise(seed) * cos(a) + noise(vary_seed) * sin(a), a = strength * pi / 2, strength in (0, 1]."""
    if not 0.0 < strength <= 1.0:
        raise ValueError(f"variation strength must be in (0, 1], got {strength}")
    angle = strength * math.pi / 2
    return base * math.cos(angle) + other * math.sin(angle)


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation of two noise grids; t = 0 gives exactly a, t = 1 exactly b."""
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"interpolation t must be in [0, 1], got {t}")
    # The angle in float64: two float32 norms of ~10^4 elements lose too much for nearby seeds.
    a64, b64 = a.double().flatten(), b.double().flatten()
    cos = float((a64 @ b64) / (a64.norm() * b64.norm()).clamp_min(1e-12))
    theta = math.acos(max(-1.0, min(1.0, cos)))
    if theta < 1e-6:  # (almost) the same direction: slerp degenerates to lerp
        wa, wb = 1.0 - t, t
    else:
        wa, wb = math.sin((1.0 - t) * theta) / math.sin(theta), math.sin(t * theta) / math.sin(theta)
    return a * wa + b * wb


def item_noise(spec: NoiseSpec, channels: int, height: int, width: int) -> torch.Tensor:
    """[channels, height, width] float32 on the CPU for one item."""
    base = make_noise(spec.seed, channels, height, width)
    if spec.vary_seed is not None:
        other = make_noise(spec.vary_seed, channels, height, width)
        return variation_noise(base, other, float(spec.vary_strength))
    if spec.interpolate_seed is not None:
        other = make_noise(spec.interpolate_seed, channels, height, width)
        return slerp(base, other, float(spec.interpolate_t or 0.0))
    return base


def batch_noise(batch: RunBatch, cfg: GeneratorConfig) -> torch.Tensor:
    """[B, noise_channels, H / stride, W / stride] float32 on the CPU."""
    h, w = batch.key.height // cfg.stride, batch.key.width // cfg.stride
    if len(batch.noise) > len(batch.seeds):
        raise ValueError(f"RunBatch has {len(batch.seeds)} seeds but {len(batch.noise)} noise specs")
    # Items without a spec (all of them in warm-up, padding a runner adds to fill a bucket) get
    # their seed's plain noise.
    specs = (*batch.noise, *(NoiseSpec(seed) for seed in batch.seeds[len(batch.noise):]))
    return torch.stack([item_noise(spec, cfg.noise_channels, h, w) for spec in specs])
