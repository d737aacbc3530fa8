"""Projected discriminator (Sauer et al. 2021, "Projected GANs Converge Faster"): small trainable
heads on frozen pretrained features (EfficientNet-Lite0, training/features.py) at three scales.

Each head judges realism and, as the pixel discriminator does, caption match (projection of the
text embedding) and kind match; the deepest also predicts the category. Simplified from the
paper: no random cross-channel / cross-scale mixing layers (measured cost on 2 CPU cores);
the heads are spectrally normalised. Training only, never served.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm

from plugin_service.model.config import KINDS

from .features import DISCRIMINATOR_BACKBONE, FeaturePyramid, load_efficientnet, to_backbone_input

# Blocks of EfficientNet-Lite0 whose outputs feed the heads: strides 4, 8 and 16
# (24, 40 and 112 channels).
TAPS = (2, 4, 10)


class Head(nn.Module):
    def __init__(self, cin: int, text_dim: int, dim: int = 64) -> None:
        super().__init__()
        self.conv1 = spectral_norm(nn.Conv2d(cin, dim, 3, padding=1))
        self.conv2 = spectral_norm(nn.Conv2d(dim, dim, 3, padding=1))
        self.realism = spectral_norm(nn.Linear(dim, 1))
        self.text_proj = spectral_norm(nn.Linear(text_dim, dim))
        self.kind_proj = nn.Embedding(len(KINDS), dim)

    def features(self, f: torch.Tensor) -> torch.Tensor:
        # f: [B, cin, h, w] -> [B, dim]
        h = F.leaky_relu(self.conv1(f), 0.2)
        return F.leaky_relu(self.conv2(h), 0.2).mean(dim=(2, 3))

    def score(self, h: torch.Tensor, text_emb: torch.Tensor, kind: torch.Tensor) -> torch.Tensor:
        return self.realism(h).squeeze(1) + (self.text_proj(text_emb) * h).sum(1) + (self.kind_proj(kind) * h).sum(1)


class ProjectedDiscriminator(nn.Module):
    """features(images) -> per-scale pooled head features; score / category as the pixel D's."""

    def __init__(self, num_categories: int, text_dim: int = 384, backbone: nn.Module | None = None) -> None:
        super().__init__()
        self.pyramid = FeaturePyramid(backbone if backbone is not None else load_efficientnet(DISCRIMINATOR_BACKBONE), TAPS)
        self.heads = nn.ModuleList(Head(c, text_dim) for c in self.pyramid.channels)
        self.category = nn.Linear(64, num_categories)

    def trainable_parameters(self):
        return [p for n, p in self.named_parameters() if not n.startswith("pyramid.")]

    def features(self, images: torch.Tensor, backbone_grad: bool = True) -> list[torch.Tensor]:
        """images: [B, 4, H, W] premultiplied RGBA in [-1, 1] (augmented) -> [B, 64] per scale.
        backbone_grad False (D's step): no gradient to the images, so the frozen backbone runs
        without building a graph."""
        with torch.set_grad_enabled(backbone_grad and torch.is_grad_enabled()):
            maps = self.pyramid(to_backbone_input(images, premultiplied=True))
        return [head.features(m) for head, m in zip(self.heads, maps)]

    def head_state(self) -> dict[str, torch.Tensor]:
        """The trainable state (the frozen backbone comes from its wheel)."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("pyramid.")}

    def score(self, hs: list[torch.Tensor], text_emb: torch.Tensor, kind: torch.Tensor) -> torch.Tensor:
        """[B]: the heads' scores summed (each head's hinge is what D optimises: see `hinge`)."""
        return torch.stack([head.score(h, text_emb, kind) for head, h in zip(self.heads, hs)], dim=1)

    def logits(self, hs: list[torch.Tensor]) -> torch.Tensor:
        return self.category(hs[-1])
