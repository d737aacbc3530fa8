"""Generator configurations. Pure data: no torch, no I/O.

`tiny` trains on a 2-core CPU and ships as the default; `base` is the same code, wider, for a GPU.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..vocabulary import KINDS, TILEABLE_KINDS  # noqa: F401  (KINDS' order is the weights' kind index)

KIND_INDEX: dict[str, int] = {k: i for i, k in enumerate(KINDS)}
UPSAMPLE_MODES: tuple[str, ...] = ("nearest", "bilinear")
GENERATOR_VERSIONS: tuple[int, ...] = (1, 2)


@dataclass(frozen=True)
class GeneratorConfig:
    name: str = "tiny"
    text_dim: int = 384            # all-MiniLM-L6-v2 sentence embedding size
    noise_channels: int = 32       # channels of the spatial noise grid at the base resolution
    kind_dim: int = 32             # kind embedding size
    cond_dim: int = 256            # text + kind conditioning vector that drives every FiLM layer
    # Channels from the base grid (size / stride) up to full resolution; each step doubles H, W.
    channels: tuple[int, ...] = (192, 128, 64, 32, 16)
    # How each block doubles H, W. "nearest" copies every cell into a 2x2 block, which leaves a
    # visible grid of period `stride` (block edges step harder than block insides, and the wrap
    # seam is always a block edge). "bilinear" (with wrap-around) has no such grid. Weights
    # trained with one work, but look worse, with the other; "nearest" is the default only so
    # that manifests written before this field existed keep their meaning.
    upsample: str = "nearest"
    # 1: the seed enters only as the spatial noise grid, 2 coordinate channels, one head per kind.
    # 2: also a global latent (the noise grid pooled and normalised) through a mapping network
    #    into every FiLM layer, so a seed changes the whole figure and pose, not only details;
    #    8 coordinate features and one fused 16-channel head, so every conv's channel counts
    #    are multiples of 8. Version 1 is the default so that older manifests keep their meaning.
    version: int = 1
    mapping_layers: int = 2        # version 2: depth of the mapping MLP

    def __post_init__(self) -> None:
        if self.version not in GENERATOR_VERSIONS:
            raise ValueError(f"GeneratorConfig.version must be one of {GENERATOR_VERSIONS}, got {self.version!r}")
        if self.upsample not in UPSAMPLE_MODES:
            raise ValueError(f"GeneratorConfig.upsample must be one of {UPSAMPLE_MODES}, got {self.upsample!r}")
        if len(self.channels) < 2:
            raise ValueError("GeneratorConfig.channels needs at least two entries (base + one upsample)")
        if any(c <= 0 for c in self.channels):
            raise ValueError(f"GeneratorConfig.channels must be positive, got {self.channels}")

    @property
    def coord_channels(self) -> int:
        """Coordinate features every conv of a sprite or prop sees (zeros for textures)."""
        return 2 if self.version == 1 else 8

    @property
    def stride(self) -> int:
        """Output pixels per noise-grid cell: image sizes must be multiples of this."""
        return 2 ** (len(self.channels) - 1)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "GeneratorConfig":
        d = dict(d)
        if "channels" in d:
            d["channels"] = tuple(d["channels"])
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown generator config keys {sorted(unknown)}; known: {sorted(known)}")
        return cls(**d)


CONFIGS: dict[str, GeneratorConfig] = {
    "tiny": GeneratorConfig(name="tiny", upsample="bilinear", version=2),
    # cond_dim 448 keeps its bf16 weights (15.4 MiB) under the 16 MiB a lent GPU machine may return per file.
    "base": GeneratorConfig(name="base", noise_channels=64, cond_dim=448, channels=(512, 384, 256, 128, 64),
                            upsample="bilinear", version=2),
    # For tests only: trains and runs in milliseconds.
    "test": GeneratorConfig(name="test", noise_channels=8, kind_dim=8, cond_dim=32, channels=(32, 16, 8),
                            upsample="bilinear", version=2),
}


def get_config(name: str) -> GeneratorConfig:
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(f"unknown generator config {name!r}; choose one of {sorted(CONFIGS)}") from None
