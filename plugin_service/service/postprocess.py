"""Generator output -> uint8 pixels, on the device that computed them (docs/DESIGN.md, "Data flow": GPU work stays on
the GPU until the final uint8 copy, so only a quarter of the bytes cross to the host).

images: [B, 4, H, W] float in [-1, 1], straight (not premultiplied) alpha, as Generator.forward
returns them. Out: [B, H, W, 4] uint8, rows top to bottom, ready for PNG or raw RGBA8; sprites
and props have the colour under alpha 0 bled from the nearest visible pixel.

`rgba8_on_device` is capture-safe (no boolean indexing, no host sync, no data-dependent shapes),
so the CUDA-graph runner records it inside the graph right after the generator.
"""
from __future__ import annotations

import torch

from ..formats.alpha import bleed_alpha

# Alpha below this (of 255) is snapped to exactly 0: a GAN's tanh never reaches -1 exactly, and a
# faint 1-3% haze around a sprite shows as a dirty rectangle in a game. The model card counts a
# border pixel as transparent by the same threshold.
TRANSPARENT_BELOW = 8


def rgba8_on_device(images: torch.Tensor, opaque: bool) -> torch.Tensor:
    """[B, 4, H, W] in [-1, 1] -> [B, H, W, 4] uint8 on the same device (contiguous NHWC)."""
    if images.dim() != 4 or images.shape[1] != 4:
        raise ValueError(f"expected [B, 4, H, W] images, got {tuple(images.shape)}")
    pixels = ((images.float() + 1.0) * 127.5).round_().clamp_(0, 255).to(torch.uint8)  # [B, 4, H, W]
    alpha = pixels[:, 3:4]                                                              # [B, 1, H, W]
    if opaque:
        # The generator already makes texture alpha exactly 1; this pins it even if a quantized
        # or compiled runner drifts by a rounding step.
        alpha = torch.full_like(alpha, 255)
        return torch.cat((pixels[:, :3], alpha), dim=1).permute(0, 2, 3, 1).contiguous()
    alpha = alpha.masked_fill(alpha < TRANSPARENT_BELOW, 0)
    # NHWC in one contiguous buffer: the host copy is then a single memcpy. The colour under
    # alpha 0 is bled from the nearest visible pixel (formats/alpha.py), so an engine's filtering
    # and mips do not mix arbitrary colour into the silhouette.
    return bleed_alpha(torch.cat((pixels[:, :3], alpha), dim=1).permute(0, 2, 3, 1)).contiguous()


def to_rgba8(images: torch.Tensor, opaque: bool) -> torch.Tensor:
    """[B, 4, H, W] in [-1, 1] -> [B, H, W, 4] uint8 on the CPU. `opaque` forces alpha to 255 (textures)."""
    return rgba8_on_device(images, opaque).cpu()
