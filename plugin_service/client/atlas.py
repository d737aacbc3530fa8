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
`padding` transparent pixels so bilinear filtering does not bleed neighbours together at mip 0;
for N clean mip levels (`mips`), cells are aligned to 2^N, the gutter grows to 2^(N+1) and edges
are extruded into it. The JSON says which mip levels are clean (`clean_mips`).

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


def padding_for_mips(mips: int) -> int:
    """Pixels between two sprites so that mip `mips` (texels of 2^mips px), sampled bilinearly, never
    reads a neighbour: one whole level-`mips` texel of gutter on each side. 2 for mip 0."""
    return max(2, 2 ** (mips + 1))


def _cell(n: int, align: int) -> int:
    return -(-n // align) * align


def pack(sprites: list[tuple[str, np.ndarray]], padding: int | None = None, mips: int = 0) -> tuple[np.ndarray, list[AtlasEntry]]:
    """[(name, [h, w, 4 or 3] uint8)] -> (atlas [H, W, 4] uint8, one entry per sprite, in input order).

    mips: the mip levels the atlas must stay clean at. Each sprite's cell starts on a multiple of
    2^mips and spans a whole number of level-`mips` texels, cells are `padding` apart (default
    padding_for_mips), and each sprite's edge pixels are extruded into its half of the gutter, so
    filtering at its own edge sees its own colours. Raises ValueError for a padding too small."""
    if not sprites:
        raise ValueError("an atlas needs at least one sprite")
    if mips < 0:
        raise ValueError(f"mips must be 0 or more, got {mips}")
    padding = padding_for_mips(mips) if padding is None else padding
    if padding < padding_for_mips(mips) and mips > 0:
        raise ValueError(f"padding {padding} is too small for {mips} clean mips: it needs at least {padding_for_mips(mips)}")
    names = [n for n, _ in sprites]
    if len(set(names)) != len(names):
        raise ValueError("sprite names in one atlas must be unique")
    images = [np.dstack([p, np.full(p.shape[:2], 255, np.uint8)]) if p.shape[2] == 3 else p for _, p in sprites]
    align = 2 ** mips
    gutter = padding // 2
    sizes = [(_cell(p.shape[0], align) + padding, _cell(p.shape[1], align) + padding) for p in images]
    area = sum(h * w for h, w in sizes)
    widest = max(w for _, w in sizes)
    atlas_w = _next_pow2(max(widest, int(np.ceil(np.sqrt(area)))))
    order = sorted(range(len(images)), key=lambda i: (-images[i].shape[0], i))
    places: dict[int, tuple[int, int]] = {}
    x = y = shelf_h = 0
    for i in order:
        cell_h, cell_w = sizes[i]
        if x + cell_w > atlas_w:  # this shelf is full: start the next one below it
            x, y, shelf_h = 0, y + shelf_h, 0
        places[i] = (x + gutter, y + gutter)
        x += cell_w
        shelf_h = max(shelf_h, cell_h)
    atlas_h = _next_pow2(y + shelf_h)
    atlas = np.zeros((atlas_h, atlas_w, 4), np.uint8)
    entries = []
    for i, (name, _) in enumerate(sprites):
        px, py = places[i]
        h, w = images[i].shape[:2]
        cell_h, cell_w = sizes[i][0] - padding, sizes[i][1] - padding
        if mips > 0:  # extrude: the sprite's edge pixels fill its cell and its half of the gutter
            grown = np.pad(images[i], ((gutter, cell_h - h + gutter), (gutter, cell_w - w + gutter), (0, 0)), mode="edge")
            atlas[py - gutter:py + cell_h + gutter, px - gutter:px + cell_w + gutter] = grown
        else:
            atlas[py:py + h, px:px + w] = images[i]
        entries.append(AtlasEntry(name, px, py, w, h, foot_pivot(images[i])))
    return atlas, entries


def atlas_name(prompt: str, sprite_names: list[str]) -> str:
    """<slug>_<first 8 hex of the sha256 of the sorted sprite names>_atlas: two atlases of one
    prompt (other seeds, sizes or models) never share a file; the same sprites give the same name."""
    import hashlib

    from .files import slugify

    digest = hashlib.sha256("\n".join(sorted(sprite_names)).encode("utf-8")).hexdigest()[:8]
    return f"{slugify(prompt)}_{digest}_atlas"


def unity_metadata(entries: list[AtlasEntry], atlas_width: int, atlas_height: int, image_name: str, mips: int = 0) -> dict:
    """The JSON an editor script turns into TextureImporter.spritesheet (SpriteMetaData[]).
    `clean_mips`: the mip levels at which no sprite reads a neighbour (0 = mip 0 only)."""
    return {
        "image": image_name,
        "width": atlas_width,
        "height": atlas_height,
        "origin": "bottom-left",
        "clean_mips": mips,
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


def write_atlas(sprites: list[tuple[str, np.ndarray]], out_dir: Path, stem: str, padding: int | None = None,
                mips: int = 0) -> Path:
    """Pack, then write <stem>.png and <stem>.json into out_dir; return the PNG's path."""
    from PIL import Image

    atlas, entries = pack(sprites, padding, mips)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / f"{stem}.png"
    Image.fromarray(atlas, "RGBA").save(png)
    meta = unity_metadata(entries, atlas.shape[1], atlas.shape[0], png.name, mips)
    (out_dir / f"{stem}.json").write_text(json.dumps(meta, indent=2) + "\n")
    return png
