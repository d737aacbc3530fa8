"""Training-data builder: built from a tiny synthetic Wesnoth/Minetest/GIMP/Flare-like tree."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plugin_service.data import build as B
from plugin_service.data import categories as C
from plugin_service.data.images import read_pat, seam_ratio, write_pat


def _sprite(rng, w=72, h=72, box=(20, 14, 52, 62), tc=False) -> np.ndarray:
    px = np.zeros((h, w, 4), np.uint8)
    x0, y0, x1, y1 = box
    px[y0:y1, x0:x1, :3] = rng.integers(40, 220, (y1 - y0, x1 - x0, 3))
    px[y0:y1, x0:x1, 3] = 255
    px[y0:y0 + 3, x0:x0 + 3, 3] = 0  # some real transparency inside the bbox
    if tc:
        px[y0 + 5:y0 + 9, x0 + 5:x0 + 9, :3] = (0xF4, 0x9A, 0xC1)  # Wesnoth magenta team colour
    return px


def _tileable(rng, size=16) -> np.ndarray:
    """A random but exactly periodic tile (smooth noise made by wrap-around blurring)."""
    t = rng.integers(0, 255, (size, size, 3)).astype(np.float32)
    for _ in range(2):
        t = (t + np.roll(t, 1, 0) + np.roll(t, -1, 0) + np.roll(t, 1, 1) + np.roll(t, -1, 1)) / 5
    return t.clip(0, 255).astype(np.uint8)


def _save(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("src")
    rng = np.random.default_rng(1)
    wes = tmp / "wesnoth" / "images"
    for i, name in enumerate(["archer-attack-1", "archer+female-defend", "shaman-die-2", "archer"]):
        _save(wes / "units" / "elves-wood" / f"{name}.png", _sprite(rng, tc=(i == 0)))
    for name in ["grunt-se-3", "grunt_melee_2", "archer-ranged"]:
        _save(wes / "units" / "orcs" / f"{name}.png", _sprite(rng, box=(30, 10, 44, 66)))
    _save(wes / "units" / "orcs" / "tiny.png", _sprite(rng, box=(35, 35, 37, 37)))  # nearly empty
    opaque = _sprite(rng)
    opaque[..., 3] = 255
    _save(wes / "units" / "orcs" / "opaque-block.png", opaque)  # no alpha: not a sprite
    _save(wes / "units" / "random-dice.png", _sprite(rng))  # no category
    for name in ["potion-red", "potion-blue", "holy-water"]:
        _save(wes / "items" / f"{name}.png", _sprite(rng, box=(28, 20, 44, 50)))
    mt = tmp / "minetest" / "games" / "minetest_game" / "mods" / "default" / "textures"
    _save(mt / "default_cobble.png", _tileable(rng))
    _save(mt / "default_mossycobble.png", _tileable(rng))
    _save(mt / "default_lava_source_animated.png", np.concatenate([_tileable(rng) for _ in range(3)], 0))
    _save(mt / "default_nothing_known.png", _tileable(rng))
    gimp = tmp / "gimp" / "patterns"
    (gimp / "Stone").mkdir(parents=True)
    write_pat(gimp / "Stone" / "marble1.pat", _tileable(rng, 40), "marble")
    flare = tmp / "flare"
    icons = np.zeros((32 * 9, 256, 4), np.uint8)
    icons[..., 3] = 255                                   # Flare icons: opaque black squares
    icon = icons[256:288, 0:32]                           # icon 64, a red health potion
    icon[2:31, 10:22, :3] = (200, 30, 30)
    icon[6:27, 15, :3] = 5                                # a dark line inside the figure stays
    icons[260:280, 38:50, :3] = (30, 30, 200)             # icon 65, a 20 px mana potion: small, but whole
    _save(flare / "images" / "icons" / "icons.png", icons)
    loot = np.zeros((40, 60, 4), np.uint8)
    loot[2:38, 4:20] = (220, 40, 40, 255)                 # a 36 px frame
    loot[30:38, 20:30] = (0, 0, 0, 255)                   # its shadow: opaque black
    loot[2:8, 40:46] = (220, 40, 40, 255)                 # a 6 px frame: too small to fit to 56 px
    _save(flare / "images" / "loot" / "hp_potion.png", loot)
    (flare / "animations" / "loot").mkdir(parents=True)
    (flare / "animations" / "loot" / "hp_potion.txt").write_text(
        "image=images/loot/hp_potion.png\n[power]\nframes=2\nframe=0,0,0,0,32,40,4,51\nframe=1,0,40,0,8,8,4,8\n")
    out = tmp / "out"
    summary = B.build_dataset(
        out, install=False, min_per_category=1, max_per_category=100,
        roots={B.WESNOTH: wes, B.MINETEST: tmp / "minetest", B.GIMP: gimp, B.FLARE: flare})
    rows = [json.loads(l) for l in (out / "index.jsonl").read_text().splitlines()]
    return out, summary, rows


def test_index_well_formed(built):
    out, summary, rows = built
    assert len(rows) == summary["total"] > 0
    cats = C.all_categories()
    for r in rows:
        assert set(r) == {"path", "kind", "category", "caption", "source", "license", "origin"}
        assert not r["origin"].startswith("/") and r["origin"].split("#")[0].endswith((".png", ".pat"))
        assert r["kind"] in ("texture", "sprite", "prop")
        assert cats[r["category"]] == r["kind"]
        p = Path(r["path"])
        assert p.parts[:3] == ("images", r["kind"], r["category"])
        assert p.name.startswith(r["source"] + "-") and p.suffix == ".png"
        assert (out / p).is_file()
        assert r["license"] and r["license"] != "unknown"
    assert len({r["path"] for r in rows}) == len(rows)
    assert {r["category"] for r in rows} == {"elf", "orc", "potion", "cobblestone", "lava", "marble"}
    assert summary["kinds"]["sprite"] + summary["kinds"]["prop"] + summary["kinds"]["texture"] == len(rows)
    assert sum(d["count"] for d in summary["categories"].values()) == len(rows)


def test_sprites_have_transparent_borders(built):
    out, _, rows = built
    sprites = [r for r in rows if r["kind"] in ("sprite", "prop")]
    assert sprites
    for r in sprites:
        im = Image.open(out / r["path"])
        assert im.mode == "RGBA" and im.size == (64, 64)
        a = np.array(im)
        alpha = a[..., 3]
        assert (alpha[:4] == 0).all() and (alpha[-4:] == 0).all()
        assert (alpha[:, :4] == 0).all() and (alpha[:, -4:] == 0).all()
        assert (alpha >= 128).mean() >= 0.03
        assert (a[alpha == 0, :3] == 0).all()  # straight alpha, clean transparent RGB
        ys, xs = np.nonzero(alpha)
        # centered: equal margins up to one pixel
        assert abs(ys.min() - (63 - ys.max())) <= 1 and abs(xs.min() - (63 - xs.max())) <= 1
        # team-colour magenta recoloured
        assert not ((a[..., 0] == 0xF4) & (a[..., 1] == 0x9A) & (a[..., 2] == 0xC1) & (alpha > 0)).any()


def test_dropped_non_sprites(built):
    _, _, rows = built
    caps = {r["caption"] for r in rows}
    assert not any("tiny" in c or "opaque" in c or "dice" in c for c in caps)


def _seam_ok(img: np.ndarray) -> bool:
    """The step across each wrap seam is no larger than the steps inside the image.

    Compared per column/row boundary, because nearest-upscaled pixel art only has steps
    at its block boundaries (so the plain mean interior step is not comparable)."""
    f = img.astype(np.float32)
    for ax in (0, 1):
        g = np.moveaxis(f, ax, 0)
        inner = np.abs(np.diff(g, axis=0)).mean(axis=(1, 2))  # one value per boundary
        seam = np.abs(g[0] - g[-1]).mean()
        if seam > 1.25 * inner.max() + 1.0:
            return False
    return True


def test_textures_tileable(built):
    out, _, rows = built
    tex = [r for r in rows if r["kind"] == "texture"]
    assert len(tex) >= 6 * 5
    for r in tex:
        im = Image.open(out / r["path"])
        assert im.mode == "RGB" and im.size == (64, 64)
        assert _seam_ok(np.array(im)), r["path"]
    # a non-periodic image fails the same check
    ramp = np.cumsum(np.random.default_rng(0).integers(0, 12, (64, 64, 3)), axis=1).clip(0, 255)
    assert not _seam_ok(ramp.astype(np.uint8))
    # for smooth (not nearest-upscaled) textures the plain seam/interior ratio is ~1
    smooth = [r for r in tex if r["category"] == "marble"]
    ratios = [seam_ratio(np.array(Image.open(out / r["path"]))) for r in smooth]
    assert smooth and 0.5 < float(np.mean(ratios)) < 1.5


def test_captions_clean(built):
    _, _, rows = built
    caps = {r["category"]: set() for r in rows}
    for r in rows:
        caps[r["category"]].add(r["caption"])
    assert caps["elf"] == {"elvish archer", "female elvish archer", "elvish shaman"}
    assert caps["orc"] == {"orcish grunt", "orcish archer"}
    assert caps["potion"] == {"red potion", "blue potion", "holy water", "red health potion", "blue mana potion"}
    assert caps["cobblestone"] == {"cobblestone", "mossy cobblestone"}
    for c in set().union(*caps.values()):
        assert c == c.strip() and "  " not in c and "_" not in c and not any(ch.isdigit() for ch in c)
        for w in ("attack", "defend", "die", "melee", "ranged", "se"):
            assert w not in c.split()


def test_sources_and_licenses(built):
    out, _, rows = built
    src = {s["package"]: s for s in json.loads((out / "SOURCES.json").read_text())}
    assert set(src) == {B.WESNOTH, B.MINETEST, B.GIMP, B.FLARE}
    for name, s in src.items():
        assert s["images"] == sum(r["source"] == name for r in rows)
        assert s["categories"] == sorted({r["category"] for r in rows if r["source"] == name})
        assert s["license"] and s["version"]
    assert {r["license"] for r in rows if r["source"] == B.WESNOTH} == {"GPL-2.0-or-later"}


def test_flare_icons_lose_their_black_square_and_loot_its_shadow_and_specks(built):
    """Each icon is its own origin; the black square around an icon and the black shadow of a loot
    frame become transparent, a dark line enclosed by the icon's figure stays, a small icon stays (it is a
    whole item), and a loot frame that is only a speck of the animation is left out."""
    out, _, rows = built
    flare = [r for r in rows if r["source"] == B.FLARE]
    assert {r["origin"] for r in flare} == {"images/icons/icons.png#64", "images/icons/icons.png#65",
                                            "images/loot/hp_potion.png"}
    assert {r["license"] for r in flare} == {B.DEFAULT_LICENSE[B.FLARE]}
    for r in flare:
        a = np.array(Image.open(out / r["path"]))
        visible = a[a[..., 3] > 0, :3].astype(int)
        assert (visible.max(axis=1) >= 150).mean() > 0.8          # the red or blue item, not its black square
        dark = (visible.max(axis=1) < 20).mean()
        if r["origin"] == "images/icons/icons.png#64":
            assert 0 < dark < 0.2                                 # the enclosed line
        else:
            assert dark == 0                                      # shadow and square keyed out
    views = B._load_sprite_views(B.collect_flare(out.parent / "flare")[-1])
    assert len(views) == 1                                        # the 6 px frame is dropped
    assert B._visible_extent(views[0]) == 36


def test_flare_tables_name_known_categories():
    cats = C.all_categories()
    for cat, _ in list(C.FLARE_ICONS.values()) + list(C.FLARE_LOOT.values()):
        assert cats[cat] == "prop"


def test_unit_caption_and_categories():
    assert B.unit_caption("units/elves-wood/archer+female-attack-1") == "female elvish archer"
    assert B.unit_caption("units/drakes/burner-attack-se-2") == "drake burner"
    assert B.unit_caption("units/human-magi/white-mage-defend") == "white mage"
    assert C.unit_category("units/human-loyalists/knight/knight-attack-1") == "horse rider"
    assert C.unit_category("units/undead/bat-se-1") == "flying beast"
    assert C.unit_category("units/undead-skeletal/archer/archer-ranged") == "skeleton"
    assert C.unit_category("units/random-dice") is None
    assert C.prop_category("items/sword-2") == "sword"
    # "potion" is a filled potion and "treasure" coins, gold and gems: Minetest's empty glassware and
    # ore lumps drew white outlines and grey blobs for those words.
    for name in ("vessels_glass_bottle", "vessels_steel_bottle", "vessels_drinking_glass",
                 "default_clay_lump", "default_coal_lump", "default_steel_ingot", "default_mese_crystal_fragment"):
        assert C.prop_category(name) not in ("potion", "treasure"), name
    for name in ("default_gold_lump", "default_gold_ingot", "default_diamond", "default_mese_crystal"):
        assert C.prop_category(name) == "treasure", name
    assert B.prop_caption("items/potion-red") == "red potion"
    assert B.prop_caption("default_tool_steelsword") == "steel sword"


def test_pat_roundtrip(tmp_path):
    t = _tileable(np.random.default_rng(3), 12)
    write_pat(tmp_path / "x.pat", t)
    assert (read_pat(tmp_path / "x.pat") == t).all()


def test_cli_args(tmp_path):
    p = argparse.ArgumentParser()
    B.add_arguments(p)
    a = p.parse_args(["--out", str(tmp_path / "o"), "--no-install", "--sources", "nope"])
    assert a.no_install and a.max_per_category == 600
    assert B.run(a) == 2  # unknown source -> error exit code
