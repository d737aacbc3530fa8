"""Mip chains: each level half the size of the one above, down to 1x1.

Box filter (the mean of each 2x2 block); an odd side uses a [1, 2, 1] / 4 tent so no pixel is
dropped. Tileable textures read their neighbours across the wrap seam (mode "wrap"), so every
level tiles like the full-size texture; sprites clamp at the edge instead.

Sprites and props are filtered with premultiplied alpha: averaging straight-alpha colours lets
the (arbitrary) colour of transparent pixels bleed into the silhouette's edge as a dark or
coloured fringe at small mip levels.

Levels are computed from the float level above and rounded only when emitted, so rounding
errors do not accumulate down the chain.
"""
from __future__ import annotations

import numpy as np


def _halve(level: np.ndarray, axis: int, wrap: bool) -> np.ndarray:
    n = level.shape[axis]
    if n == 1:
        return level
    if n % 2 == 0:
        a = np.take(level, np.arange(0, n, 2), axis=axis)
        b = np.take(level, np.arange(1, n, 2), axis=axis)
        return (a + b) * 0.5
    # Odd side: output j is centred on input 2j+1 with its two neighbours ([1, 2, 1] / 4).
    centre = np.arange(1, n, 2)
    after = (centre + 1) % n if wrap else np.minimum(centre + 1, n - 1)
    return (np.take(level, centre - 1, axis=axis) + 2 * np.take(level, centre, axis=axis)
            + np.take(level, after, axis=axis)) * 0.25


def mip_count(width: int, height: int) -> int:
    return int(max(width, height)).bit_length()


def mip_chain(pixels: np.ndarray, wrap: bool, premultiply: bool) -> list[np.ndarray]:
    """pixels: [H, W, 4] uint8 -> [level 0 (the input), level 1, ..., 1x1], each [h, w, 4] uint8."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 4:
        raise ValueError(f"expected [H, W, 4] uint8 pixels, got {pixels.shape} {pixels.dtype}")
    levels = [pixels]
    current = pixels.astype(np.float32)
    if premultiply:
        current[..., :3] *= current[..., 3:4] / 255.0
    for _ in range(mip_count(pixels.shape[1], pixels.shape[0]) - 1):
        current = _halve(_halve(current, 0, wrap), 1, wrap)
        out = current.copy()
        if premultiply:
            alpha = out[..., 3:4]
            out[..., :3] = np.where(alpha > 0, out[..., :3] * 255.0 / np.maximum(alpha, 1e-6), 0.0)
        levels.append(np.clip(np.rint(out), 0, 255).astype(np.uint8))
    return levels
