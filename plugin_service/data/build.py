"""Training-data builder: ``assetgen data build --out DIR``.

Reads game art from Debian packages (Wesnoth units/items/scenery, Minetest textures and items,
GIMP patterns, Flare item icons and loot) and writes the dataset the trainer consumes:

    DIR/images/<kind>/<category>/<source>-<n>.png   64x64; sprite/prop RGBA, texture RGB tileable
    DIR/index.jsonl                                  one {"path","kind","category","caption","source","license","origin"} per image
    DIR/SOURCES.json                                 per package: version, license, images, categories
    DIR/summary.json                                 counts per kind and category

Categories come from the tables in :mod:`plugin_service.data.categories`.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from . import categories as C
from . import images as I

WESNOTH = "wesnoth-1.16-data"
MINETEST = "minetest-data"
GIMP = "gimp-data"
FLARE = "flare-game"
ALL_SOURCES = [WESNOTH, MINETEST, GIMP, FLARE]

DEFAULT_ROOTS: dict[str, Path] = {
    WESNOTH: Path("/usr/share/games/wesnoth/1.16/data/core/images"),
    MINETEST: Path("/usr/share/games/minetest"),
    GIMP: Path("/usr/share/gimp/2.0/patterns"),
    FLARE: Path("/usr/share/games/flare/mods/fantasycore"),
}
# Short licence of the art when the Debian copyright file does not say it per file.
DEFAULT_LICENSE = {WESNOTH: "GPL-2.0-or-later", MINETEST: "CC-BY-SA-3.0", GIMP: "GPL-3.0-or-later",
                   FLARE: "CC-BY-SA-3.0+"}

SPRITE_TARGET = 150   # augment (flip/scale/rotate) sprite/prop categories below this
TEXTURE_TARGET = 240  # crops per texture category (spread over its source tiles)
MIN_PER_CATEGORY = 60
MAX_AUG = 8
AUGS = [  # (scale, rotate degrees, flip)
    (1.0, 0.0, False), (1.0, 0.0, True), (0.8, 0.0, False), (1.0, 10.0, False),
    (1.0, -10.0, True), (0.85, 0.0, True), (0.9, -15.0, False), (0.9, 15.0, True),
]


# --------------------------------------------------------------------------- captions
_ANIM = re.compile(
    r"^(\d+|[a-z]?\d+|attack\w*|defend\w*|die\w*|death\w*|dying|melee\w*|ranged\w*|magic\w*|idle\w*|"
    r"leading\w*|moving|fly\w*|bob\w*|swim\w*|dive\w*|breath\w*|fire\w*|flame\w*|shadow|lift|"
    r"n|s|e|w|ne|nw|se|sw|up|down|left|right|alt|sword|bow|spear|staff|axe|hammer|sling|crossbow|"
    r"lance|mace|fist|bite|blade|whip|club|dagger|javelin|halberd|pike|net|thrown|throw|"
    r"healing|heal|shoot|shooting|cast\w*|kick|claws?|tail|ram|impale|pierce|slash|blast|"
    r"lightning|entangle|curse|faerie|wail|touch|scream|ice|beam|missile|leap|jump|charge|"
    r"harpoon|trident|sting|fangs|web|tentacle\d*|idle|stand|standing|run|walk|flap|glide|"
    r"water|land|sky|top|bottom|front|back|side|open|closed|lit|bare|small|medium|large|"
    r"shield|gun|pistol|ranged|mounted|unmounted|torch|boat|book|orb|wand|takeoff|lead|impact|laugh|"
    r"taunt|ftouch|blink|teleport|recover|victory|float|no|larger|crouch|low|\d+\w+|bite|dust|hover|"
    r"rise|launch|move|alone|soar|hit|pincer|stinger|spit|range|throw\w*|jarid|hand|wind|falcon|eagle|"
    r"bottom|great|red)$")
_TC_WORDS = re.compile(r"\b(team|colou?r|tc|magenta)\b")


def clean_words(stem: str) -> list[str]:
    """'archer+female-attack-1' -> ['female', 'archer'] (animation/frame/direction words stripped)."""
    s = stem.lower()
    female = "+female" in s
    s = s.replace("+female", "").replace("+male", "")
    toks = [t for t in re.split(r"[-_+. ]+", s) if t]
    out: list[str] = []
    for i, t in enumerate(toks):
        if i > 0 and _ANIM.match(t):
            break  # everything after the first animation word is frame/direction noise
        if re.fullmatch(r"\d+", t):
            break
        t = re.sub(r"\d+$", "", t)
        if t:
            out.append(t)
    out = [w for w in out if not _TC_WORDS.fullmatch(w)]
    if female:
        out.insert(0, "female")
    return out


def unit_caption(relpath: str) -> str:
    """'units/elves-wood/archer+female-attack-1' -> 'female elvish archer'."""
    parts = relpath.lower().split("/")
    race = C.UNIT_RACE_WORD.get(parts[1], "") if len(parts) > 2 else ""
    words = clean_words(parts[-1])
    if not words and len(parts) > 3:
        words = clean_words(parts[-2])
    fix = {"xbowman": "crossbowman", "sky_hunter": "sky hunter", "heavyinfantry": "heavy infantryman",
           "masterbowman": "master bowman", "longbowman": "longbowman", "royalguard": "royal guard",
           "shocktrooper": "shock trooper", "siegetrooper": "siege trooper", "dirkfang": "dirkfang"}
    words = [fix.get(w, w) for w in words]
    body = " ".join(words)
    if parts[1] == "monsters" and len(parts) > 3 and len(words) == 1 and parts[-2] not in body:
        body = f"{body} {parts[-2]}"  # monsters/boar/woodland -> "woodland boar"
    if race and race not in body and not (race == "undead" and body.startswith(("ghost", "skeleton"))):
        female = body.startswith("female ")
        body = ("female " if female else "") + race + " " + (body[7:] if female else body)
    return re.sub(r"\s+", " ", body).strip()


_PROP_CAPTIONS = {
    "default_mese_crystal": "yellow crystal", "default_mese_crystal_fragment": "yellow crystal shard",
    "keys_key_skeleton": "skeleton key", "fire_flint_steel": "flint and steel",
    "flame-sword": "flaming sword", "flame-sword-bare": "flaming sword", "default_tool_mesesword": "crystal sword",
    "dagger-poison-bare": "poison dagger", "storm-trident-2": "storm trident", "staff-magic-wand": "magic wand",
    "talisman-ankh": "ankh talisman", "dwarven-doors-closed": "dwarven stone doors",
    "village-human-burned": "burned village house", "default_book_written": "written book",
    "sceptre-of-fire": "fire sceptre", "gold-coins-large": "pile of gold coins",
    "gold-coins-medium": "gold coins", "gold-coins-small": "few gold coins", "ball-blue": "blue magic orb",
    "ball-green": "green magic orb", "ball-magenta": "purple magic orb",
}


def prop_caption(name: str) -> str:
    """'items/potion-red' -> 'red potion'; 'default_tool_steelsword' -> 'steel sword'."""
    stem = name.split("/")[-1].lower()
    key = re.sub(r"\d+$", "", stem)
    if stem in _PROP_CAPTIONS or key in _PROP_CAPTIONS:
        return _PROP_CAPTIONS.get(stem) or _PROP_CAPTIONS[key]
    if stem.startswith("bucket_"):
        return stem[7:].replace("_", " ") + " bucket"
    stem = re.sub(r"^(default|farming|flowers|fire|vessels|keys|bucket|binoculars|map|fireflies|butterflies|dye|screwdriver)_", "", stem)
    stem = re.sub(r"^tool_", "", stem)
    for mat in ("wood", "stone", "steel", "bronze", "mese", "diamond"):
        stem = re.sub(rf"^{mat}(sword|axe|pick|shovel|hoe)$", rf"{mat}_\1", stem)
    words = [w for w in re.split(r"[-_+. ]+", stem)
             if w and not re.fullmatch(r"\d+|lit\d*|[a-z]?\d+|n|s|ne|nw|se|sw|bare", w)]
    words = [re.sub(r"\d+$", "", w) for w in words]
    words = [w for w in words if w]
    # "potion red" -> "red potion": a trailing colour/material word reads better first
    adjectives = {"red", "blue", "green", "yellow", "grey", "gold", "golden", "silver", "white", "brown",
                  "dark", "small", "medium", "large", "bare", "open", "closed", "plain", "poison",
                  "elven", "crystal", "magic", "holy", "fancy", "evil", "runic", "wraith", "druid",
                  "short", "throwing", "javelin", "lit", "steel", "black", "violet", "magenta",
                  "empty", "full", "leaning", "burned", "cracked", "glow", "bone", "stone"}
    if len(words) >= 2 and words[-1] in adjectives and words[0] not in adjectives:
        words = words[-1:] + words[:-1]
    fix = {"pick": "pickaxe", "mese": "crystal", "sceptre": "sceptre", "coins": "coins"}
    words = [fix.get(w, w) for w in words]
    return " ".join(words).strip()


# --------------------------------------------------------------------------- sources / licences
def _dpkg_version(pkg: str) -> str:
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True, timeout=30)
        return r.stdout.strip() if r.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _dep5(pkg: str) -> list[tuple[list[str], str]]:
    """(file patterns, licence) stanzas of a machine-readable Debian copyright file."""
    path = Path("/usr/share/doc") / pkg / "copyright"
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    out = []
    for para in re.split(r"\n\s*\n", text):
        m = re.search(r"^Files:(.*(?:\n[ \t].*)*)", para, re.M)
        lic = re.search(r"^License:[ \t]*(\S.*)$", para, re.M)
        if m and lic:
            pats = [p for p in m.group(1).split() if p]
            if pats:
                out.append((pats, lic.group(1).strip()))
    return out


def file_license(pkg: str, path: Path, stanzas: list[tuple[list[str], str]]) -> str:
    """Licence of an installed file: the last DEP-5 stanza matching a suffix of its path
    (ignoring the upstream top folder), else the package default."""
    parts = Path(path).parts
    lic = None
    for pats, l in stanzas:
        for pat in pats:
            if pat == "*" or pat.startswith("debian/"):
                continue
            cands = {pat}
            rest = pat.split("/", 1)[-1]
            if "/" in rest:  # also try without the upstream top folder ("mtg/mods/x/*" -> "mods/x/*")
                cands.add(rest)
            if any(fnmatch.fnmatch("/".join(parts[i:]), c) for c in cands for i in range(max(0, len(parts) - 6), len(parts))):
                lic = l
    if lic is None:
        lic = DEFAULT_LICENSE.get(pkg, "unknown")
    return lic


def package_license(pkg: str) -> str:
    return DEFAULT_LICENSE.get(pkg, "unknown")


def ensure_installed(pkg: str, root: Path, install: bool) -> bool:
    if root.exists():
        return True
    if not install:
        print(f"[data] {pkg}: {root} missing, skipped (--no-install)", file=sys.stderr)
        return False
    print(f"[data] installing {pkg} with apt-get", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", pkg], env=env)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", pkg], env=env)
    return root.exists()


# --------------------------------------------------------------------------- collectors
# Each collector yields candidate records: dict(kind, category, caption, source, file, extra...)
def collect_wesnoth(root: Path) -> list[dict]:
    recs = []
    for p in sorted(root.rglob("*.png")):
        rel = p.relative_to(root).with_suffix("").as_posix()
        top = rel.split("/")[0]
        if top == "units":
            cat = C.unit_category(rel)
            if cat:
                recs.append(dict(kind="sprite", category=cat, caption=unit_caption(rel), file=p, tc=True))
        elif top in ("items", "scenery"):
            cat = C.prop_category(rel)
            if cat:
                recs.append(dict(kind="prop", category=cat, caption=prop_caption(rel), file=p, tc=False))
    return recs


def _minetest_files(root: Path) -> list[Path]:
    files = [p for p in root.rglob("*.png") if "devtest" not in p.parts and "textures" in p.parts]
    return sorted(files)


def collect_minetest(root: Path) -> list[dict]:
    recs = []
    files = _minetest_files(root)
    by_stem = {p.stem: p for p in files}
    for p in files:
        hit = C.texture_category(p.stem)
        if hit:
            recs.append(dict(kind="texture", category=hit[0], caption=hit[1], file=p))
        elif p.parent.name == "textures" and not p.stem.startswith("default_mineral"):
            cat = C.prop_category(p.stem)
            if cat:
                recs.append(dict(kind="prop", category=cat, caption=prop_caption(p.stem), file=p, tc=False))
    stone = by_stem.get("default_stone")
    for p in files:  # ores: stone with a mineral overlay
        m = re.fullmatch(r"default_mineral_(\w+)", p.stem)
        if m and stone is not None:
            hit = C.texture_category(f"ore:{m.group(1)}")
            if hit:
                recs.append(dict(kind="texture", category=hit[0], caption=hit[1], file=p, base=stone))
    return recs


def collect_gimp(root: Path) -> list[dict]:
    recs = []
    for p in sorted(list(root.rglob("*.pat")) + list(root.rglob("*.png"))):
        rel = p.relative_to(root).with_suffix("").as_posix()
        hit = C.texture_category(f"gimp/{rel}")
        if hit:
            recs.append(dict(kind="texture", category=hit[0], caption=hit[1], file=p))
    return recs


FLARE_ICON_CELL = 32       # icons.png: 32 px cells, 8 per row
FLARE_MIN_EXTENT = 28      # loot frames whose visible part is smaller (px, longer side) are specks of
                           # an animation (a coin's glint, a 6 px sparkle), not the item. Icons are
                           # whole items drawn for 32 px cells, so they are kept at any size.
FLARE_BLACK = 20           # icon backgrounds and loot shadows are black up to this channel value


def _flare_frames(anim: Path) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) of each frame of a Flare animation file ("frame=i,dir,x,y,w,h,ox,oy")."""
    rects = []
    for line in anim.read_text(errors="replace").splitlines():
        if line.startswith("frame="):
            x, y, w, h = (int(v) for v in line[6:].split(",")[2:6])
            rects.append((x, y, w, h))
    return rects


def collect_flare(root: Path) -> list[dict]:
    """Flare's item icons (keyed out of their black squares) and loot animation frames, named by
    categories.FLARE_ICONS / FLARE_LOOT. Each icon and each loot item is its own origin, so the
    evaluation's one-image-per-source and held-out grouping treat them as separate files."""
    recs = []
    icons = root / "images/icons/icons.png"
    if icons.exists():
        with Image.open(icons) as im:
            cols, rows = im.size[0] // FLARE_ICON_CELL, im.size[1] // FLARE_ICON_CELL
        for i, (cat, cap) in sorted(C.FLARE_ICONS.items()):
            y, x = divmod(i, cols)
            if y >= rows:  # another Flare version's sheet without this icon
                continue
            crop = (x * FLARE_ICON_CELL, y * FLARE_ICON_CELL, FLARE_ICON_CELL, FLARE_ICON_CELL)
            recs.append(dict(kind="prop", category=cat, caption=cap, file=icons, crops=[crop], key_black="border",
                             origin=f"images/icons/icons.png#{i}"))
    for stem, (cat, cap) in sorted(C.FLARE_LOOT.items()):
        anim, sheet = root / f"animations/loot/{stem}.txt", root / f"images/loot/{stem}.png"
        if anim.exists() and sheet.exists():
            recs.append(dict(kind="prop", category=cat, caption=cap, file=sheet, crops=_flare_frames(anim), key_black="all",
                             min_extent=FLARE_MIN_EXTENT))
    return recs


def _load_sprite_views(rec: dict) -> list[np.ndarray]:
    """The RGBA views one sprite/prop record stands for: the whole file, or its listed crops."""
    px = I.load_rgba(Path(rec["file"]))
    views = [px[y:y + h, x:x + w] for x, y, w, h in rec["crops"]] if "crops" in rec else [px]
    if rec.get("key_black"):
        views = [I.key_out_black(v, border_only=rec["key_black"] == "border", threshold=FLARE_BLACK) for v in views]
    return [v for v in views if _visible_extent(v) >= rec.get("min_extent", 1)]


def _visible_extent(px: np.ndarray) -> int:
    """Longer side (px) of the bounding box of a view's visible pixels; 0 when none is."""
    ys, xs = np.nonzero(px[..., 3])
    return 0 if len(ys) == 0 else int(max(ys.max() - ys.min(), xs.max() - xs.min())) + 1


COLLECTORS = {WESNOTH: collect_wesnoth, MINETEST: collect_minetest, GIMP: collect_gimp, FLARE: collect_flare}


def _load_texture_frames(rec: dict) -> list[np.ndarray]:
    p = Path(rec["file"])
    px = I.read_pat(p) if p.suffix == ".pat" else I.load_rgba(p)
    if "base" in rec:  # ore overlay on stone
        base = I.to_rgb(I.load_rgba(rec["base"])).astype(np.float32)
        ov = px.astype(np.float32)
        if ov.shape[:2] != base.shape[:2]:
            return []
        a = ov[..., 3:4] / 255.0
        return [np.clip(ov[..., :3] * a + base * (1 - a), 0, 255).astype(np.uint8)]
    return [I.to_rgb(f) for f in I.split_frames(px)]


# --------------------------------------------------------------------------- main builder
def build_dataset(out: Path, sources: list[str] | None = None, install: bool = True,
                  roots: dict[str, Path] | None = None, max_per_category: int = 600,
                  seed: int = 0, min_per_category: int = MIN_PER_CATEGORY) -> dict:
    """Build the dataset into ``out``; returns the summary dict (also written to summary.json)."""
    out = Path(out)
    sources = list(sources or ALL_SOURCES)
    unknown = [s for s in sources if s not in COLLECTORS]
    if unknown:
        raise ValueError(f"unknown sources {unknown}; known: {ALL_SOURCES}")
    roots = {**DEFAULT_ROOTS, **{k: Path(v) for k, v in (roots or {}).items()}}
    if (out / "images").exists():
        shutil.rmtree(out / "images")
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pyrng = random.Random(seed)

    # 1. collect candidates
    recs: list[dict] = []
    dep5: dict[str, list] = {}
    for src in sources:
        root = roots[src]
        if not ensure_installed(src, root, install):
            continue
        dep5[src] = _dep5(src)
        for r in COLLECTORS[src](root):
            r["source"] = src
            r["license"] = file_license(src, Path(r["file"]), dep5[src])
            recs.append(r)

    by_cat: dict[str, list[dict]] = defaultdict(list)
    for r in recs:
        by_cat[r["category"]].append(r)

    # 2. render
    items: list[tuple[dict, np.ndarray]] = []  # (record, 64x64 array)
    dropped: dict[str, str] = {}
    for cat in sorted(by_cat):
        group = by_cat[cat]
        kind = group[0]["kind"]
        rendered: list[tuple[dict, np.ndarray]] = []
        if kind == "texture":
            frames = []
            for r in group:
                try:
                    frames += [(r, f) for f in _load_texture_frames(r)]
                except (OSError, ValueError) as e:
                    print(f"[data] skip {r['file']}: {e}", file=sys.stderr)
            if not frames:
                continue
            per = max(6, min(60, math.ceil(min(TEXTURE_TARGET, max_per_category) / len(frames))))
            for r, f in frames:
                for crop in I.tile_crops(f, per, rng):
                    rendered.append((r, crop))
        else:
            pyrng.shuffle(group)
            base: list[tuple[dict, np.ndarray]] = []
            for r in group:
                if len(base) >= max_per_category:
                    break
                try:
                    views = _load_sprite_views(r)
                except OSError:
                    continue
                for px in views:
                    if not I.is_sprite_source(px):
                        continue
                    if r.get("tc"):
                        px = I.recolor_team(px)
                    base.append((r, px))
            if not base:
                continue
            n_aug = max(1, min(MAX_AUG, math.ceil(SPRITE_TARGET / len(base))))
            for r, px in base:
                for scale, rot, flip in AUGS[:n_aug]:
                    img = I.fit_sprite(px, scale=scale, rotate=rot, flip=flip)
                    if img is not None:
                        rendered.append((r, img))
        if len(rendered) > max_per_category:
            pyrng.shuffle(rendered)
            rendered = rendered[:max_per_category]
        if len(rendered) < min_per_category:
            dropped[cat] = f"{len(rendered)} images < {min_per_category}"
            continue
        items += rendered

    # 3. write
    index_lines = []
    counters: Counter = Counter()
    src_info: dict[str, dict] = {}
    for r, img in items:
        kind, cat, src = r["kind"], r["category"], r["source"]
        counters[(cat, src)] += 1
        rel = Path("images") / kind / cat / f"{src}-{counters[(cat, src)]}.png"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img, "RGB" if kind == "texture" else "RGBA").save(out / rel, optimize=False)
        # origin: the source file, so evaluation can hold out whole source images (a sprite's
        # flips and rotations must not sit on both sides of a train/held-out split).
        origin = r.get("origin") or Path(r["file"]).relative_to(roots[src]).as_posix()
        index_lines.append(json.dumps({"path": rel.as_posix(), "kind": kind, "category": cat,
                                       "caption": r["caption"], "source": src, "license": r["license"],
                                       "origin": origin}))
        si = src_info.setdefault(src, {"package": src, "images": 0, "categories": set(), "licenses": Counter()})
        si["images"] += 1
        si["categories"].add(cat)
        si["licenses"][r["license"]] += 1
    (out / "index.jsonl").write_text("\n".join(index_lines) + ("\n" if index_lines else ""))

    sources_json = []
    for src in sources:
        si = src_info.get(src)
        if si is None:
            continue
        sources_json.append({
            "package": src, "type": "debian", "version": _dpkg_version(src),
            "license": package_license(src), "license_per_image": dict(si["licenses"]),
            "copyright_file": f"/usr/share/doc/{src}/copyright", "root": str(roots[src]),
            "images": si["images"], "categories": sorted(si["categories"]),
        })
    (out / "SOURCES.json").write_text(json.dumps(sources_json, indent=2) + "\n")

    per_kind: Counter = Counter()
    per_cat: dict[str, dict] = {}
    for r, _ in items:
        per_kind[r["kind"]] += 1
        d = per_cat.setdefault(r["category"], {"kind": r["kind"], "count": 0})
        d["count"] += 1
    summary = {"total": len(items), "kinds": dict(sorted(per_kind.items())),
               "num_categories": len(per_cat), "categories": dict(sorted(per_cat.items())),
               "dropped_categories": dropped, "image_size": I.SIZE}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


# --------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, help="output dataset directory")
    parser.add_argument("--from", dest="from_dir", type=Path, default=None,
                        help="a folder of your own art (PNG/JPEG/WebP) instead of the Debian packages (data/folder.py)")
    parser.add_argument("--kind", default=None, choices=("texture", "sprite", "prop"),
                        help="with --from: the kind of files outside textures/, sprites/, props/ folders")
    parser.add_argument("--sources", default=",".join(ALL_SOURCES),
                        help=f"comma list of source packages (default: all: {','.join(ALL_SOURCES)})")
    parser.add_argument("--no-install", action="store_true", help="do not apt-get install missing packages")
    parser.add_argument("--max-per-category", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "from_dir", None) is not None:
        from .folder import build_from_folder

        try:
            summary = build_from_folder(args.from_dir, Path(args.out), kind=args.kind, seed=getattr(args, "seed", 0),
                                        log=lambda line: print(line, file=sys.stderr))
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(json.dumps({k: summary[k] for k in ("total", "kinds", "num_categories", "skipped_files")}))
        print(f"report: {Path(args.out) / 'report.txt'}")
        return 0
    sources = [s.strip() for s in str(args.sources).split(",") if s.strip()]
    try:
        summary = build_dataset(Path(args.out), sources=sources, install=not args.no_install,
                                max_per_category=args.max_per_category, seed=getattr(args, "seed", 0))
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps({k: summary[k] for k in ("total", "kinds", "num_categories")}))
    for cat, d in summary["categories"].items():
        print(f"  {d['kind']:8s} {cat:16s} {d['count']}")
    if summary["dropped_categories"]:
        print(f"  dropped: {summary['dropped_categories']}")
    return 0 if summary["total"] > 0 else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="assetgen data build")
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
