"""The single-step text-conditioned generator. Network definition only: no I/O, no devices.

forward(text_emb, noise, kind) -> image, all fixed-shape tensors, so the runner can capture it
in a CUDA graph: nothing in forward branches on Python values that change per call. The kind is
a per-item tensor; every kind-specific choice is a mask multiply, not an `if`.

Textures tile because every layer is translation-equivariant on a torus: circular padding,
wrap-around upsampling (exactly periodic) and a spatial noise grid. Sprites and props
additionally see coordinate channels (zeroed for textures) so they can learn where the canvas
edge is and keep it transparent.

Version 2 (GeneratorConfig.version) adds a global latent: the noise grid pooled over space and
normalised to unit length, mapped with the text and kind by an MLP (StyleGAN's mapping network)
into the vector that drives every FiLM layer. It is a function of the noise grid alone, so the
runner's contract does not change: the same grid gives the same image, a variation or slerp of
two grids moves the latent with it, and frames 0 and last of an interpolation are exactly the
two seeds' images. Its last layer starts at zero, so a version 1 network converted by
`upgrade_v1_state` computes the same images until training moves it.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import KINDS, KIND_INDEX, GeneratorConfig


def make_noise(seed: int, channels: int, height: int, width: int) -> torch.Tensor:
    """Noise grid of one item from its own seed: [channels, height, width], CPU float32.

    A private generator per item makes an asset a function of its seed alone, whatever batch
    it lands in (docs/DESIGN.md, "Determinism").
    """
    g = torch.Generator(device="cpu")
    g.manual_seed(int(seed) & 0xFFFF_FFFF_FFFF_FFFF)
    return torch.randn((channels, height, width), generator=g, dtype=torch.float32)


def coord_grid(height: int, width: int, device: torch.device, dtype: torch.dtype, channels: int = 2) -> torch.Tensor:
    """[1, channels, H, W] features of the pixel-centre coordinates y, x in (-1, 1).

    channels 2: (y, x). channels 8: (y, x, y^2, x^2, xy, cos(pi y), cos(pi x), y^2 + x^2), the
    same first two, so version 1 weights padded with zeros compute the same thing."""
    ys = (torch.arange(height, device=device, dtype=dtype) + 0.5) / height * 2 - 1
    xs = (torch.arange(width, device=device, dtype=dtype) + 0.5) / width * 2 - 1
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    if channels == 2:
        feats = (yy, xx)
    elif channels == 8:
        feats = (yy, xx, yy * yy, xx * xx, yy * xx, torch.cos(torch.pi * yy), torch.cos(torch.pi * xx), yy * yy + xx * xx)
    else:
        raise ValueError(f"coord_grid: channels must be 2 or 8, got {channels}")
    return torch.stack(feats).unsqueeze(0)


def cat_channels(x: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """[B, C, H, W] and [1, K, H, W] coordinate features -> [B, C + K, H, W], concatenated in NHWC
    so the result stays channels_last (a plain cat along dim 1 would fall back to NCHW)."""
    b = x.shape[0]
    return torch.cat((x.permute(0, 2, 3, 1), coords.permute(0, 2, 3, 1).expand(b, -1, -1, -1)), dim=3).permute(0, 3, 1, 2)


class CircularConv(nn.Conv2d):
    """3x3 convolution on a torus: wrap-around padding keeps textures seamless."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(cin, cout, 3, padding=1, padding_mode="circular")


def upsample2x(x: torch.Tensor, mode: str) -> torch.Tensor:
    """Double H and W on a torus. [B, C, h, w] -> [B, C, 2h, 2w].

    "bilinear" is F.interpolate(scale 2, align_corners=False) of the infinite periodic image,
    written out: output pixel 2i is 0.75 x[i] + 0.25 x[i-1], pixel 2i+1 is 0.75 x[i] + 0.25 x[i+1],
    with wrap-around neighbours (roll), so the result stays exactly periodic (tileable). Written
    this way it is 2-4x faster on the CPU in bf16 than pad + interpolate + crop (measured at
    batch 32, 2026-11-29), and the same numbers up to float rounding (a test checks both).
    """
    if mode == "nearest":
        return F.interpolate(x, scale_factor=2.0, mode="nearest")
    # In NHWC, so the result is channels_last (the convolutions' layout) instead of falling back
    # to NCHW after every block: the same numbers; batch-32 forward on this CPU 118-133 -> 113-118 ms
    # in fp32, bf16 alike (2026-11-30).
    h = x.permute(0, 2, 3, 1)
    for dim in (1, 2):
        before, after = h.roll(1, dim), h.roll(-1, dim)
        even, odd = 0.75 * h + 0.25 * before, 0.75 * h + 0.25 * after
        h = torch.stack((even, odd), dim=dim + 1).flatten(dim, dim + 1)
    return h.permute(0, 3, 1, 2)


class FiLMBlock(nn.Module):
    """Upsample x2 -> (conv, FiLM, LeakyReLU) x2. Coordinates enter each conv for objects."""

    def __init__(self, cin: int, cout: int, cond_dim: int, upsample: str = "nearest", coord_channels: int = 2) -> None:
        super().__init__()
        self.upsample = upsample
        self.coord_channels = coord_channels
        self.conv1 = CircularConv(cin + coord_channels, cout)
        self.conv2 = CircularConv(cout, cout)
        # One linear gives scale and shift for both convs: [B, 4 * cout].
        self.film = nn.Linear(cond_dim, 4 * cout)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor, object_mask: torch.Tensor) -> torch.Tensor:
        # x: [B, cin, h, w] -> [B, cout, 2h, 2w]; cond: [B, cond_dim]; object_mask: [B, 1, 1, 1]
        x = upsample2x(x, self.upsample)
        coords = coord_grid(x.shape[2], x.shape[3], x.device, x.dtype, self.coord_channels) * object_mask
        g1, b1, g2, b2 = self.film(cond)[:, :, None, None].chunk(4, dim=1)
        x = self.conv1(cat_channels(x, coords))
        x = F.leaky_relu(x * (1 + g1) + b1, 0.2)
        x = self.conv2(x)
        return F.leaky_relu(x * (1 + g2) + b2, 0.2)


class Generator(nn.Module):
    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        self.kind_embed = nn.Embedding(len(KINDS), config.kind_dim)
        self.cond = nn.Sequential(
            nn.Linear(config.text_dim + config.kind_dim, config.cond_dim),
            nn.LeakyReLU(0.2),
            nn.Linear(config.cond_dim, config.cond_dim),
            nn.LeakyReLU(0.2),
        )
        if config.version >= 2:
            # Global latent (pooled noise) + conditioning -> a residual on the conditioning.
            layers: list[nn.Module] = []
            dim = config.noise_channels + config.cond_dim
            for _ in range(config.mapping_layers - 1):
                layers += [nn.Linear(dim, config.cond_dim), nn.LeakyReLU(0.2)]
                dim = config.cond_dim
            last = nn.Linear(dim, config.cond_dim)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
            self.mapping = nn.Sequential(*layers, last)
        nc = config.coord_channels
        self.stem = CircularConv(config.noise_channels + nc, c[0])
        self.stem_bias = nn.Linear(config.cond_dim, c[0])  # text content enters the base grid directly
        self.blocks = nn.ModuleList(FiLMBlock(a, b, config.cond_dim, config.upsample, nc) for a, b in zip(c[:-1], c[1:]))
        # Per-kind RGBA heads; all are computed and the kind mask picks one (capture-friendly).
        # Version 2 fuses them into one conv whose output (16 channels: 4 per kind + 4 unused)
        # is a multiple of 8.
        if config.version >= 2:
            self.head = CircularConv(c[-1], 4 * (len(KINDS) + 1))
        else:
            self.heads = nn.ModuleList(CircularConv(c[-1], 4) for _ in KINDS)

    def forward(self, text_emb: torch.Tensor, noise: torch.Tensor, kind: torch.Tensor) -> torch.Tensor:
        # text_emb: [B, text_dim]; noise: [B, noise_channels, H/stride, W/stride]; kind: [B] int64
        # returns [B, 4, H, W] in [-1, 1]; alpha of textures is exactly 1.
        kind_onehot = F.one_hot(kind, len(KINDS)).to(noise.dtype)                  # [B, K]
        is_texture = kind_onehot[:, KIND_INDEX["texture"]].view(-1, 1, 1, 1)       # [B, 1, 1, 1]
        object_mask = 1 - is_texture
        cond = self.cond(torch.cat((text_emb.to(noise.dtype), self.kind_embed(kind).to(noise.dtype)), dim=1))
        cfg = self.config
        if cfg.version >= 2:
            latent = F.normalize(noise.mean(dim=(2, 3)), dim=1)                    # [B, noise_channels], unit norm
            cond = cond + self.mapping(torch.cat((latent, cond), dim=1))
        coords = coord_grid(noise.shape[2], noise.shape[3], noise.device, noise.dtype, cfg.coord_channels) * object_mask
        x = self.stem(cat_channels(noise, coords))
        x = F.leaky_relu(x + self.stem_bias(cond)[:, :, None, None], 0.2)
        for block in self.blocks:
            x = block(x, cond, object_mask)
        if cfg.version >= 2:
            b, _, h, w = x.shape
            heads = self.head(x).view(b, len(KINDS) + 1, 4, h, w)[:, : len(KINDS)]   # [B, K, 4, H, W]
            out = (heads * kind_onehot.view(b, -1, 1, 1, 1)).sum(dim=1)
        else:
            out = sum(head(x) * kind_onehot[:, i].view(-1, 1, 1, 1) for i, head in enumerate(self.heads))
        out = torch.tanh(out)
        alpha = out[:, 3:4] * object_mask + is_texture  # textures are opaque
        return torch.cat((out[:, :3], alpha), dim=1)


def upgrade_v1_state(state: dict[str, torch.Tensor], config: GeneratorConfig) -> dict[str, torch.Tensor]:
    """A version 1 state dict -> the version 2 network `config` (same widths) computing the same
    images: coordinate inputs padded with zero weights, per-kind heads copied into the fused head,
    the mapping network from a fresh module (its last layer is zero, so it adds nothing yet).

    Raises ValueError if the widths differ."""
    if config.version != 2:
        raise ValueError(f"upgrade_v1_state targets a version 2 config, got version {config.version}")
    target = Generator(config).state_dict()
    out: dict[str, torch.Tensor] = {}
    for k, v in target.items():
        if k.startswith("mapping."):
            out[k] = v
        elif k in ("head.weight", "head.bias"):
            suffix = k.split(".", 1)[1]
            fused = torch.zeros_like(v)
            for i in range(len(KINDS)):
                fused[4 * i: 4 * i + 4] = state[f"heads.{i}.{suffix}"]
            out[k] = fused
        else:
            old = state[k]
            if old.shape == v.shape:
                out[k] = old
            elif old.dim() == 4 and old.shape[0] == v.shape[0] and old.shape[1] < v.shape[1]:
                padded = torch.zeros_like(v)
                padded[:, : old.shape[1]] = old   # coordinate channels come last: new ones get zeros
                out[k] = padded
            else:
                raise ValueError(f"upgrade_v1_state: {k} has shape {tuple(old.shape)}, config needs {tuple(v.shape)}")
    return out
