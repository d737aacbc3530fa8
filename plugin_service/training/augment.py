"""Differentiable augmentation (DiffAugment: Zhao et al. 2020), applied to real and fake alike
before the discriminator, so a small data set does not teach D to memorise.

Every op works on [B, 4, H, W] RGBA in [-1, 1] and keeps gradients to the generator.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def colour(x: torch.Tensor) -> torch.Tensor:
    rgb, a = x[:, :3], x[:, 3:]
    b = x.shape[0]
    rgb = rgb + (torch.rand(b, 1, 1, 1, device=x.device) - 0.5) * 0.4                  # brightness
    mean = rgb.mean(dim=1, keepdim=True)
    rgb = (rgb - mean) * (torch.rand(b, 1, 1, 1, device=x.device) * 1.2 + 0.4) + mean   # saturation
    mean = rgb.mean(dim=(1, 2, 3), keepdim=True)
    rgb = (rgb - mean) * (torch.rand(b, 1, 1, 1, device=x.device) * 0.6 + 0.7) + mean   # contrast
    return torch.cat((rgb, a), dim=1)


def translate(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Integer shift of up to ratio * size, padding with transparent black."""
    b, _, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sy, sy + 1, (b, 1, 1), device=x.device)
    dx = torch.randint(-sx, sx + 1, (b, 1, 1), device=x.device)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    gy = (gy.unsqueeze(0) + dy + 1).clamp(0, h + 1)
    gx = (gx.unsqueeze(0) + dx + 1).clamp(0, w + 1)
    padded = F.pad(x, (1, 1, 1, 1))
    flat = padded.permute(0, 2, 3, 1).reshape(b, (h + 2) * (w + 2), -1)
    idx = (gy * (w + 2) + gx).reshape(b, -1, 1).expand(-1, -1, x.shape[1])
    return flat.gather(1, idx).reshape(b, h, w, -1).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)


def cutout(x: torch.Tensor, ratio: float = 0.4) -> torch.Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h + 1 - ch % 2, (b, 1, 1), device=x.device)
    cx = torch.randint(0, w + 1 - cw % 2, (b, 1, 1), device=x.device)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    inside = ((gy.unsqueeze(0) - cy).abs() < ch // 2) & ((gx.unsqueeze(0) - cx).abs() < cw // 2)
    mask = (~inside).unsqueeze(1).to(x.dtype)
    return x * mask  # the hole is 0 in every channel, as in DiffAugment


def diff_augment(x: torch.Tensor) -> torch.Tensor:
    return cutout(translate(colour(x)))
