"""Mip chains: each level half the size of the one above, down to 1x1.

Box filter (the mean of each 2x2 block); an odd side uses a [1, 2, 1] / 4 tent so no pixel is
dropped. Tileable textures read their neighbours across the wrap seam (mode "wrap"), so every
level tiles like the full-size texture; sprites clamp at the edge instead.

Sprites and props are filtered with premultiplied alpha: averaging straight-alpha colours lets
the (arbitrary) colour of transparent pixels bleed into the silhouette's edge as a dark or
coloured fringe at small mip levels.

Levels are computed from the float level above and rounded only when emitted, so rounding
errors do not accumulate down the chain. Colour is filtered in linear light, normals as unit
vectors (SPACES). With premultiplied alpha every emitted level has the
colour under alpha 0 bled from its nearest visible pixel (alpha.py), as level 0 has.
"""
from __future__ import annotations

import numpy as np
import torch

from .alpha import bleed_alpha


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


# What the RGB values of a level mean, and so where they are averaged: "srgb" colour is averaged
# in linear light (averaging the encoded values darkens every level); "linear" data (height,
# roughness) as it is; "normal" maps as vectors, renormalised to unit length on every level.
SPACES = ("srgb", "linear", "normal")


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] -> linear light (IEC 61966-2-1 transfer function)."""
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def _decode(rgb: np.ndarray, space: str) -> np.ndarray:
    """uint8-valued RGB (float) -> the values that average correctly."""
    if space == "srgb":
        return srgb_to_linear(rgb / 255.0)
    if space == "normal":
        return rgb / 127.5 - 1.0
    return rgb / 255.0


def _encode(values: np.ndarray, space: str) -> np.ndarray:
    if space == "srgb":
        return linear_to_srgb(values) * 255.0
    if space == "normal":
        norm = np.linalg.norm(values, axis=-1, keepdims=True)
        flat = np.broadcast_to(np.array([0.0, 0.0, 1.0]), values.shape)   # a fully cancelled normal points up
        values = np.where(norm > 1e-6, values / np.maximum(norm, 1e-6), flat)
        return (values + 1.0) * 127.5
    return values * 255.0


def mip_chain(pixels: np.ndarray, wrap: bool, premultiply: bool, space: str = "srgb") -> list[np.ndarray]:
    """pixels: [H, W, 4] uint8 -> [level 0 (the input), level 1, ..., 1x1], each [h, w, 4] uint8.

    space: how RGB is averaged (SPACES). Alpha is coverage, always averaged as it is; with
    premultiply the colour is weighted by it (in the averaging space)."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 4:
        raise ValueError(f"expected [H, W, 4] uint8 pixels, got {pixels.shape} {pixels.dtype}")
    if space not in SPACES:
        raise ValueError(f"mip space must be one of {SPACES}, got {space!r}")
    levels = [pixels]
    current = pixels.astype(np.float64)
    current[..., :3] = _decode(current[..., :3], space)
    alpha0 = current[..., 3:4] / 255.0
    if premultiply:
        current[..., :3] *= alpha0
    for _ in range(mip_count(pixels.shape[1], pixels.shape[0]) - 1):
        current = _halve(_halve(current, 0, wrap), 1, wrap)
        out = current.copy()
        if premultiply:
            alpha = out[..., 3:4] / 255.0
            out[..., :3] = np.where(alpha > 0, out[..., :3] / np.maximum(alpha, 1e-9), 0.0)
        out[..., :3] = _encode(out[..., :3], space)
        level = np.clip(np.rint(out), 0, 255).astype(np.uint8)
        if premultiply:
            level = bleed_alpha(torch.from_numpy(level)[None])[0].numpy()
        levels.append(level)
    return levels
