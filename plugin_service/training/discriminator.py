"""Projection discriminator with an auxiliary category head (training only, never served).

Three signals from one trunk:
  * realism (hinge),
  * text match: projection of the caption embedding onto the image features, so a real image
    with a mismatched caption scores low (matching-aware loss),
  * category logits (AC-GAN style): tells the generator which coarse category it must look like.

Before pooling, a minibatch standard deviation channel (Karras et al. 2018, ProGAN) lets D see
how alike the images of a group are, so a generator that gives one picture for every seed is
caught. Groups are MBSTD_GROUP consecutive items: keep real and fake in separate groups (a batch
of real then fake, each a multiple of the group size).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm

from plugin_service.model.config import KINDS

MBSTD_GROUP = 4


def minibatch_std(h: torch.Tensor, group: int = MBSTD_GROUP) -> torch.Tensor:
    """[B, C, H, W] -> [B, C + 1, H, W]: appends the mean std over each group of `group`
    consecutive items (one group of B when B is not a multiple of `group`)."""
    b, c, hh, ww = h.shape
    g = group if b % group == 0 else b
    std = h.float().view(b // g, g, c, hh, ww).var(dim=1, unbiased=False).add(1e-8).sqrt().mean(dim=(1, 2, 3))  # [B / g]
    return torch.cat((h, std.to(h.dtype).repeat_interleave(g).view(b, 1, 1, 1).expand(b, 1, hh, ww)), dim=1)


class DownBlock(nn.Module):
    """Strided conv first, then a 3x3 at the lower resolution: on 2 CPU cores the discriminator
    costs more than the generator unless little work happens at full resolution."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.down = spectral_norm(nn.Conv2d(cin, cout, 4, stride=2, padding=1))
        self.conv = spectral_norm(nn.Conv2d(cout, cout, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: [B, cin, h, w] -> [B, cout, h/2, w/2]
        y = F.leaky_relu(self.down(x), 0.2)
        return y + self.conv(F.leaky_relu(y, 0.2))


class Discriminator(nn.Module):
    def __init__(self, num_categories: int, text_dim: int = 384, channels: tuple[int, ...] = (16, 32, 64, 128, 192)) -> None:
        super().__init__()
        self.stem = spectral_norm(nn.Conv2d(4, channels[0], 3, padding=1))
        self.blocks = nn.Sequential(*(DownBlock(a, b) for a, b in zip(channels, channels[1:])))
        dim = channels[-1]
        self.final = spectral_norm(nn.Conv2d(dim + 1, dim, 3, padding=1))
        self.realism = spectral_norm(nn.Linear(dim, 1))
        self.text_proj = spectral_norm(nn.Linear(text_dim, dim))
        self.kind_proj = nn.Embedding(len(KINDS), dim)
        self.category = nn.Linear(dim, num_categories)

    def features(self, image: torch.Tensor) -> torch.Tensor:
        # image: [B, 4, 64, 64] -> [B, dim]
        h = F.leaky_relu(self.blocks(self.stem(image)), 0.2)
        return F.leaky_relu(self.final(minibatch_std(h)), 0.2).sum(dim=(2, 3))

    def score(self, h: torch.Tensor, text_emb: torch.Tensor, kind: torch.Tensor) -> torch.Tensor:
        """Realism + text match + kind match of features h: [B]. Cheap, so a mismatched caption
        is judged on the same features without a second pass through the trunk."""
        return self.realism(h).squeeze(1) + (self.text_proj(text_emb) * h).sum(1) + (self.kind_proj(kind) * h).sum(1)

    def forward(self, image: torch.Tensor, text_emb: torch.Tensor, kind: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # image: [B, 4, 64, 64]; returns (score [B], category logits [B, C])
        h = self.features(image)
        return self.score(h, text_emb, kind), self.category(h)
