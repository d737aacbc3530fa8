"""Material maps (service/materials.py) tile exactly like their albedo, and mean what they say."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from plugin_service.service.materials import material_maps

MAPS = ("albedo", "normal", "height", "roughness")


def tileable_albedo(size: int = 64, seed: int = 0) -> np.ndarray:
    """[1, H, W, 4] uint8 made of whole periods of random sinusoids: seamless by construction."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size * 2 * np.pi
    rgb = np.zeros((size, size, 3))
    for _ in range(6):
        fx, fy = rng.integers(1, 6, size=2)
        rgb += rng.uniform(0.2, 1, size=3) * np.sin(fx * x + fy * y + rng.uniform(0, 6))[..., None]
    rgb = (rgb - rgb.min()) / (rgb.max() - rgb.min()) * 255
    rgba = np.dstack([rgb.round().astype(np.uint8), np.full((size, size), 255, np.uint8)])
    return rgba[None]


def maps_of(albedo: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v.numpy() for k, v in material_maps(torch.from_numpy(albedo), MAPS).items()}


@pytest.mark.parametrize("shift", [(1, 0), (0, 1), (17, 29), (32, 5)])
def test_every_map_wraps_seamlessly(shift):
    """Rolling the albedo (= looking at another window of the tiled plane) rolls every map by the
    same amount, exactly: the maps have no seam and the albedo's period."""
    albedo = tileable_albedo()
    rolled = np.roll(albedo, shift, axis=(1, 2))
    plain, moved = maps_of(albedo), maps_of(rolled)
    for name in MAPS:
        assert np.array_equal(np.roll(plain[name], shift, axis=(1, 2)), moved[name]), f"{name} has a seam"


def test_seam_steps_look_like_inside_steps():
    """The classic seam metric too: the step across the wrap edge is no bigger than inside."""
    for name, m in maps_of(tileable_albedo(seed=3)).items():
        p = m[0, ..., :3].astype(np.float64)
        inside = np.abs(np.diff(p, axis=1)).mean()
        seam = np.abs(p[:, 0] - p[:, -1]).mean()
        assert seam <= 1.5 * inside + 1e-9, f"{name}: seam {seam:.2f} vs inside {inside:.2f}"


def test_normals_are_unit_and_point_uphill_in_unity_convention():
    size = 64
    ramp = np.tile(np.linspace(0, 255, size), (size, 1))        # brighter (higher) to the right
    albedo = np.dstack([ramp] * 3 + [np.full((size, size), 255)]).astype(np.uint8)[None]
    normal = maps_of(albedo)["normal"][0, 8:-8, 8:-8, :3].astype(np.float64) / 255 * 2 - 1
    lengths = np.linalg.norm(normal, axis=-1)
    assert np.allclose(lengths, 1, atol=0.02)
    assert (normal[..., 0] < -0.05).all(), "height rising to the right tilts the normal to -x"
    assert np.abs(normal[..., 1]).max() < 0.02 and (normal[..., 2] > 0).all()

    ramp_down = np.tile(np.linspace(0, 255, size)[:, None], (1, size))  # higher towards the bottom row
    albedo = np.dstack([ramp_down] * 3 + [np.full((size, size), 255)]).astype(np.uint8)[None]
    normal = maps_of(albedo)["normal"][0, 8:-8, 8:-8, :3].astype(np.float64) / 255 * 2 - 1
    # +Y is up in texture space: a surface rising downwards (towards -Y) tilts its normal to +Y.
    assert (normal[..., 1] > 0.05).all()


def test_height_follows_brightness_and_roughness_follows_contrast():
    size = 64
    albedo = np.full((1, size, size, 4), 255, np.uint8)
    albedo[0, :, : size // 2, :3] = 40                     # dark left half
    rng = np.random.default_rng(0)
    albedo[0, size // 2 :, :, :3] = rng.integers(0, 255, (size // 2, size, 1))  # busy bottom half
    maps = maps_of(albedo)
    height = maps["height"][0, ..., 0].astype(float)
    assert height[:16, 40:56].mean() > height[:16, 8:24].mean() + 100
    rough = maps["roughness"][0, ..., 0].astype(float)
    assert rough[48:, 8:56].mean() > rough[4:20, 4:20].mean() + 50
    assert maps["height"][0, ..., 3].min() == 255 and (maps["height"][0, ..., 0] == maps["height"][0, ..., 2]).all()


def test_unknown_map_is_refused():
    with pytest.raises(ValueError, match="specular"):
        material_maps(torch.zeros((1, 8, 8, 4), dtype=torch.uint8), ("specular",))
