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
