"""Extra generator losses beyond the adversarial game.

grid_penalty: all of a texture's randomness enters on the noise grid (one cell per `stride`
pixels), so the generator tends to put its strongest pixel steps where cells meet and its
smoothest at cell centres: a faint grid of period `stride`. The wrap seam always lies on a cell
edge, so this is also what makes a seam measurably stronger than the inside (eval's seam ratio).
The penalty compares the mean |pixel step| at each phase (x mod stride, y mod stride, wrap
included) with its mean over all phases: 0 when every phase looks alike, as in real textures.
"""
from __future__ import annotations

import torch


def step_profile(images: torch.Tensor, period: int) -> torch.Tensor:
    """images: [B, C, H, W] (periodic) -> [2, period]: mean |step| by phase, horizontal then vertical,
    each divided by its own mean."""
    dx = (images.roll(-1, dims=3) - images).abs().mean(dim=(0, 1, 2))   # [W]: step from x to x+1
    dy = (images.roll(-1, dims=2) - images).abs().mean(dim=(0, 1, 3))   # [H]
    px = dx.view(-1, period).mean(0)
    py = dy.view(-1, period).mean(0)
    return torch.stack((px / px.mean().clamp(min=1e-6), py / py.mean().clamp(min=1e-6)))


def grid_penalty(images: torch.Tensor, period: int) -> torch.Tensor:
    """Mean squared deviation of the step profile from flat; images: textures only, [B, 3, H, W]."""
    if images.shape[0] == 0:
        return images.new_zeros(())
    return (step_profile(images.float(), period) - 1).pow(2).mean()
