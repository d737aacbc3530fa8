"""A random-weight model directory: for trying the service before a trained model exists, for the
benchmark when no trained model is at hand, and for the tests (one builder for all three).

The pixels are noise shaped by the architecture (textures still tile exactly), never art. FiLM
layers start at zero in a fresh generator; `film_std` gives them random weights too, so the prompt
changes the pixels as it does in a trained model.
"""
from __future__ import annotations

from pathlib import Path

from .config import KINDS, GeneratorConfig
from .model_dir import Manifest, default_kinds, default_text_encoder, save_model_dir


def make_random_model_dir(out: Path, config: GeneratorConfig, native: int = 64, seed: int = 0,
                          kinds: tuple[str, ...] = KINDS, film_std: float = 0.05, version: str | None = None,
                          license: str = "MIT (random weights, no training data)") -> Path:
    """Write `out` (its folder name is the model name) and return it."""
    import torch

    from .generator import Generator

    torch.manual_seed(seed)
    generator = Generator(config)
    with torch.no_grad():
        for block in generator.blocks:
            block.film.weight.normal_(0, film_std)
    every = default_kinds(config, native=native)
    manifest = Manifest(
        name=Path(out).name, version=version or f"random-{config.name}-s{seed}", config=config,
        kinds={k: every[k] for k in kinds}, text_encoder=default_text_encoder(), license=license,
        data={"note": "random initialisation; not trained"},
    )
    return save_model_dir(out, generator, manifest)
