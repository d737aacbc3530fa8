"""Alpha bleeding: the colour under alpha 0 becomes the colour of the nearest visible pixel.

An engine samples textures with bilinear filtering and builds or loads mips with straight alpha,
so the colour of a transparent pixel next to a sprite's silhouette is mixed into the edge: random
or black colour there shows as a fringe. Importers usually fix this (Unity's "Alpha Is
Transparency"); assets made at runtime get no importer, so the service delivers them already
bled. Visible alpha is untouched; only the RGB of alpha-0 pixels changes.

Method: jump flooding (Rong and Tan 2006, "Jump flooding in GPU with applications to Voronoi
diagram and distance transform") with one extra step-1 pass (JFA+1), which finds the nearest
visible pixel (Euclidean) for every pixel in log2(size) + 1 passes of 9 neighbour lookups.
Fixed shapes, no host sync and no data-dependent control flow: the runner records it inside the
CUDA graph after the generator, and the DDS mip chain reuses it on the CPU for every level.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

_FAR = -1.0e6   # coordinate of "no seed yet": its squared distance beats nothing


def _shifted(t: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """out[:, y, x] = t[:, y + dy, x + dx], or _FAR outside the image (no wrap-around)."""
    h, w = t.shape[1:]
    p = F.pad(t, (abs(dx), abs(dx), abs(dy), abs(dy)), value=_FAR)
    return p[:, abs(dy) + dy: abs(dy) + dy + h, abs(dx) + dx: abs(dx) + dx + w]


def nearest_visible(alpha: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """alpha: [B, H, W] -> (flat index y * W + x of the nearest pixel with alpha > 0 [B, H, W] int64,
    found [B, H, W] bool: False only in an image with no visible pixel).

    Neighbour by neighbour rather than all nine stacked: 39 vs 142 ms for 32 64x64 images on one
    CPU thread (measured 2026-11-30), since the stacked form moves 9x the memory per step."""
    b, h, w = alpha.shape
    ys = torch.arange(h, device=alpha.device, dtype=torch.float32).view(1, h, 1).expand(b, h, w)
    xs = torch.arange(w, device=alpha.device, dtype=torch.float32).view(1, 1, w).expand(b, h, w)
    visible = alpha > 0
    sy = torch.where(visible, ys, torch.full_like(ys, _FAR))
    sx = torch.where(visible, xs, torch.full_like(xs, _FAR))
    best = (sy - ys) ** 2 + (sx - xs) ** 2
    steps, step = [], 1
    while step < max(h, w):
        steps.insert(0, step)
        step *= 2
    for step in steps + [1]:
        for dy in (-step, 0, step):
            for dx in (-step, 0, step):
                if dy == 0 and dx == 0:
                    continue
                cy, cx = _shifted(sy, dy, dx), _shifted(sx, dy, dx)
                d = (cy - ys) ** 2 + (cx - xs) ** 2
                better = d < best
                sy, sx, best = torch.where(better, cy, sy), torch.where(better, cx, sx), torch.where(better, d, best)
    found = sy >= 0
    index = (sy.clamp(min=0) * w + sx.clamp(min=0)).long()
    return index, found


def bleed_alpha(rgba: torch.Tensor) -> torch.Tensor:
    """[B, H, W, 4] (uint8 or float, straight alpha) -> the same with the RGB of every alpha-0
    pixel replaced by the RGB of the nearest pixel with alpha > 0. An image with no visible
    pixel gets RGB 0 under its alpha 0."""
    b, h, w, _ = rgba.shape
    alpha = rgba[..., 3]
    index, found = nearest_visible(alpha)
    rgb = rgba[..., :3].reshape(b, h * w, 3)
    bled = rgb.gather(1, index.view(b, h * w, 1).expand(b, h * w, 3)).view(b, h, w, 3)
    keep = (alpha > 0).unsqueeze(-1)
    bled = torch.where(found.unsqueeze(-1), bled, torch.zeros_like(bled))
    return torch.cat((torch.where(keep, rgba[..., :3], bled), rgba[..., 3:]), dim=-1)
