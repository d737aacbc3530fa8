"""DDS files (plugin_service/formats): headers, mip sizes, and decoded quality (texture2ddecoder)."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from plugin_service.formats.dds import encode_dds, read_dds_header
from plugin_service.formats.mips import mip_chain
from plugin_service.formats.dds import level_size

texture2ddecoder = pytest.importorskip("texture2ddecoder", reason="pip install texture2ddecoder (dev extra)")
DECODERS = {"dds_bc1": texture2ddecoder.decode_bc1, "dds_bc3": texture2ddecoder.decode_bc3,
            "dds_bc7": texture2ddecoder.decode_bc7}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def texture_like(size: int = 256, seed: int = 0) -> np.ndarray:
    """Smooth tileable colour field plus fine grain: closer to a generated texture than white noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size * 2 * np.pi
    rgb = np.zeros((size, size, 3))
    for _ in range(8):
        fx, fy = rng.integers(1, 9, size=2)
        rgb += rng.uniform(0.2, 1, size=3) * np.sin(fx * x + fy * y + rng.uniform(0, 6))[..., None]
    rgb = (rgb - rgb.min()) / (rgb.max() - rgb.min()) * 230 + rng.normal(0, 4, (size, size, 1))
    return np.dstack([np.clip(rgb, 0, 255).astype(np.uint8), np.full((size, size), 255, np.uint8)])


def decode_level(data: bytes, fmt: str, offset: int, w: int, h: int) -> np.ndarray:
    """-> [h, w, 4] RGBA (the decoder writes BGRA, whole 4x4 blocks)."""
    bw, bh = max(4, -(-w // 4) * 4), max(4, -(-h // 4) * 4)
    bgra = np.frombuffer(DECODERS[fmt](data[offset:], bw, bh), np.uint8).reshape(bh, bw, 4)
    return bgra[:h, :w][..., [2, 1, 0, 3]]


@pytest.mark.parametrize("fmt,fourcc", [("dds_bc1", b"DXT1"), ("dds_bc3", b"DXT5"), ("dds_bc7", b"DX10")])
def test_header_and_full_mip_chain(fmt, fourcc):
    pixels = texture_like(128, 1)[:, :, :]
    pixels = np.ascontiguousarray(pixels[:32])                   # 128 x 32: non-square chain
    data = encode_dds(pixels, fmt, wrap=True, premultiply=False)
    info = read_dds_header(data)
    assert (info.width, info.height, info.mip_count, info.fourcc) == (128, 32, 8, fourcc)
    block = 8 if fmt == "dds_bc1" else 16
    assert info.level_sizes == tuple(level_size(max(1, 128 >> i), max(1, 32 >> i), block) for i in range(8))
    assert info.level_sizes[-1] == block                        # 1x1 still takes one block
    assert len(data) == info.data_offset + sum(info.level_sizes)
    flags, = struct.unpack_from("<I", data, 8)
    assert flags & 0x20000 and flags & 0x80000                 # MIPMAPCOUNT, LINEARSIZE
    assert struct.unpack_from("<I", data, 20)[0] == info.level_sizes[0]
    assert info.dxgi_format == (99 if fmt == "dds_bc7" else None)   # BC7_UNORM_SRGB for colour
    linear = read_dds_header(encode_dds(pixels, fmt, wrap=True, premultiply=False, space="linear"))
    assert linear.dxgi_format == (98 if fmt == "dds_bc7" else None)


# (level 0, every level): small mips of this test texture hold up to 4 px per sine period, the
# worst case for 4x4 blocks, so the bar for them is lower than for the full-size image.
@pytest.mark.parametrize("fmt,min_db", [("dds_bc1", (30.0, 24.0)), ("dds_bc3", (30.0, 24.0)),
                                        ("dds_bc7", (40.0, 30.0))])
def test_every_level_decodes_close_to_its_uncompressed_mip(fmt, min_db):
    pixels = texture_like(256)
    data = encode_dds(pixels, fmt, wrap=True, premultiply=False)
    info = read_dds_header(data)
    offset = info.data_offset
    for i, (reference, size) in enumerate(zip(mip_chain(pixels, wrap=True, premultiply=False), info.level_sizes)):
        decoded = decode_level(data, fmt, offset, reference.shape[1], reference.shape[0])
        offset += size
        db = psnr(decoded[..., :3], reference[..., :3])
        bar = min_db[0] if i == 0 else min_db[1]
        assert db >= bar, f"{fmt} level {i} ({reference.shape[1]}px): {db:.1f} dB < {bar}"


def test_bc3_keeps_sprite_alpha():
    pixels = texture_like(64)
    yy, xx = np.mgrid[0:64, 0:64]
    pixels[..., 3] = np.where((yy - 32) ** 2 + (xx - 32) ** 2 < 20**2, 255, 0)
    data = encode_dds(pixels, "dds_bc3", wrap=False, premultiply=True)
    decoded = decode_level(data, "dds_bc3", read_dds_header(data).data_offset, 64, 64)
    assert np.abs(decoded[..., 3].astype(int) - pixels[..., 3]).max() <= 2


def test_mips_of_a_tileable_texture_tile_and_average():
    pixels = texture_like(64)
    levels = mip_chain(pixels, wrap=True, premultiply=False, space="linear")
    assert [lv.shape[:2] for lv in levels] == [(64 >> i, 64 >> i) for i in range(7)]
    two = pixels[:2, :2].astype(float).mean(axis=(0, 1))
    assert np.abs(levels[1][0, 0].astype(float) - two).max() <= 0.5   # a box filter
    assert np.abs(levels[-1][0, 0].astype(float) - pixels.reshape(-1, 4).mean(0)).max() <= 1.0
    # Rolling by a whole level-1 pixel rolls level 1 the same way: wrap-around, no edge effects.
    rolled = mip_chain(np.roll(pixels, (2, 6), axis=(0, 1)), wrap=True, premultiply=False, space="linear")
    assert np.array_equal(np.roll(levels[1], (1, 3), axis=(0, 1)), rolled[1])


def test_odd_sides_and_premultiplied_alpha():
    pixels = np.zeros((6, 10, 4), np.uint8)
    pixels[:, :5] = (255, 0, 0, 255)                   # opaque red left half; right half transparent green
    pixels[:, 5:] = (0, 255, 0, 0)
    levels = mip_chain(pixels, wrap=False, premultiply=True)
    assert [lv.shape[:2] for lv in levels] == [(6, 10), (3, 5), (1, 2), (1, 1)]
    assert levels[1][..., 1].max() == 0, "transparent green must not bleed into the red edge"


def test_sizes_must_be_blocks():
    with pytest.raises(ValueError, match="multiples of 4"):
        encode_dds(np.zeros((6, 8, 4), np.uint8), "dds_bc1", wrap=True, premultiply=False)


def test_colour_mips_average_in_linear_light():
    """A black and white checker is half the light: its 1x1 mip is sRGB 188, not 128 (averaging the
    encoded values darkens every level; on model textures by 1-4 levels at 1x1)."""
    from plugin_service.formats.mips import linear_to_srgb, srgb_to_linear

    yy, xx = np.mgrid[0:16, 0:16]
    pixels = np.zeros((16, 16, 4), np.uint8)
    pixels[..., :3] = (((yy + xx) % 2) * 255)[..., None]
    pixels[..., 3] = 255
    assert mip_chain(pixels, wrap=True, premultiply=False)[-1][0, 0, 0] == 188
    assert mip_chain(pixels, wrap=True, premultiply=False, space="linear")[-1][0, 0, 0] == 128
    tex = texture_like(64)
    mean = linear_to_srgb(srgb_to_linear(tex[..., :3] / 255.0).reshape(-1, 3).mean(0)) * 255
    assert np.abs(mip_chain(tex, wrap=True, premultiply=False)[-1][0, 0, :3] - mean).max() <= 1.0


def test_normal_map_mips_stay_unit_vectors():
    yy, xx = np.mgrid[0:16, 0:16]
    tilt = np.where(((yy // 2 + xx // 2) % 2)[..., None] == 1, [0.6, 0.0, 0.8], [-0.6, 0.0, 0.8])
    pixels = np.concatenate((np.rint((tilt + 1) * 127.5), np.full((16, 16, 1), 255)), -1).astype(np.uint8)
    levels = mip_chain(pixels, wrap=True, premultiply=False, space="normal")
    for level in levels[1:]:
        n = level[..., :3] / 127.5 - 1
        assert np.allclose(np.linalg.norm(n, axis=-1), 1.0, atol=0.02)
    assert np.allclose(levels[-1][0, 0, :3] / 127.5 - 1, [0, 0, 1], atol=0.01)   # opposite tilts cancel: flat
