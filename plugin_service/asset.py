"""One asset's metadata and bytes: the one type the server's pipeline (AssetResult) and the
clients (Asset) share. Pure data: no torch, no grpc, so the torch-free clients import it."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AssetInfo:
    tag: str                                # Session: the submit's tag; Generate: ""
    index: int                              # 0..count-1 within its request
    seed: int                               # the seed of this asset's noise (request seed + index)
    kind: str                               # vocabulary.KINDS
    width: int
    height: int
    format: str                             # vocabulary.FORMATS
    channels: int                           # channels of the pixels: 3 (RGB) or 4 (RGBA; raw RGBA8 always 4)
    tileable: bool
    model: str
    model_version: str
    sha256: str                             # hex sha256 of `data`
    data: bytes = field(repr=False)
    map: str = "albedo"                     # which material map of the image (vocabulary.MAPS)
    vary_seed: int | None = None            # set for variations: this asset's variation seed ...
    vary_strength: float | None = None      # ... and the request's strength
    interpolate_seed: int | None = None     # set for interpolation frames: the end seed ...
    interpolate_t: float | None = None      # ... and this frame's t
    pipeline: int = 0                       # the server's pixel pipeline version (0: a server too old to say)
