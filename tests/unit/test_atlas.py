"""Sprite atlases (client/atlas.py): no overlaps, pixels intact, Unity's bottom-left rects, foot pivots."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from plugin_service.client.atlas import foot_pivot, pack, write_atlas


def sprite(h: int, w: int, value: int) -> np.ndarray:
    p = np.zeros((h, w, 4), np.uint8)
    p[h // 4 : h - 2, w // 4 : w - w // 4] = (value, 255 - value, 7, 255)  # a body that ends 2 px above the bottom
    return p


def test_pack_places_every_sprite_without_overlap_and_keeps_its_pixels():
    sprites = [(f"s{i}", sprite(h, w, 20 * i)) for i, (h, w) in enumerate([(64, 64), (32, 48), (64, 16), (16, 16), (40, 24)])]
    atlas, entries = pack(sprites, padding=2)
    H, W = atlas.shape[:2]
    assert H & (H - 1) == 0 and W & (W - 1) == 0, "power-of-two atlas"
    used = np.zeros((H, W), bool)
    for (name, pixels), e in zip(sprites, entries):
        assert e.name == name and (e.height, e.width) == pixels.shape[:2]
        assert 0 <= e.x and e.x + e.width <= W and 0 <= e.y and e.y + e.height <= H
        assert not used[e.y : e.y + e.height, e.x : e.x + e.width].any(), f"{name} overlaps"
        used[e.y : e.y + e.height, e.x : e.x + e.width] = True
        assert np.array_equal(atlas[e.y : e.y + e.height, e.x : e.x + e.width], pixels)


def test_foot_pivot_is_the_bottom_centre_of_the_opaque_pixels():
    p = sprite(64, 64, 10)
    assert foot_pivot(p) == (0.5, round(2 / 64, 4))
    assert foot_pivot(np.zeros((8, 8, 4), np.uint8)) == (0.5, 0.5)


def test_unity_metadata_uses_a_bottom_left_origin(tmp_path):
    sprites = [("tall", sprite(64, 32, 50)), ("small", sprite(16, 16, 200))]
    png = write_atlas(sprites, tmp_path, "goblin_atlas")
    meta = json.loads((tmp_path / "goblin_atlas.json").read_text())
    atlas = np.asarray(Image.open(png))
    assert meta["image"] == "goblin_atlas.png" and (meta["height"], meta["width"]) == atlas.shape[:2]
    for (name, pixels), entry in zip(sprites, meta["sprites"]):
        r = entry["rect"]
        top = meta["height"] - r["y"] - r["height"]      # back to image rows (top-left origin)
        assert entry["name"] == name and entry["alignment"] == 9
        assert np.array_equal(atlas[top : top + r["height"], r["x"] : r["x"] + r["width"]], pixels)
        assert entry["border"] == {"x": 0, "y": 0, "z": 0, "w": 0}
        assert 0 <= entry["pivot"]["x"] <= 1 and 0 <= entry["pivot"]["y"] <= 1


def premultiplied_mips(atlas: np.ndarray, levels: int) -> list[np.ndarray]:
    """Box-filtered mips of the premultiplied atlas, as a GPU builds them."""
    x = atlas.astype(np.float64) / 255
    x[..., :3] *= x[..., 3:]
    out = [x]
    for _ in range(levels):
        x = (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2]) / 4
        out.append(x)
    return out


def edge_touching(h: int, w: int, colour) -> np.ndarray:
    p = np.zeros((h, w, 4), np.uint8)
    p[:, :] = (*colour, 255)               # opaque to every edge of its rect, as a goblin's spear is
    return p


def neighbour_leak(mips: int, levels: int) -> float:
    """Largest change in any sprite's own footprint (plus one texel for bilinear) at mip 1..levels
    when its neighbours are removed: 0 means no neighbour's pixels enter."""
    sprites = [(f"s{i}", edge_touching(64, 64, (200 * (i % 2), 60 * i % 255, 255 - 30 * i))) for i in range(8)]
    atlas, entries = pack(sprites, mips=mips)
    full = premultiplied_mips(atlas, levels)
    worst = 0.0
    for keep in entries:
        alone = atlas.copy()
        for other in entries:
            if other is not keep:    # remove the neighbour with everything it extruded
                alone[max(0, other.y - 2**mips):other.y + other.height + 2**mips,
                      max(0, other.x - 2**mips):other.x + other.width + 2**mips] = 0
        solo = premultiplied_mips(alone, levels)
        for k in range(1, levels + 1):
            s = 2**k
            y0, x0 = max(0, keep.y // s - 1), max(0, keep.x // s - 1)
            y1, x1 = (keep.y + keep.height) // s + 1, (keep.x + keep.width) // s + 1
            worst = max(worst, float(np.abs(full[k][y0:y1, x0:x1] - solo[k][y0:y1, x0:x1]).max()))
    return worst


def test_atlas_mips_stay_clean_for_the_levels_it_promises(tmp_path):
    """The example: sprites whose figure touches the rect edge. With the default 2 px padding a
    neighbour enters at mips 1 and 2; packed for 2 mips, nothing does, and the JSON says so."""
    assert neighbour_leak(mips=0, levels=2) > 0.1
    assert neighbour_leak(mips=2, levels=2) == 0.0
    png = write_atlas([("a", edge_touching(64, 64, (255, 0, 0))), ("b", edge_touching(32, 48, (0, 0, 255)))],
                      tmp_path, "two", mips=2)
    meta = json.loads((tmp_path / "two.json").read_text())
    assert meta["clean_mips"] == 2 and Image.open(png).size == (meta["width"], meta["height"])
    assert json.loads((write_atlas([("a", edge_touching(8, 8, (1, 2, 3)))], tmp_path, "one").with_suffix(".json")).read_text())["clean_mips"] == 0


def test_atlas_names_differ_for_different_sprites_of_one_prompt():
    from plugin_service.client.atlas import atlas_name

    a = atlas_name("goblin archer", ["goblin-archer_s5_1a2b3c4d", "goblin-archer_s6_5e6f7a8b"])
    b = atlas_name("goblin archer", ["goblin-archer_s7_0a0b0c0d", "goblin-archer_s8_9e9f9a9b"])
    assert a != b and a.startswith("goblin-archer_") and a.endswith("_atlas")
    assert a == atlas_name("goblin archer", ["goblin-archer_s6_5e6f7a8b", "goblin-archer_s5_1a2b3c4d"])
