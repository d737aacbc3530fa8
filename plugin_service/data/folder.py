"""`assetgen data build --from DIR --out DATA`: a studio's own folder of art as a training set.

Reads PNG, JPEG and WebP (with or without alpha; CMYK, palette, greyscale and 16-bit images are
converted to 8-bit RGBA) and writes the same layout as the Debian builder (build.py), so training
and evaluation need no other change:

    DATA/images/<kind>/<category>/folder-<n>.png, DATA/index.jsonl, DATA/SOURCES.json,
    DATA/summary.json, DATA/report.txt (one line per skipped file, and the sources' seamlessness)

- Kind: the first folder of a file's path named like a kind (textures/, sprites/, props/, and the
  singular or `characters`, `items`), else `--kind`.
- Category: the folder below the kind folder (sprites/goblins/x.png -> "goblins"), else the kind.
- Caption: a sidecar `name.txt` (first line), else a row of `captions.csv` (file,caption) or
  `captions.jsonl` ({"file", "caption"}) at the top of DIR (file paths relative to DIR), else the
  category and the file name's words ("goblins archer").
- Textures become tileable crops at several scales (data/images.tile_crops); the report gives each
  source's wrap-seam ratio (1.0 = seamless; a source far above it teaches seams).
- Sprites and props are cut to their alpha's bounding box and centred on a square transparent
  canvas; small sets are augmented (flips, scales, small rotations) as the Debian sprites are.
- Unusable files (corrupt, too small, animated, no kind, no visible pixels) are skipped with one
  line each in the report; a folder with nothing usable is a ValueError saying so.
"""
from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from ..vocabulary import KINDS
from . import images as I

EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp"}
KIND_FOLDERS = {"textures": "texture", "texture": "texture", "sprites": "sprite", "sprite": "sprite",
                "characters": "sprite", "props": "prop", "prop": "prop", "items": "prop"}
MIN_SIDE = 16             # pixels: smaller sources carry too little to learn from
SOURCE = "folder"
SPRITE_TARGET = 150       # augment each sprite/prop category up to about this many images
CROPS_PER_TEXTURE = 24    # tileable crops per texture source (1, 2 and 4 periods per side)
AUGS = [(1.0, 0.0, False), (1.0, 0.0, True), (0.8, 0.0, False), (1.0, 10.0, False), (1.0, -10.0, True),
        (0.85, 0.0, True), (0.9, -15.0, False), (0.9, 15.0, True)]   # (scale, rotate, flip), as build.py


def to_rgba8(image: Image.Image) -> np.ndarray:
    """Any PIL mode -> [H, W, 4] uint8: 16-bit scaled to 8, CMYK and palette converted, alpha kept."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if a.max() > 255 else 255.0
        image = Image.fromarray(np.clip(np.rint(a / peak * 255), 0, 255).astype(np.uint8), "L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    return np.asarray(image.convert("RGBA"), dtype=np.uint8).copy()


def words(text: str) -> str:
    parts = re.split(r"[^A-Za-z]+", text)
    return " ".join(p.lower() for p in parts if p and not p.isdigit())


def read_captions(src: Path) -> dict[str, str]:
    """Relative path -> caption from captions.csv / captions.jsonl at the top of the folder."""
    found: dict[str, str] = {}
    if (src / "captions.csv").exists():
        with open(src / "captions.csv", newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                if len(row) >= 2 and row[0].strip() and row[0].strip().lower() != "file":
                    found[row[0].strip()] = row[1].strip()
    if (src / "captions.jsonl").exists():
        for line in (src / "captions.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                found[str(row["file"])] = str(row["caption"])
    return found


def kind_and_category(rel: Path, default_kind: str | None) -> tuple[str | None, str]:
    parts = [p.lower() for p in rel.parts[:-1]]
    for i, part in enumerate(parts):
        if part in KIND_FOLDERS:
            kind = KIND_FOLDERS[part]
            below = rel.parts[i + 1:-1]
            return kind, words(below[0]) if below and words(below[0]) else kind
    category = words(rel.parts[0]) if len(rel.parts) > 1 and words(rel.parts[0]) else (default_kind or "")
    return default_kind, category or (default_kind or "")


def build_from_folder(src: Path, out: Path, kind: str | None = None, seed: int = 0, log=print) -> dict:
    """Read `src`, write the dataset into `out`; returns the summary (also in out/summary.json).

    Raises ValueError when no file in `src` could be used (the message says why, per kind of problem)."""
    src, out = Path(src), Path(out)
    if kind is not None and kind not in KINDS:
        raise ValueError(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    if not src.is_dir():
        raise ValueError(f"{src} is not a folder of images")
    rng = np.random.default_rng(seed)
    captions = read_captions(src)
    skipped: list[str] = []
    seams: list[str] = []
    rendered: list[tuple[dict, np.ndarray]] = []
    files = sorted(p for p in src.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)
    per_category: dict[tuple[str, str], list[tuple[dict, np.ndarray]]] = {}
    for path in tqdm(files, unit="file", disable=not sys.stderr.isatty(), desc="reading"):
        rel = path.relative_to(src)
        k, category = kind_and_category(rel, kind)
        if k is None:
            skipped.append(f"{rel}: no kind: put it under textures/, sprites/ or props/, or pass --kind")
            continue
        try:
            with Image.open(path) as image:
                frames = getattr(image, "n_frames", 1)
                if frames > 1:
                    skipped.append(f"{rel}: animated ({frames} frames): export the frame you want as its own file")
                    continue
                px = to_rgba8(image)
        except (UnidentifiedImageError, OSError, ValueError) as e:
            skipped.append(f"{rel}: cannot be read ({e.__class__.__name__}: {e})")
            continue
        if min(px.shape[:2]) < MIN_SIDE:
            skipped.append(f"{rel}: {px.shape[1]}x{px.shape[0]} px is smaller than {MIN_SIDE} px")
            continue
        sidecar = path.with_suffix(".txt")
        caption = (sidecar.read_text(encoding="utf-8").splitlines() or [""])[0].strip() if sidecar.exists() else ""
        caption = caption or captions.get(rel.as_posix(), "") or " ".join(
            w for w in dict.fromkeys((category + " " + words(path.stem)).split()))
        record = {"kind": k, "category": category, "caption": caption, "origin": rel.as_posix()}
        per_category.setdefault((k, category), []).append((record, px))

    for (k, category), group in sorted(per_category.items()):
        if k == "texture":
            for record, px in group:
                rgb = I.to_rgb(px)
                ratio = I.seam_ratio(rgb)
                seams.append(f"{record['origin']}: seam ratio {ratio:.2f}" + ("" if ratio < 1.3 else " (not seamless)"))
                for crop in I.tile_crops(rgb, CROPS_PER_TEXTURE, rng):
                    rendered.append((record, crop))
            continue
        n_aug = max(1, min(len(AUGS), -(-SPRITE_TARGET // len(group))))
        for record, px in group:
            made = 0
            for scale, rotate, flip in AUGS[:n_aug]:
                img = I.fit_sprite(px, scale=scale, rotate=rotate, flip=flip)
                if img is not None:
                    rendered.append((record, img))
                    made += 1
            if made == 0:
                skipped.append(f"{record['origin']}: almost nothing visible (alpha) to learn from")

    if not rendered:
        reasons = Counter(line.split(": ", 1)[1].split(" (")[0].split(":")[0] for line in skipped)
        raise ValueError(f"no usable image in {src} ({len(files)} image files"
                         + (f"; skipped: {dict(reasons)}" if reasons else "") + ")")
    return _write(out, src, rendered, skipped, seams, log)


def _write(out: Path, src: Path, rendered, skipped: list[str], seams: list[str], log) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    index, counters = [], Counter()
    for record, img in rendered:
        kind, category = record["kind"], record["category"]
        counters[(kind, category)] += 1
        rel = Path("images") / kind / category.replace(" ", "_") / f"{SOURCE}-{counters[(kind, category)]}.png"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img, "RGB" if kind == "texture" else "RGBA").save(out / rel)
        index.append(json.dumps({"path": rel.as_posix(), "kind": kind, "category": category, "caption": record["caption"],
                                 "source": SOURCE, "license": "the studio's own (not stated)", "origin": record["origin"]}))
    (out / "index.jsonl").write_text("\n".join(index) + "\n")
    sources = [{"package": SOURCE, "type": "folder", "root": str(src), "images": len(rendered),
                "license": "the studio's own art (licence not stated by the folder)"}]
    (out / "SOURCES.json").write_text(json.dumps(sources, indent=2) + "\n")
    per_cat: dict[str, dict] = {}
    for (kind, category), n in sorted(counters.items()):
        per_cat[category] = {"kind": kind, "count": n}
    summary = {"total": len(rendered), "kinds": dict(Counter(r["kind"] for r, _ in rendered)),
               "num_categories": len(per_cat), "categories": per_cat, "dropped_categories": {},
               "skipped_files": len(skipped), "image_size": I.SIZE}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    report = ([f"{len(rendered)} training images from {src}", "", "Skipped files:"] + (skipped or ["(none)"])
              + ["", "Texture sources (wrap seam vs inside; 1.0 = seamless):"] + (seams or ["(none)"]))
    (out / "report.txt").write_text("\n".join(report) + "\n")
    for line in skipped:
        log(f"skipped {line}")
    return summary
