"""DDS files with block-compressed mip chains (BC1 = DXT1, BC3 = DXT5, BC7 via the DX10 header).

Layout (Microsoft's "DDS file layout"): "DDS " magic, the 124-byte DDS_HEADER with a DDS_PIXELFORMAT
(FourCC "DXT1"/"DXT5", or "DX10" followed by the 20-byte DDS_HEADER_DXT10 naming a DXGI format),
then every mip level's blocks, largest first. Levels smaller than a block still take one whole
4x4 block per started block; the encoder pads them by repetition (wrap for tileable textures).

Legacy DXT1/DXT5 headers carry no colour space: Unity and most tools take it from their own
import settings. The DX10 header does, so BC7 says BC7_UNORM_SRGB for colour and BC7_UNORM for
data maps (normal, height, roughness), which must not be gamma-decoded by the GPU.

Block encoding is etcpak's (a maintained C++ encoder on PyPI with BC1/BC3/BC7, used by UnityPy):
far faster than any numpy encoder and better quality than a range fit. It takes RGBA rows.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import etcpak
import numpy as np

from .mips import mip_chain

MAGIC = b"DDS "
DDSD_CAPS, DDSD_HEIGHT, DDSD_WIDTH, DDSD_PIXELFORMAT = 0x1, 0x2, 0x4, 0x1000
DDSD_MIPMAPCOUNT, DDSD_LINEARSIZE = 0x20000, 0x80000
DDPF_FOURCC = 0x4
DDSCAPS_COMPLEX, DDSCAPS_TEXTURE, DDSCAPS_MIPMAP = 0x8, 0x1000, 0x400000
DXGI_FORMAT_BC7_UNORM, DXGI_FORMAT_BC7_UNORM_SRGB = 98, 99
D3D10_RESOURCE_DIMENSION_TEXTURE2D = 3


@dataclass(frozen=True)
class BlockFormat:
    name: str
    block_bytes: int         # bytes per 4x4 block
    fourcc: bytes
    compress: object         # etcpak function: (rgba bytes, width, height) -> blocks


DDS_FORMATS = {
    "dds_bc1": BlockFormat("bc1", 8, b"DXT1", etcpak.compress_bc1),
    "dds_bc3": BlockFormat("bc3", 16, b"DXT5", etcpak.compress_bc3),
    "dds_bc7": BlockFormat("bc7", 16, b"DX10", etcpak.compress_bc7),
}


@dataclass(frozen=True)
class DdsInfo:
    width: int
    height: int
    mip_count: int
    fourcc: bytes
    dxgi_format: int | None   # set when the DX10 header is present
    data_offset: int          # where level 0's blocks start
    level_sizes: tuple[int, ...]


def level_size(width: int, height: int, block_bytes: int) -> int:
    return max(1, (width + 3) // 4) * max(1, (height + 3) // 4) * block_bytes


def _compress_level(level: np.ndarray, fmt: BlockFormat, wrap: bool) -> bytes:
    h, w = level.shape[:2]
    ph, pw = (-h) % 4, (-w) % 4
    if ph or pw:  # 1x1 and 2x2 levels still fill a whole block
        level = np.pad(level, ((0, ph), (0, pw), (0, 0)), mode="wrap" if wrap else "edge")
    blocks = fmt.compress(np.ascontiguousarray(level).tobytes(), level.shape[1], level.shape[0])
    expected = level_size(w, h, fmt.block_bytes)
    if len(blocks) != expected:
        raise RuntimeError(f"{fmt.name} encoder returned {len(blocks)} bytes for {w}x{h}, expected {expected}")
    return blocks


def header(width: int, height: int, mips: int, fmt: BlockFormat, srgb: bool) -> bytes:
    flags = DDSD_CAPS | DDSD_HEIGHT | DDSD_WIDTH | DDSD_PIXELFORMAT | DDSD_MIPMAPCOUNT | DDSD_LINEARSIZE
    caps = DDSCAPS_TEXTURE | (DDSCAPS_MIPMAP | DDSCAPS_COMPLEX if mips > 1 else 0)
    pixel_format = struct.pack("<II4s5I", 32, DDPF_FOURCC, fmt.fourcc, 0, 0, 0, 0, 0)
    out = MAGIC + struct.pack("<7I", 124, flags, height, width, level_size(width, height, fmt.block_bytes), 0, mips)
    out += b"\0" * 44 + pixel_format + struct.pack("<5I", caps, 0, 0, 0, 0)
    if fmt.fourcc == b"DX10":
        dxgi = DXGI_FORMAT_BC7_UNORM_SRGB if srgb else DXGI_FORMAT_BC7_UNORM
        out += struct.pack("<5I", dxgi, D3D10_RESOURCE_DIMENSION_TEXTURE2D, 0, 1, 0)
    return out


def encode_dds(pixels: np.ndarray, format: str, *, wrap: bool, premultiply: bool, space: str = "srgb") -> bytes:
    """[H, W, 4] uint8 -> a DDS file with the full mip chain. H and W must be multiples of 4.

    space: "srgb" colour (flagged sRGB in the DX10 header, mips in linear light), "linear" data
    or "normal" vectors (mips.SPACES)."""
    fmt = DDS_FORMATS[format]
    h, w = pixels.shape[:2]
    if h % 4 or w % 4:
        raise ValueError(f"block-compressed textures need sides that are multiples of 4, got {w}x{h}")
    levels = mip_chain(pixels, wrap=wrap, premultiply=premultiply, space=space)
    parts = [header(w, h, len(levels), fmt, space == "srgb")]
    parts += [_compress_level(level, fmt, wrap) for level in levels]
    return b"".join(parts)


def read_dds_header(data: bytes) -> DdsInfo:
    """Parse the headers of a DDS made by encode_dds (or any BC1/BC3/BC7 DDS with mips)."""
    if data[:4] != MAGIC or struct.unpack_from("<I", data, 4)[0] != 124:
        raise ValueError("not a DDS file (bad magic or header size)")
    height, width = struct.unpack_from("<II", data, 12)
    mips = max(1, struct.unpack_from("<I", data, 28)[0])
    fourcc = struct.unpack_from("<4s", data, 84)[0]
    offset, dxgi = 128, None
    if fourcc == b"DX10":
        dxgi = struct.unpack_from("<I", data, 128)[0]
        offset += 20
    block_bytes = 8 if fourcc == b"DXT1" else 16
    sizes = tuple(level_size(max(1, width >> i), max(1, height >> i), block_bytes) for i in range(mips))
    return DdsInfo(width, height, mips, fourcc, dxgi, offset, sizes)
