"""Sprite atlases: pack the sprites of a request into one image plus Unity sprite metadata.

Client side, not a server option, because:
- the server streams each sprite the moment it exists; an atlas needs all of them, so packing on
  the server would hold every result back until the last one (worse latency for everyone);
- packing is cheap CPU work on a few decoded images, not GPU work: it does not belong in the
  serving hot path, and doing it here keeps the wire API and the per-asset cache key unchanged;
- a client can atlas sprites from several requests, from its disk cache, or re-pack with other
  padding without regenerating anything.

Layout: shelf packing (tallest first, left to right, new shelf when the row is full) into a
power-of-two atlas about as wide as the square root of the total area. Sprites are separated by
`padding` transparent pixels so bilinear filtering and mips do not bleed neighbours together.

Metadata (JSON) follows Unity's SpriteMetaData: name, rect {x, y, width, height} with the origin at
the atlas's BOTTOM-left (Unity's convention; the image rows are stored top to bottom), alignment 9
(custom) with pivot {x, y} in [0, 1] of the rect, and border {x: left, y: bottom, z: right,
w: top} in pixels (9-slice; 0 for generated sprites). The pivot is the bottom centre of the
sprite's opaque pixels: a character or prop then stands on its feet where it is placed.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

OPAQUE_FROM = 8  # alpha at or above this counts as the sprite (the server snaps fainter alpha to 0)


@dataclass(frozen=True)
class AtlasEntry:
    name: str
    x: int          # top-left origin, pixels (image coordinates)
    y: int
    width: int
    height: int
    pivot: tuple[float, float]  # Unity convention: (0, 0) = bottom-left of the rect, (1, 1) = top-right


def _next_pow2(n: int) -> int:
    return 1 << max(0, int(n - 1).bit_length())


def foot_pivot(pixels: np.ndarray) -> tuple[float, float]:
    """Bottom centre of the opaque pixels, in Unity pivot units; (0.5, 0.5) when nothing is opaque."""
    h, w = pixels.shape[:2]
    alpha = pixels[..., 3] if pixels.shape[2] == 4 else np.full((h, w), 255, np.uint8)
    rows = np.flatnonzero((alpha >= OPAQUE_FROM).any(axis=1))
    cols = np.flatnonzero((alpha >= OPAQUE_FROM).any(axis=0))
    if rows.size == 0:
        return (0.5, 0.5)
    centre_x = (cols[0] + cols[-1] + 1) / 2
    bottom = rows[-1] + 1  # image rows go down: the last opaque row's lower edge
    return (round(centre_x / w, 4), round((h - bottom) / h, 4))


def pack(sprites: list[tuple[str, np.ndarray]], padding: int = 2) -> tuple[np.ndarray, list[AtlasEntry]]:
    """[(name, [h, w, 4 or 3] uint8)] -> (atlas [H, W, 4] uint8, one entry per sprite, in input order)."""
    if not sprites:
        raise ValueError("an atlas needs at least one sprite")
    names = [n for n, _ in sprites]
    if len(set(names)) != len(names):
        raise ValueError("sprite names in one atlas must be unique")
    images = [np.dstack([p, np.full(p.shape[:2], 255, np.uint8)]) if p.shape[2] == 3 else p for _, p in sprites]
    area = sum((p.shape[0] + padding) * (p.shape[1] + padding) for p in images)
    widest = max(p.shape[1] for p in images) + padding
    atlas_w = _next_pow2(max(widest, int(np.ceil(np.sqrt(area)))))
    order = sorted(range(len(images)), key=lambda i: (-images[i].shape[0], i))
    places: dict[int, tuple[int, int]] = {}
    x = y = shelf_h = 0
    for i in order:
        h, w = images[i].shape[:2]
        if x + w + padding > atlas_w:  # this shelf is full: start the next one below it
            x, y, shelf_h = 0, y + shelf_h, 0
        places[i] = (x + padding // 2, y + padding // 2)
        x += w + padding
        shelf_h = max(shelf_h, h + padding)
    atlas_h = _next_pow2(y + shelf_h)
    atlas = np.zeros((atlas_h, atlas_w, 4), np.uint8)
    entries = []
    for i, (name, _) in enumerate(sprites):
        px, py = places[i]
        h, w = images[i].shape[:2]
        atlas[py:py + h, px:px + w] = images[i]
        entries.append(AtlasEntry(name, px, py, w, h, foot_pivot(images[i])))
    return atlas, entries


def unity_metadata(entries: list[AtlasEntry], atlas_width: int, atlas_height: int, image_name: str) -> dict:
    """The JSON an editor script turns into TextureImporter.spritesheet (SpriteMetaData[])."""
    return {
        "image": image_name,
        "width": atlas_width,
        "height": atlas_height,
        "origin": "bottom-left",
        "sprites": [
            {
                "name": e.name,
                "rect": {"x": e.x, "y": atlas_height - e.y - e.height, "width": e.width, "height": e.height},
                "alignment": 9,  # SpriteAlignment.Custom: use `pivot`
                "pivot": {"x": e.pivot[0], "y": e.pivot[1]},
                "border": {"x": 0, "y": 0, "z": 0, "w": 0},
                "top_left": asdict(e) | {"pivot": list(e.pivot)},  # the same rect in image coordinates
            }
            for e in entries
        ],
    }


def write_atlas(sprites: list[tuple[str, np.ndarray]], out_dir: Path, stem: str, padding: int = 2) -> Path:
    """Pack, then write <stem>.png and <stem>.json into out_dir; return the PNG's path."""
    from PIL import Image

    atlas, entries = pack(sprites, padding)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / f"{stem}.png"
    Image.fromarray(atlas, "RGBA").save(png)
    meta = unity_metadata(entries, atlas.shape[1], atlas.shape[0], png.name)
    (out_dir / f"{stem}.json").write_text(json.dumps(meta, indent=2) + "\n")
    return png
