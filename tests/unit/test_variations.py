"""Variations and interpolation: noise (service/noise.py), validation, cache key and sidecar."""
from __future__ import annotations

import math

import pytest
import torch

from plugin_service.client.assets import Asset
from plugin_service.client.cache_key import canonical_string, cache_key
from plugin_service.client.files import asset_filename, reproduce_command, sidecar
from plugin_service.model.config import get_config
from plugin_service.model.generator import make_noise
from plugin_service.service.jobs import Job, NoiseSpec, RunBatch, ShapeKey
from plugin_service.service.noise import batch_noise, item_noise

C, H, W = 8, 16, 16


def angle(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.double().flatten(), b.double().flatten()
    return math.acos(float((a @ b) / (a.norm() * b.norm())))


def test_variation_moves_by_a_bounded_angle_and_keeps_the_distribution():
    base = make_noise(5, C, H, W)
    steps = [angle(base, item_noise(NoiseSpec(5, vary_seed=99, vary_strength=s), C, H, W)) for s in (0.1, 0.2, 0.5)]
    assert steps == sorted(steps) and steps[0] < 0.2 and steps[1] < 0.35      # ~ strength * pi / 2
    big = torch.stack([item_noise(NoiseSpec(5, vary_seed=v, vary_strength=0.5), 64, 64, 64) for v in range(4)])
    assert abs(float(big.std()) - 1.0) < 0.01 and abs(float(big.mean())) < 0.01
    full = item_noise(NoiseSpec(5, vary_seed=7, vary_strength=1.0), C, H, W)
    assert torch.allclose(full, make_noise(7, C, H, W), atol=1e-6), "strength 1 is the variation seed's own noise"


def test_interpolation_ends_are_exact_and_frames_are_smooth():
    a, b = make_noise(1, C, H, W), make_noise(2, C, H, W)
    frames = [item_noise(NoiseSpec(1, interpolate_seed=2, interpolate_t=i / 7), C, H, W) for i in range(8)]
    assert torch.equal(frames[0], a) and torch.equal(frames[-1], b)
    steps = [angle(x, y) for x, y in zip(frames, frames[1:])]
    # Constant angular speed up to the two ends' different norms (a few % for 2k elements).
    assert (max(steps) - min(steps)) / (sum(steps) / len(steps)) < 0.1, "frames step evenly"
    norms = [float(f.norm()) for f in frames]
    ends = sorted((norms[0], norms[-1]))
    # Linear mixing would dip to ~0.71 of the ends' norm halfway (washed-out frames); slerp stays between them.
    assert all(ends[0] * 0.99 <= n <= ends[1] * 1.01 for n in norms), norms


def test_batch_noise_is_per_item_and_pads_missing_specs_with_plain_noise():
    cfg = get_config("test")
    key = ShapeKey("m", "texture", 64, 64)
    spec = NoiseSpec(3, vary_seed=9, vary_strength=0.3)
    together = batch_noise(RunBatch(key, ("a", "b"), (3, 4), (spec,)), cfg)
    alone = batch_noise(RunBatch(key, ("a",), (3,), (spec,)), cfg)
    plain = batch_noise(RunBatch(key, ("b",), (4,)), cfg)
    assert torch.equal(together[0], alone[0]) and torch.equal(together[1], plain[0])


def job(**kw) -> Job:
    base = dict(tag="", model="m", model_version="v", kind="texture", prompt="p", width=64, height=64, count=4,
                seed=100, format="png", tileable=True, priority="interactive", deadline=None)
    return Job(**{**base, **kw})


def test_job_noise_specs():
    assert [job().item_noise(i).seed for i in range(2)] == [100, 101]
    vary = job(vary_seed=7, vary_strength=0.2)
    assert [vary.item_seed(i) for i in range(4)] == [100] * 4
    assert [vary.item_noise(i).vary_seed for i in range(4)] == [7, 8, 9, 10]
    frames = job(interpolate_seed=5)
    assert [frames.item_noise(i).interpolate_t for i in range(4)] == [0.0, 1 / 3, 2 / 3, 1.0]
    assert job(count=1, interpolate_seed=5, interpolate_t=0.25).item_noise(0).interpolate_t == 0.25


BASE = dict(model="assetgen-small", model_version="1", pipeline=2, kind="texture", prompt="mossy", width=64, height=64,
            seed=1, format="png", tileable=True)


def test_cache_key_adds_lines_only_when_set():
    plain = canonical_string(**BASE)
    assert canonical_string(**BASE, map="albedo") == plain
    vary = canonical_string(**BASE, vary_seed=9, vary_strength=0.2)
    assert vary == plain + "vary_seed=9\nvary_strength=3fc999999999999a\n"
    frame = canonical_string(**BASE, map="normal", interpolate_seed=4, interpolate_t=0.5)
    assert frame == plain + "map=normal\ninterpolate_seed=4\ninterpolate_t=3fe0000000000000\n"
    keys = {cache_key(**BASE), cache_key(**BASE, map="height"), cache_key(**BASE, vary_seed=9, vary_strength=0.2),
            cache_key(**BASE, vary_seed=9, vary_strength=0.25), cache_key(**{**BASE, "format": "dds_bc1"})}
    assert len(keys) == 5
    with pytest.raises(ValueError, match="go together"):
        canonical_string(**BASE, vary_seed=9)


def test_sidecar_and_file_name_reproduce_a_variation():
    a = Asset(tag="", index=2, seed=100, kind="texture", width=64, height=64, format="png", channels=3,
              tileable=True, model="m", model_version="v", sha256="00", data=b"", map="normal",
              interpolate_seed=5, interpolate_t=2 / 7)
    name = asset_filename("mossy", a)
    assert name.startswith("mossy_s100_to5_t0.2857_normal_") and name.endswith(".png")
    side = sidecar("mossy", a, name)
    assert side["interpolate_t"] == 2 / 7 and side["map"] == "normal" and len(side["cache_key"]) == 64
    command = reproduce_command("mossy", a)
    assert "--interpolate 100 5 --at 0.2857142857142857" in command and "--maps normal" in command
    from plugin_service.cli import build_parser

    args = build_parser().parse_args(command.split()[1:])
    assert args.at == 2 / 7 and args.interpolate == [100, 5]
