"""Colour names of images: one definition for caption augmentation and the attribute evaluation.

The dominant hue is the saturation-weighted circular mean of the HSV hue of the visible pixels
(alpha >= 50%); an image whose visible pixels have mean saturation below MIN_SATURATION has no
hue name. The hue centres are the conventional colour-wheel angles (red 0, orange 30, yellow 60,
green 120, blue 220, purple 280 degrees); an image is named after the nearest centre.
"""
from __future__ import annotations

import numpy as np

HUE_CENTRES: dict[str, float] = {"red": 0.0, "orange": 30.0, "yellow": 60.0, "green": 120.0, "blue": 220.0, "purple": 280.0}
MIN_SATURATION = 0.25


def dominant_hue(rgba: np.ndarray) -> tuple[float, float] | None:
    """rgba: [H, W, 4] (or [H, W, 3]) uint8 -> (hue in degrees [0, 360), mean saturation), or None
    when fewer than 16 pixels are visible."""
    px = rgba.reshape(-1, rgba.shape[-1]).astype(np.float32) / 255.0
    if px.shape[1] == 4:
        px = px[px[:, 3] >= 0.5]
    if len(px) < 16:
        return None
    rgb = px[:, :3]
    mx, mn = rgb.max(1), rgb.min(1)
    delta = mx - mn
    sat = np.where(mx > 0, delta / np.maximum(mx, 1e-6), 0.0)
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    d = np.maximum(delta, 1e-6)
    hue = np.where(mx == r, ((g - b) / d) % 6, np.where(mx == g, (b - r) / d + 2, (r - g) / d + 4)) * 60.0
    w = sat * (delta > 1e-6)
    if w.sum() <= 0:
        return 0.0, 0.0
    rad = np.deg2rad(hue)
    angle = np.rad2deg(np.arctan2((w * np.sin(rad)).sum(), (w * np.cos(rad)).sum())) % 360.0
    return float(angle), float(sat.mean())


def hue_name(hue: float) -> str:
    """Nearest HUE_CENTRES name of a hue in degrees."""
    return min(HUE_CENTRES, key=lambda n: min(abs(hue - HUE_CENTRES[n]), 360 - abs(hue - HUE_CENTRES[n])))


def colour_name(rgba: np.ndarray) -> str | None:
    """The colour word of an image's visible pixels, or None if they are too grey or too few."""
    h = dominant_hue(rgba)
    if h is None or h[1] < MIN_SATURATION:
        return None
    return hue_name(h[0])
