"""Pixel operations of the data builder: sprite fitting, tileable crops, GIMP .pat reading."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 64
BOX = 56  # sprites/props fit in this box -> >= 4 transparent pixels on every side
MIN_OPAQUE = 0.03


# --------------------------------------------------------------------------- loading
def read_pat(path: Path) -> np.ndarray:
    """Read a GIMP pattern (.pat) into an RGB or RGBA uint8 array."""
    data = Path(path).read_bytes()
    header_size, version, w, h, nbytes = struct.unpack(">5I", data[:20])
    if data[20:24] != b"GPAT" or nbytes not in (1, 2, 3, 4):
        raise ValueError(f"not a GIMP pattern: {path}")
    px = np.frombuffer(data[header_size:header_size + w * h * nbytes], np.uint8)
    px = px.reshape(h, w, nbytes)
    if nbytes == 1:
        px = np.repeat(px, 3, axis=2)
    elif nbytes == 2:
        px = np.concatenate([np.repeat(px[..., :1], 3, axis=2), px[..., 1:]], axis=2)
    return np.ascontiguousarray(px)


def write_pat(path: Path, rgb: np.ndarray, name: str = "pattern") -> None:
    """Write an RGB uint8 array as a GIMP pattern (used by tests)."""
    h, w, c = rgb.shape
    nm = name.encode() + b"\0"
    header = struct.pack(">5I", 24 + len(nm), 1, w, h, c) + b"GPAT" + nm
    Path(path).write_bytes(header + np.ascontiguousarray(rgb, np.uint8).tobytes())


def load_rgba(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.array(im.convert("RGBA"))


def to_rgb(px: np.ndarray) -> np.ndarray:
    """Flatten alpha (holes in leaves etc.) over a darkened mean colour of the tile."""
    if px.shape[2] == 3:
        return px
    a = px[..., 3:4].astype(np.float32) / 255.0
    rgb = px[..., :3].astype(np.float32)
    if a.min() >= 1.0:
        return px[..., :3].copy()
    w = a[..., 0]
    mean = (rgb * a).reshape(-1, 3).sum(0) / max(w.sum(), 1e-6)
    bg = mean * 0.35
    return np.clip(rgb * a + bg * (1 - a), 0, 255).astype(np.uint8)


def split_frames(px: np.ndarray) -> list[np.ndarray]:
    """Minetest animated textures are vertical strips of square frames."""
    h, w = px.shape[:2]
    if h > w and h % w == 0:
        return [px[i * w:(i + 1) * w] for i in range(h // w)]
    return [px]


# --------------------------------------------------------------------------- sprites
def key_out_black(px: np.ndarray, border_only: bool = True, threshold: int = 12) -> np.ndarray:
    """Make near-black pixels transparent. border_only: those connected to the border (4-neighbour
    flood fill), for icons drawn on an opaque black square, so dark pixels enclosed by the figure
    stay (a near-black outline on the figure's edge goes with the background); otherwise every
    one, for renders whose shadow is drawn as opaque black (Flare's loot).

    px: [H, W, 4] uint8 RGBA; threshold: max channel value counted as black."""
    dark = (px[..., :3].max(axis=2) < threshold) | (px[..., 3] == 0)
    if not border_only:
        out = px.copy()
        out[dark] = 0
        return out
    reach = np.zeros_like(dark)
    reach[0], reach[-1], reach[:, 0], reach[:, -1] = dark[0], dark[-1], dark[:, 0], dark[:, -1]
    while True:
        grown = reach.copy()
        grown[1:] |= reach[:-1]
        grown[:-1] |= reach[1:]
        grown[:, 1:] |= reach[:, :-1]
        grown[:, :-1] |= reach[:, 1:]
        grown &= dark
        if (grown == reach).all():
            break
        reach = grown
    out = px.copy()
    out[reach] = 0
    return out


def _premultiplied(px: np.ndarray) -> np.ndarray:
    """[H, W, 4] uint8 straight alpha -> float32 premultiplied RGB and alpha, all on 0..255."""
    a = px[..., 3:4].astype(np.float32) / 255.0
    return np.concatenate([px[..., :3].astype(np.float32) * a, a * 255.0], axis=2)


def _straight(pm: np.ndarray) -> np.ndarray:
    """Inverse of _premultiplied, rounded to uint8; RGB is 0 where alpha rounds to 0."""
    al = np.clip(pm[..., 3], 0, 255)
    rgb = np.where(al[..., None] > 0.5, pm[..., :3] * 255.0 / np.maximum(al[..., None], 1e-3), 0)
    return np.concatenate([np.clip(rgb, 0, 255), al[..., None]], axis=2).round().astype(np.uint8)


def _per_channel(pm: np.ndarray, op) -> np.ndarray:
    return np.stack([np.array(op(Image.fromarray(np.ascontiguousarray(pm[..., i]), "F"))) for i in range(4)], axis=2)


def _resize_rgba(px: np.ndarray, size: tuple[int, int], nearest: bool) -> np.ndarray:
    if nearest:
        return np.array(Image.fromarray(px, "RGBA").resize(size, Image.NEAREST))
    # resample in premultiplied space so transparent pixels' colours don't bleed in
    return _straight(_per_channel(_premultiplied(px), lambda im: im.resize(size, Image.LANCZOS)))


def _rotate_rgba(px: np.ndarray, degrees: float) -> np.ndarray:
    # premultiplied as in _resize_rgba, and in float: 8-bit premultiplied colour rounds to black
    # at low alpha, which left dark pixels along a rotated copy's edge
    return _straight(_per_channel(_premultiplied(px), lambda im: im.rotate(degrees, resample=Image.BICUBIC, expand=True)))


def is_sprite_source(px: np.ndarray) -> bool:
    """False for images without real alpha (opaque, or framed icons)."""
    a = px[..., 3]
    if a.min() == 255:
        return False
    ys, xs = np.nonzero(a)
    if len(ys) == 0:
        return False
    crop = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    return (crop == 0).mean() >= 0.03 or crop.size < 0.5 * a.size


def fit_sprite(px: np.ndarray, scale: float = 1.0, rotate: float = 0.0, flip: bool = False,
               box: int = BOX, size: int = SIZE) -> np.ndarray | None:
    """Crop to alpha bbox, fit into box (aspect kept), center on a size x size canvas.

    Returns straight-alpha RGBA uint8 with RGB=0 where alpha=0, or None when the result is
    nearly empty (< 3% opaque pixels).
    """
    px = px.copy()
    px[px[..., 3] == 0, :3] = 0
    if flip:
        px = px[:, ::-1]
    if rotate:
        px = _rotate_rgba(px, rotate)
    a = px[..., 3]
    ys, xs = np.nonzero(a)
    if len(ys) == 0:
        return None
    px = px[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = px.shape[:2]
    s = min(box / w, box / h) * scale
    nw, nh = max(1, min(box, round(w * s))), max(1, min(box, round(h * s)))
    if (nw, nh) != (w, h):
        px = _resize_rgba(px, (nw, nh), nearest=s > 1.0)
    out = np.zeros((size, size, 4), np.uint8)
    y0, x0 = (size - nh) // 2, (size - nw) // 2
    out[y0:y0 + nh, x0:x0 + nw] = px
    out[out[..., 3] == 0, :3] = 0
    if (out[..., 3] >= 128).mean() < MIN_OPAQUE:
        return None
    return out


# Wesnoth team colour: magenta palette -> the default red team range (same maths as the game).
_TC_MAGENTA = [0xF49AC1, 0x3F0016, 0x55002A, 0x690039, 0x7B0045, 0x8C0051, 0x9E005D, 0xB10069,
               0xC30074, 0xD6007F, 0xEC008C, 0xEE3D96, 0xEF5BA1, 0xF172AC, 0xF287B6, 0xF6ADCD,
               0xF8C1D9, 0xFAD5E5, 0xFDE9F1]


def _tc_lut(mid=(255, 0, 0), mx=(255, 255, 255), mn=(0, 0, 0)) -> dict[int, tuple[int, int, int]]:
    def rgb(c):
        return (c >> 16) & 255, (c >> 8) & 255, c & 255
    ref = sum(rgb(_TC_MAGENTA[0])) / 3
    lut = {}
    for c in _TC_MAGENTA:
        avg = sum(rgb(c)) / 3
        if avg <= ref:
            r = avg / ref
            new = [r * m + (1 - r) * n for m, n in zip(mid, mn)]
        else:
            r = (255 - avg) / (255 - ref)
            new = [r * m + (1 - r) * x for m, x in zip(mid, mx)]
        lut[c] = tuple(int(round(v)) for v in new)
    return lut


_TC = _tc_lut()
_TC_KEYS = np.array(list(_TC.keys()), np.int64)
_TC_VALS = np.array(list(_TC.values()), np.uint8)


def recolor_team(px: np.ndarray) -> np.ndarray:
    """Replace Wesnoth's magenta team-colour pixels by the red team colour."""
    key = (px[..., 0].astype(np.int64) << 16) | (px[..., 1].astype(np.int64) << 8) | px[..., 2]
    idx = np.searchsorted(np.sort(_TC_KEYS), key)
    order = np.argsort(_TC_KEYS)
    sk = _TC_KEYS[order]
    idx = np.clip(idx, 0, len(sk) - 1)
    hit = (sk[idx] == key) & (px[..., 3] > 0)
    if not hit.any():
        return px
    out = px.copy()
    out[hit, :3] = _TC_VALS[order][idx[hit]]
    return out


# --------------------------------------------------------------------------- textures
def _resize_wrap(tile: np.ndarray, size: tuple[int, int], nearest: bool) -> np.ndarray:
    """Resize a tileable RGB tile so the result is still tileable (wrap-aware filtering)."""
    h, w = tile.shape[:2]
    if (w, h) == size:
        return tile
    if nearest:
        return np.array(Image.fromarray(tile, "RGB").resize(size, Image.NEAREST))
    big = np.tile(tile, (3, 3, 1))
    tw, th = size
    r = np.array(Image.fromarray(big, "RGB").resize((3 * tw, 3 * th), Image.LANCZOS))
    return r[th:2 * th, tw:2 * tw]


def tile_crops(tile: np.ndarray, n: int, rng: np.random.Generator, size: int = SIZE) -> list[np.ndarray]:
    """n seamlessly tileable size x size RGB crops of a tileable RGB source tile.

    Each crop holds an integer number of source periods (1, 2 or 4 per axis) so it tiles,
    with a random wrap-around offset; every other crop is flipped horizontally.
    """
    h, w = tile.shape[:2]
    pixel_art = max(h, w) <= 32
    periods = [1, 2, 4] if (pixel_art or max(h, w) <= 128) else [1, 2]
    out = []
    for i in range(n):
        px = int(periods[i % len(periods)] if i < len(periods) else rng.choice(periods))
        # keep the source aspect: choose py so the period height matches as well as possible
        want = px * w / h
        py = min(periods, key=lambda p: abs(np.log(p / want)))
        tw, th = size // px, size // py
        nearest = pixel_art and tw >= w and th >= h
        t = _resize_wrap(tile, (tw, th), nearest)
        big = np.tile(t, (py, px, 1))
        big = np.roll(big, (int(rng.integers(0, size)), int(rng.integers(0, size))), axis=(0, 1))
        if i % 2 == 1:
            big = big[:, ::-1]
        out.append(np.ascontiguousarray(big))
    return out


def seam_ratio(img: np.ndarray) -> float:
    """Mean |step| across the wrap seams / mean |step| inside (1.0 = seamless)."""
    f = img.astype(np.float32)
    inner = (np.abs(np.diff(f, axis=1)).mean() + np.abs(np.diff(f, axis=0)).mean()) / 2
    seam = (np.abs(f[:, 0] - f[:, -1]).mean() + np.abs(f[0] - f[-1]).mean()) / 2
    return float(seam / max(inner, 1e-6))
