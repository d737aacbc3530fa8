"""Colour names of images: one definition for caption augmentation and the attribute evaluation.

The dominant hue is the saturation-weighted circular mean of the HSV hue of the visible pixels
(alpha >= 50%); an image whose visible pixels have mean saturation below MIN_SATURATION has no
hue name. The hue centres are the conventional colour-wheel angles (red 0, orange 30, yellow 60,
green 120, blue 220, purple 280 degrees); an image is named after the nearest centre.

Training uses the same names two ways: hue_rotate recolours a real image to a colour word's
centre (so "blue goblin" has real examples), and hue_loss tells the generator how far its image's
colour is from the word it was asked for.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

HUE_CENTRES: dict[str, float] = {"red": 0.0, "orange": 30.0, "yellow": 60.0, "green": 120.0, "blue": 220.0, "purple": 280.0}
MIN_SATURATION = 0.25


def hsv(rgb: torch.Tensor, dim: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """HSV of RGB in [0, 1] along dimension dim (3 long): (hue in degrees [0, 360), saturation, value,
    chroma = max - min), each without that dimension. The standard hexcone formula; a grey pixel
    (chroma 0) has hue 0 and saturation 0."""
    r, g, b = rgb.unbind(dim)
    v, mn = rgb.amax(dim), rgb.amin(dim)
    chroma = v - mn
    s = torch.where(v > 0, chroma / v.clamp(min=1e-6), torch.zeros_like(v))
    d = chroma.clamp(min=1e-6)
    h = torch.where(v == r, ((g - b) / d) % 6, torch.where(v == g, (b - r) / d + 2, (r - g) / d + 4)) * 60.0
    return h, s, v, chroma


def dominant_hue(rgba: np.ndarray) -> tuple[float, float] | None:
    """rgba: [H, W, 4] (or [H, W, 3]) uint8 -> (hue in degrees [0, 360), mean saturation), or None
    when fewer than 16 pixels are visible."""
    px = rgba.reshape(-1, rgba.shape[-1]).astype(np.float32) / 255.0
    if px.shape[1] == 4:
        px = px[px[:, 3] >= 0.5]
    if len(px) < 16:
        return None
    hue, sat, _, delta = (t.numpy() for t in hsv(torch.from_numpy(px[:, :3]), dim=1))
    w = sat * (delta > 1e-6)
    if w.sum() <= 0:
        return 0.0, 0.0
    rad = np.deg2rad(hue)
    angle = np.rad2deg(np.arctan2((w * np.sin(rad)).sum(), (w * np.cos(rad)).sum())) % 360.0
    return float(angle), float(sat.mean())


def hue_name(hue: float) -> str:
    """Nearest HUE_CENTRES name of a hue in degrees."""
    return min(HUE_CENTRES, key=lambda n: min(abs(hue - HUE_CENTRES[n]), 360 - abs(hue - HUE_CENTRES[n])))


def clear_hue(rgba: np.ndarray) -> float | None:
    """The dominant hue of an image's visible pixels in degrees, or None if they are too grey
    (mean saturation below MIN_SATURATION) or too few."""
    h = dominant_hue(rgba)
    return None if h is None or h[1] < MIN_SATURATION else h[0]


def colour_name(rgba: np.ndarray) -> str | None:
    """The colour word of an image's visible pixels, or None if they are too grey or too few."""
    h = clear_hue(rgba)
    return None if h is None else hue_name(h)


# ---- torch: recolouring real images and a differentiable hue for the generator -------------

MIN_CHROMA = 0.15  # mean chroma vector length under which hue_loss also asks for more colour:
                   # saturation 0.25 (MIN_SATURATION) at value 0.6 is chroma 0.15


def hue_rotate(images: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Shift the HSV hue of every pixel by an angle; saturation, value and alpha stay.

    images: [B, C, H, W] uint8, C = 3 or 4; degrees: [B] float. Returns uint8 of the same shape.
    A constant shift moves dominant_hue by exactly that angle (it is a circular mean of hues).
    HSV -> RGB is the standard piecewise formula (f(n) = v - v s max(0, min(k, 4 - k, 1)),
    k = (n + h / 60) mod 6, n = 5, 3, 1)."""
    x = images.float() / 255.0
    h, s, v, chroma = hsv(x[:, :3], dim=1)
    h = (h + degrees.view(-1, 1, 1).float()) % 360.0
    k = [(n + h / 60.0) % 6 for n in (5, 3, 1)]
    rgb = torch.stack([v - v * s * kn.minimum(4 - kn).clamp(0, 1) for kn in k], 1)
    rgb = torch.where((chroma > 1e-6).unsqueeze(1), rgb, x[:, :3])  # grey pixels have no hue to move
    return torch.cat(((rgb * 255.0).round().clamp(0, 255), x[:, 3:] * 255.0), 1).to(torch.uint8)


def _mean_chroma(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """x: [B, 4, H, W] straight-alpha RGBA in [-1, 1] -> the alpha-weighted mean chroma vector
    (r - (g + b) / 2, sqrt(3) / 2 (g - b)) of each image as (a, b, length), each [B]: its angle is the
    hue (hexagonal approximation of HSV), its length the chroma."""
    rgb, a = (x[:, :3].float() + 1) / 2, (x[:, 3].float() + 1) / 2
    r, g, b = rgb.unbind(1)
    w = a / a.sum(dim=(1, 2), keepdim=True).clamp(min=1e-6)
    ca = (w * (r - (g + b) / 2)).sum(dim=(1, 2))
    cb = (w * (g - b)).sum(dim=(1, 2)) * (3 ** 0.5 / 2)
    return ca, cb, (ca * ca + cb * cb + 1e-8).sqrt()


def _cos_to(ca: torch.Tensor, cb: torch.Tensor, length: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    t = torch.deg2rad(degrees.float())
    return (ca * t.cos() + cb * t.sin()) / length


def hue_loss(x: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """How far each image's visible colour is from a hue: [B] loss, 0 when on target.

    x: [B, 4, H, W] straight-alpha RGBA in [-1, 1] (a generator's output); degrees: [B] target hues.
    loss = 1 - cos(angle - target) + max(0, MIN_CHROMA - length) / MIN_CHROMA for the mean chroma
    vector's angle and length (_mean_chroma), so a grey image is pushed towards colour as well as
    turned."""
    ca, cb, length = _mean_chroma(x)
    return 1 - _cos_to(ca, cb, length, degrees) + F.relu(MIN_CHROMA - length) / MIN_CHROMA


CENTRE_SHARPNESS = 20.0  # logit scale of centre_loss: an image on a centre gets p ~ 0.94 of its name against the
                         # 30 degree neighbour and the rest (20 x (1 - cos 30) = 2.7 logits apart)


def centre_loss(x: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """hue_loss scored as the colour word the evaluation reads (hue_name: the nearest centre): [B].

    Cross-entropy of a softmax over HUE_CENTRES, logits CENTRE_SHARPNESS x cos(angle - centre),
    against the centre nearest each target in `degrees`, plus hue_loss's chroma hinge. A 30 degree
    miss (red read as orange) costs about as much as any wrong word (2.7 at the midpoint), where
    hue_loss charges it 1 - cos 30 = 0.13."""
    ca, cb, length = _mean_chroma(x)
    centres = torch.tensor(list(HUE_CENTRES.values()), device=x.device)
    logits = CENTRE_SHARPNESS * torch.stack([_cos_to(ca, cb, length, c.expand_as(ca)) for c in centres], 1)
    gap = (degrees.float().view(-1, 1) - centres.view(1, -1)).remainder(360.0)
    target = torch.minimum(gap, 360.0 - gap).argmin(1)
    return F.cross_entropy(logits, target, reduction="none") + F.relu(MIN_CHROMA - length) / MIN_CHROMA
