"""Material maps of a texture (height, normal, roughness), derived from its albedo.

Every filter here pads circularly (wrap-around), so a map's left column sees the albedo's right
column as its neighbour exactly as a tiled copy would: the maps tile with the albedo's period,
with no seam, by construction. Per-image normalisation uses global statistics (min, max), which
do not depend on position and so keep that property.

Input is the uint8 albedo the client receives (not the generator's float output), so a map is
a pure function of the delivered albedo, with any runner (eager, captured, quantized). Plain torch
ops on whatever device the tensor is on: the runner (MapPlan) derives the maps on its own device
from the uint8 albedo right after the generator, before the host copy (docs/DESIGN.md, "Data flow": GPU work stays on
the GPU until the final uint8 copy); the encoder pool only encodes. On the CPU the result equals
material_maps() on the delivered albedo bit for bit (tests/integration/test_game_ready.py). On
CUDA, convolutions run without TF32, but cuDNN's summation order may still move a rare value by
one step of 255 against a CPU recomputation.

Conventions: height 0 = low, 1 = high; normals are tangent space with +Y up (OpenGL, what Unity
expects), xyz * 0.5 + 0.5 in RGB; roughness 1 = rough.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .jobs import MAP_NAMES, RunBatch, RunOutput

# Height: luminance smoothed by a 5-tap binomial blur, so single-pixel noise does not become
# a field of spiky normals.
BLUR_1D = (1.0, 4.0, 6.0, 4.0, 1.0)
# Normal strength: scales the per-pixel Sobel gradient of the [0, 1] height before normalising.
# A typical gradient of 0.05 per pixel then tilts the normal by ~20 degrees: visible relief
# without the embossed look.
NORMAL_STRENGTH = 8.0
# Roughness: local contrast (std of luminance in a 5x5 window) mapped into [ROUGH_MIN, 1]:
# flat, uniform areas read as smoother, busy areas (cracks, gravel) as rough.
ROUGH_WINDOW = 5
ROUGH_MIN = 0.35
LUMA = (0.2126, 0.7152, 0.0722)  # Rec. 709 weights


def _wrap_conv(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """x: [B, 1, H, W], kernel: [kh, kw] -> same shape, circular padding."""
    kh, kw = kernel.shape
    padded = F.pad(x, (kw // 2, kw // 2, kh // 2, kh // 2), mode="circular")
    return F.conv2d(padded, kernel.view(1, 1, kh, kw))


def _normalise(x: torch.Tensor) -> torch.Tensor:
    """Per image to [0, 1] by its own min and max; flat images become 0.5."""
    lo = x.amin(dim=(2, 3), keepdim=True)
    hi = x.amax(dim=(2, 3), keepdim=True)
    span = hi - lo
    return torch.where(span > 1e-6, (x - lo) / span.clamp_min(1e-6), torch.full_like(x, 0.5))


def luminance(albedo: torch.Tensor) -> torch.Tensor:
    """[B, H, W, 4] uint8 -> [B, 1, H, W] float32 in [0, 1]."""
    rgb = albedo[..., :3].permute(0, 3, 1, 2).float() / 255.0
    weights = torch.tensor(LUMA, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return (rgb * weights).sum(dim=1, keepdim=True)


def height_map(luma: torch.Tensor) -> torch.Tensor:
    """[B, 1, H, W] luminance -> [B, 1, H, W] height in [0, 1]."""
    k = torch.tensor(BLUR_1D, dtype=luma.dtype, device=luma.device)
    k = k / k.sum()
    return _normalise(_wrap_conv(luma, torch.outer(k, k)))


def normal_map(height: torch.Tensor, strength: float = NORMAL_STRENGTH) -> torch.Tensor:
    """[B, 1, H, W] height -> [B, 3, H, W] unit normals (tangent space, +Y up)."""
    sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]],
                           dtype=height.dtype, device=height.device) / 8.0
    dx = _wrap_conv(height, sobel_x)       # dh / dx, x to the right
    dy = _wrap_conv(height, sobel_x.t())   # dh / d(row), rows go down
    # Surface normal of z = h(x, y_up): (-dh/dx, -dh/dy_up, 1), and dy_up = -d(row).
    n = torch.cat([-dx * strength, dy * strength, torch.ones_like(dx)], dim=1)
    return n / n.norm(dim=1, keepdim=True)


def roughness_map(luma: torch.Tensor) -> torch.Tensor:
    """[B, 1, H, W] luminance -> [B, 1, H, W] roughness in [ROUGH_MIN, 1]."""
    box = torch.full((ROUGH_WINDOW, ROUGH_WINDOW), 1.0 / ROUGH_WINDOW**2, dtype=luma.dtype, device=luma.device)
    mean = _wrap_conv(luma, box)
    var = (_wrap_conv(luma * luma, box) - mean * mean).clamp_min(0.0)
    return ROUGH_MIN + (1.0 - ROUGH_MIN) * _normalise(var.sqrt())


def _to_rgba8(x: torch.Tensor) -> torch.Tensor:
    """[B, 1 or 3, H, W] in [0, 1] -> [B, H, W, 4] uint8, grey replicated into RGB, alpha 255."""
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    rgb = (x * 255.0).round().clamp(0, 255).to(torch.uint8)
    alpha = torch.full_like(rgb[:, :1], 255)
    return torch.cat([rgb, alpha], dim=1).permute(0, 2, 3, 1).contiguous()


def material_maps(albedo: torch.Tensor, maps: tuple[str, ...]) -> dict[str, torch.Tensor]:
    """albedo: [B, H, W, 4] uint8 -> {map name: [B, H, W, 4] uint8} for each name in `maps`."""
    unknown = [m for m in maps if m not in MAP_NAMES]
    if unknown:
        raise ValueError(f"unknown material maps {unknown}; choose from {', '.join(MAP_NAMES)}")
    out: dict[str, torch.Tensor] = {}
    if "albedo" in maps:
        out["albedo"] = albedo
    derived = [m for m in maps if m != "albedo"]
    if not derived:
        return out
    luma = luminance(albedo)
    height = height_map(luma) if {"height", "normal"} & set(derived) else None
    if "height" in derived:
        out["height"] = _to_rgba8(height)
    if "normal" in derived:
        out["normal"] = _to_rgba8(normal_map(height) * 0.5 + 0.5)
    if "roughness" in derived:
        out["roughness"] = _to_rgba8(roughness_map(luma))
    return out


@dataclass(frozen=True)
class MapPlan:
    """The derived maps one RunBatch asks for: which items (rows) want which maps."""
    rows: tuple[int, ...]                 # items that asked for at least one derived map
    names: tuple[str, ...]                # the union of their maps, in MAP_NAMES order
    per_item: tuple[tuple[str, ...], ...]  # per item of the batch (empty for most)

    @classmethod
    def of(cls, batch: RunBatch) -> "MapPlan | None":
        """None when no item wants a derived map: such a batch pays nothing for maps."""
        per_item = tuple(tuple(m for m in wanted if m != "albedo") for wanted in batch.maps)
        if not any(per_item):
            return None
        if len(per_item) != len(batch.seeds):
            raise ValueError(f"RunBatch.maps has {len(per_item)} entries for {len(batch.seeds)} items")
        asked = {m for wanted in per_item for m in wanted}
        unknown = sorted(asked - set(MAP_NAMES))
        if unknown:
            raise ValueError(f"unknown material maps {unknown}; choose from {', '.join(MAP_NAMES)}")
        rows = tuple(i for i, wanted in enumerate(per_item) if wanted)
        return cls(rows, tuple(m for m in MAP_NAMES if m in asked), per_item)

    def on_device(self, albedo: torch.Tensor) -> dict[str, torch.Tensor]:
        """albedo: [B, H, W, 4] uint8 on the runner's device -> {name: [len(rows), H, W, 4] uint8},
        same device. Only the rows that asked are filtered (each image's maps are its own)."""
        if len(self.rows) != albedo.shape[0]:
            albedo = albedo.index_select(0, torch.tensor(self.rows, device=albedo.device))
        # Exact fp32 on CUDA too (quantize.use_exact_fp32, set when the runner starts): TF32 would
        # make the maps differ visibly from a CPU recomputation.
        return material_maps(albedo, self.names)

    def output(self, pixels, maps: dict) -> RunOutput:
        """Host arrays -> RunOutput. pixels: [B, H, W, 4]; maps: {name: [len(rows), H, W, 4]}."""
        per_row = {row: j for j, row in enumerate(self.rows)}
        items = tuple({m: maps[m][per_row[i]] for m in wanted} for i, wanted in enumerate(self.per_item))
        return RunOutput(pixels, items)
