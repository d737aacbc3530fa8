"""Precision modes: the quantization math, the module swap, the PSNR gate."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from plugin_service.model.config import KIND_INDEX, get_config
from plugin_service.model.generator import Generator, make_noise
from plugin_service.service.postprocess import to_rgba8
from plugin_service.service.quantize import (MIN_PSNR_DB, WeightOnlyConv2d, WeightOnlyHandler, WeightOnlyLinear,
                                             auto_candidates, plan_for, prepare_generator, psnr_db, psnr_visible_db,
                                             quantize_weight)

CPU = torch.device("cpu")


def test_psnr_of_identical_and_known_error():
    a = np.full((4, 4, 4), 100, np.uint8)
    assert psnr_db(a, a) == math.inf
    b = a.copy()
    b[0, 0, 0] = 110                             # mse = 100 / 64
    assert psnr_db(a, b) == pytest.approx(10 * math.log10(255 ** 2 / (100 / 64)))
    with pytest.raises(ValueError, match="shapes differ"):
        psnr_db(a, b[:2])


@pytest.mark.parametrize("fmt, max_rel", [("int8", 0.5 / 127), ("fp8", 0.07)])
def test_per_channel_weight_quantization_error_is_bounded(fmt, max_rel):
    torch.manual_seed(0)
    w = torch.randn(16, 8, 3, 3) * torch.logspace(-3, 1, 16).view(-1, 1, 1, 1)  # channels of very different scale
    q, scale = quantize_weight(w, fmt)
    assert q.dtype == (torch.int8 if fmt == "int8" else torch.float8_e4m3fn) and scale.shape == (16, 1, 1, 1)
    back = q.float() * scale
    amax = w.abs().flatten(1).amax(1).view(-1, 1, 1, 1)
    # Per output channel, the error is a fraction of that channel's own range (not the tensor's).
    assert ((back - w).abs() <= max_rel * amax + 1e-12).all()


def make_generator() -> Generator:
    torch.manual_seed(3)
    g = Generator(get_config("test")).eval()
    with torch.no_grad():  # non-zero FiLM so every layer matters
        for block in g.blocks:
            block.film.weight.normal_(0, 0.05)
    return g


def generate(module, kind: str, dtype=torch.float32, n: int = 4, size: int = 32) -> np.ndarray:
    cfg = get_config("test")
    cells = size // cfg.stride
    noise = torch.stack([make_noise(s, cfg.noise_channels, cells, cells) for s in range(n)])
    text = nn.functional.normalize(torch.randn(n, cfg.text_dim, generator=torch.Generator().manual_seed(1)), dim=1)
    with torch.no_grad():
        images = module(text, noise.to(dtype).contiguous(memory_format=torch.channels_last),
                        torch.full((n,), KIND_INDEX[kind]))
    return to_rgba8(images, opaque=kind == "texture").numpy()


def test_handler_swaps_every_conv_and_linear_and_keeps_quality():
    g = make_generator()
    handler = WeightOnlyHandler("int8")
    state = handler.quantized_state_dict(g)
    assert all(v.dtype == torch.int8 for k, v in state.items() if k.endswith(".q"))
    n_layers = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in g.modules())
    converted = handler.convert(make_generator())
    assert not any(isinstance(m, (nn.Conv2d, nn.Linear)) for m in converted.modules())
    assert sum(isinstance(m, (WeightOnlyConv2d, WeightOnlyLinear)) for m in converted.modules()) == n_layers
    for kind in ("texture", "sprite"):
        assert psnr_visible_db(generate(converted, kind), generate(g, kind)) >= MIN_PSNR_DB


def test_quantized_textures_still_tile():
    # Circular padding must survive the swap: the texture's wrap seam is no rougher than its inside.
    module = prepare_generator(make_generator(), plan_for("int8", CPU), CPU)
    tex = generate(module, "texture", n=2, size=64)[..., :3].astype(np.float64)
    inside = np.abs(np.diff(tex, axis=2)).mean()
    seam = np.abs(tex[:, :, 0] - tex[:, :, -1]).mean()
    assert seam <= 2.0 * inside


@pytest.mark.parametrize("name", ["fp32", "bf16", "int8"])
def test_each_cpu_precision_runs_and_is_scored(name):
    g = make_generator()
    plan = plan_for(name, CPU)
    module = prepare_generator(g, plan, CPU)
    out = generate(module, "sprite", dtype=plan.dtype)
    assert out.shape == (4, 32, 32, 4) and out.dtype == np.uint8
    score = psnr_visible_db(out, generate(g, "sprite"))
    if name == "fp32":
        # Same maths; channels_last weights pick other kernels, so float rounding may flip a
        # level (measured max |diff| 6e-8 before rounding to uint8).
        assert np.abs(out.astype(int) - generate(g, "sprite").astype(int)).max() <= 1 and score >= 50
    else:
        assert 20.0 < score < math.inf
    # prepare_generator never touches the fp32 original.
    assert next(g.parameters()).dtype == torch.float32


def test_fp8_needs_a_recent_gpu_and_unknown_names_are_refused():
    with pytest.raises(ValueError, match="compute capability 8.9"):
        plan_for("fp8", CPU)
    with pytest.raises(ValueError, match="fp32, bf16, int8, fp8"):
        plan_for("fp4", CPU)
    assert auto_candidates(CPU)[-1] == "fp32"  # auto can always fall back to the reference


def test_the_precision_gate_scores_what_users_see():
    """Colour under alpha 0 is invisible (and bled from whichever pixel is nearest): moving it does
    not lower the visible PSNR, while a visible change does."""
    from plugin_service.service.quantize import psnr_visible_db

    a = np.zeros((8, 8, 4), np.uint8)
    a[2:6, 2:6] = (200, 100, 50, 255)
    b = a.copy()
    b[0, 0, :3] = (255, 255, 255)                  # hidden colour: alpha is 0 there
    assert psnr_visible_db(a, b) == math.inf and psnr_db(a, b) < 40
    b[3, 3, 0] = 100                               # a visible change
    assert psnr_visible_db(a, b) < math.inf
