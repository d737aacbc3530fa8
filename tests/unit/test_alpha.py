"""Alpha bleeding: the colour under alpha 0 is the nearest visible colour, on the served pixels
(postprocess) and on every DDS mip level, so an engine's straight-alpha filtering stays clean."""
from __future__ import annotations

import numpy as np
import torch

from plugin_service.formats.alpha import bleed_alpha, nearest_visible
from plugin_service.formats.mips import mip_chain
from plugin_service.model.config import KIND_INDEX, get_config
from plugin_service.model.generator import Generator, make_noise
from plugin_service.service.postprocess import rgba8_on_device


def brute_force_nearest_distance(alpha: np.ndarray) -> np.ndarray:
    """[H, W] -> distance of every pixel to its nearest alpha > 0 pixel (O(N^2), exact)."""
    vy, vx = np.nonzero(alpha > 0)
    yy, xx = np.mgrid[: alpha.shape[0], : alpha.shape[1]]
    d = (yy[..., None] - vy) ** 2 + (xx[..., None] - vx) ** 2
    return np.sqrt(d.min(-1))


def test_jump_flooding_finds_the_nearest_visible_pixel():
    rng = np.random.default_rng(0)
    for trial in range(6):
        alpha = np.zeros((32, 32), np.uint8)
        cy, cx, r = rng.integers(8, 24, 2).tolist() + [int(rng.integers(3, 8))]
        yy, xx = np.mgrid[:32, :32]
        alpha[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = 200
        alpha[rng.random((32, 32)) < 0.01] = 90          # scattered specks far from the figure
        index, found = nearest_visible(torch.from_numpy(alpha)[None])
        assert bool(found.all())
        idx = index[0].numpy()
        got = np.sqrt((idx // 32 - yy) ** 2 + (idx % 32 - xx) ** 2)
        assert np.allclose(got, brute_force_nearest_distance(alpha)), trial


def test_bleed_keeps_visible_pixels_and_fills_the_rest():
    rgba = torch.zeros(2, 16, 16, 4, dtype=torch.uint8)
    rgba[0, 4:8, 4:8] = torch.tensor([200, 10, 30, 255], dtype=torch.uint8)
    rgba[0, 0, 15, :3] = 77                       # colour under alpha 0: must be replaced
    out = bleed_alpha(rgba)
    assert torch.equal(out[..., 3], rgba[..., 3])
    assert torch.equal(out[0, 4:8, 4:8], rgba[0, 4:8, 4:8])
    assert (out[0, ..., :3] == torch.tensor([200, 10, 30], dtype=torch.uint8)).all()
    assert (out[1] == 0).all()                     # nothing visible: RGB 0


def served_sprites(count: int = 8) -> np.ndarray:
    torch.manual_seed(0)
    g = Generator(get_config("test")).eval()
    with torch.no_grad():
        for p in g.parameters():                   # a random model whose alpha has a silhouette
            p.add_(torch.randn_like(p) * 0.3)
        text = torch.nn.functional.normalize(torch.randn(count, 384), dim=1)
        noise = torch.stack([make_noise(s, g.config.noise_channels, 16, 16) for s in range(count)])
        images = g(text, noise, torch.full((count,), KIND_INDEX["sprite"]))
    return rgba8_on_device(images, opaque=False).numpy()


def edge_ring(alpha: np.ndarray) -> np.ndarray:
    """alpha-0 pixels with a visible 4-neighbour."""
    vis = alpha > 0
    near = np.zeros_like(vis)
    near[1:] |= vis[:-1]
    near[:-1] |= vis[1:]
    near[:, 1:] |= vis[:, :-1]
    near[:, :-1] |= vis[:, 1:]
    return near & ~vis


def test_served_sprites_carry_the_nearest_visible_colour_under_alpha_zero():
    sprites = served_sprites()
    diffs = []
    for im in sprites:
        ring = edge_ring(im[..., 3])
        assert ring.any() and (im[..., 3] > 0).any()
        dist = brute_force_nearest_distance(im[..., 3])
        vy, vx = np.nonzero(im[..., 3] > 0)
        for y, x in zip(*np.nonzero(ring)):
            d2 = (vy - y) ** 2 + (vx - x) ** 2
            nearest = d2 == d2.min()
            assert np.isclose(np.sqrt(d2.min()), dist[y, x])
            # ties: the closest of the equally near visible colours
            diffs.append(np.abs(im[vy[nearest], vx[nearest], :3].astype(int) - im[y, x, :3]).sum(-1).min() / 3)
    assert np.mean(diffs) <= 2.0


def downscale(x: np.ndarray) -> np.ndarray:
    return (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2]) / 4


def antialiased_sprites(count: int = 6) -> np.ndarray:
    """Figures as art has them: smooth colour inside, an anti-aliased edge (alpha = coverage),
    and random colour under alpha 0 (as a GAN leaves it)."""
    rng = np.random.default_rng(1)
    yy, xx = (np.mgrid[:64, :64] + 0.5) / 64
    out = []
    for _ in range(count):
        cy, cx, r = rng.uniform(0.35, 0.65), rng.uniform(0.35, 0.65), rng.uniform(0.15, 0.3)
        coverage = np.clip((r - np.hypot(yy - cy, xx - cx)) * 64 + 0.5, 0, 1)
        base = rng.uniform(40, 215, 3)
        rgb = base + 40 * np.stack((yy - cy, xx - cx, yy - cx), -1) / r
        rgb = np.where(coverage[..., None] > 0, rgb, rng.uniform(0, 255, (64, 64, 3)))
        out.append(np.concatenate((np.clip(rgb, 0, 255), coverage[..., None] * 255), -1).round().astype(np.uint8))
    return np.stack(out)


def straight_vs_premultiplied_p99(sprites: np.ndarray) -> float:
    """99th percentile over edge pixels of |straight-alpha 2x downscale on white - premultiplied|, in /255."""
    errors = []
    for im in sprites.astype(np.float64) / 255:
        rgb, a = im[..., :3], im[..., 3:]
        a2 = downscale(a)
        on_white_straight = downscale(rgb) * a2 + (1 - a2)    # what an engine's straight-alpha mip does
        on_white_premul = downscale(rgb * a) + (1 - a2)       # the right answer
        edge = (a2[..., 0] > 0) & (a2[..., 0] < 1)
        errors.append(np.abs(on_white_straight - on_white_premul).max(-1)[edge])
    return float(np.percentile(np.concatenate(errors), 99) * 255)


def test_straight_alpha_downscale_matches_premultiplied_on_white():
    raw = antialiased_sprites()
    bled = bleed_alpha(torch.from_numpy(raw)).numpy()
    assert straight_vs_premultiplied_p99(raw) > 20           # the fault: colour under alpha 0 leaks in
    assert straight_vs_premultiplied_p99(bled) <= 20


def test_every_mip_level_is_bled():
    sprite = served_sprites(1)[0]
    levels = mip_chain(sprite, wrap=False, premultiply=True)
    for level in levels[1:4]:
        alpha = level[..., 3]
        if not (alpha > 0).any() or (alpha > 0).all():
            continue
        rebled = bleed_alpha(torch.from_numpy(level)[None])[0].numpy()
        assert np.array_equal(rebled, level)            # already bled: nothing left to fill
        assert (level[..., :3][alpha == 0] > 0).any()   # and not zeroed
