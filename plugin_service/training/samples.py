"""Sample grids at fixed prompts and seeds: the picture a person looks at to judge a model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from plugin_service.model.config import KINDS
from plugin_service.model.generator import Generator, make_noise
from plugin_service.model.text_encoder import TextEncoder

_encoder: TextEncoder | None = None


def text_encoder() -> TextEncoder:
    global _encoder
    if _encoder is None:
        _encoder = TextEncoder("cpu")
    return _encoder


def checkerboard(size: int, cell: int = 8) -> np.ndarray:
    y, x = np.mgrid[:size, :size]
    light = ((y // cell + x // cell) % 2).astype(np.float32)
    return (0.75 + 0.15 * light)[..., None].repeat(3, axis=2)


def to_uint8_rgba(images: torch.Tensor) -> np.ndarray:
    """[B, 4, H, W] in [-1, 1] -> [B, H, W, 4] uint8."""
    x = ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


def composite(rgba: np.ndarray) -> np.ndarray:
    """Alpha over a checkerboard so transparency is visible: [H, W, 4] -> [H, W, 3] uint8."""
    a = rgba[..., 3:4].astype(np.float32) / 255
    bg = checkerboard(rgba.shape[0]) * 255
    return (rgba[..., :3] * a + bg * (1 - a)).round().astype(np.uint8)


@torch.inference_mode()
def generate(G: Generator, prompts: list[str], kinds: list[int], seeds: list[int], size: int = 64,
             device: str | torch.device = "cpu") -> torch.Tensor:
    cfg = G.config
    emb = text_encoder().encode(prompts).to(device)
    noise = torch.stack([make_noise(s, cfg.noise_channels, size // cfg.stride, size // cfg.stride) for s in seeds]).to(device)
    return G(emb, noise.contiguous(memory_format=torch.channels_last), torch.tensor(kinds, device=device))


def sample_grid(G: Generator, category_names: list[str], category_kinds: list[int], path: Path,
                seeds: tuple[int, ...] = (1, 2, 3, 4), size: int = 64, device: str | torch.device = "cpu",
                prompts: list[str] | None = None) -> Path:
    """One row per category (prompt = category name unless given), one column per seed."""
    prompts = prompts or [c.replace("_", " ") for c in category_names]
    rows = []
    for prompt, kind in zip(prompts, category_kinds):
        imgs = to_uint8_rgba(generate(G, [prompt] * len(seeds), [kind] * len(seeds), list(seeds), size, device))
        rows.append(np.concatenate([composite(im) for im in imgs], axis=1))
    # Two side-by-side panels keep the picture from being one very tall strip.
    half = (len(rows) + 1) // 2
    pad = np.full_like(rows[0], 255)
    left, right = rows[:half], rows[half:] + [pad] * (half - len(rows[half:]))
    grid = np.concatenate([np.concatenate(left, 0), np.full((half * size, 8, 3), 255, np.uint8), np.concatenate(right, 0)], 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(path)
    return path


def comparison_grid(models: list[tuple[str, Generator]], prompts: list[tuple[str, str]], path: Path,
                    seeds: tuple[int, ...] = tuple(range(8)), texture_size: int = 256, cell: int = 128) -> Path:
    """Models side by side: one row per (prompt, kind), `seeds` columns per model, as the service
    delivers them (its post-processing, sprites over a checkerboard). Textures are generated at
    `texture_size` and shown at `cell` px; sprites and props at their native 64 px, scaled up x2."""
    from PIL import ImageDraw

    from plugin_service.model.config import KIND_INDEX
    from plugin_service.service.postprocess import to_rgba8

    label_w, gap, head = 150, 12, 20
    width = label_w + len(models) * len(seeds) * cell + (len(models) - 1) * gap
    canvas = Image.new("RGB", (width, head + len(prompts) * cell), "white")
    draw = ImageDraw.Draw(canvas)
    for m, (name, _) in enumerate(models):
        draw.text((label_w + m * (len(seeds) * cell + gap) + 4, 4), name, fill="black")
    for r, (prompt, kind) in enumerate(prompts):
        y = head + r * cell
        draw.text((4, y + cell // 2 - 6), prompt[:22], fill="black")
        size = texture_size if kind == "texture" else 64
        for m, (_, G) in enumerate(models):
            rgba = to_rgba8(generate(G, [prompt] * len(seeds), [KIND_INDEX[kind]] * len(seeds), list(seeds), size),
                            kind == "texture").numpy()
            for c, im in enumerate(rgba):
                tile = Image.fromarray(composite(im) if kind != "texture" else im[..., :3])
                tile = tile.resize((cell, cell), Image.NEAREST if kind != "texture" else Image.LANCZOS)
                canvas.paste(tile, (label_w + m * (len(seeds) * cell + gap) + c * cell, y))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, optimize=True)
    return path
