"""uint8 pixels -> the bytes a client asked for (PNG, raw RGBA8 or DDS), hashed, as an AssetResult.

Runs in the encoder thread pool: zlib, hashlib, etcpak and torch release the GIL, so encoding of
one batch overlaps the next batch's compute. Material maps arrive ready-made from the runner
(materials.MapPlan derives them on its device from the uint8 albedo); this module only encodes
them. Also owns the cutting of big assets into stream chunks.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Iterator

import numpy as np
from PIL import Image

from ..formats.dds import DDS_FORMATS, encode_dds
from .jobs import AssetResult, Job

# zlib level 1: about 3x faster than the default 6 for ~10% larger files; at runtime a frame
# of latency matters more than a few KiB.
PNG_COMPRESS_LEVEL = 1
# Channels of each material map when it is a PNG or DDS (raw RGBA8 is always 4).
MAP_CHANNELS = {"normal": 3, "height": 1, "roughness": 1}
# What each map's values mean (formats/mips.py SPACES): how mips filter it and whether a DDS is sRGB.
MAP_SPACES = {"albedo": "srgb", "normal": "normal", "height": "linear", "roughness": "linear"}


def encode_pixels(pixels: np.ndarray, fmt: str, channels: int, *, tileable: bool = False,
                  space: str = "srgb") -> bytes:
    """pixels: [H, W, 4] uint8. png: grey (L) when channels == 1, RGB when 3, else RGBA; rgba8:
    always 4 bytes/pixel; dds_*: block-compressed with mips (wrap-around when tileable; filtered
    and flagged by `space`: sRGB colour, linear data or normal vectors)."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 4:
        raise ValueError(f"expected [H, W, 4] uint8 pixels, got {pixels.shape} {pixels.dtype}")
    if fmt == "rgba8":
        return np.ascontiguousarray(pixels).tobytes()
    if fmt in DDS_FORMATS:
        return encode_dds(pixels, fmt, wrap=tileable, premultiply=channels == 4, space=space)
    if fmt == "png":
        if channels == 1:
            image = Image.fromarray(np.ascontiguousarray(pixels[:, :, 0]), "L")
        elif channels == 3:
            image = Image.fromarray(np.ascontiguousarray(pixels[:, :, :3]), "RGB")
        else:
            image = Image.fromarray(np.ascontiguousarray(pixels), "RGBA")
        buf = io.BytesIO()
        image.save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
        return buf.getvalue()
    raise ValueError(f"unknown format {fmt!r}")


def encode_asset(job: Job, index: int, pixels: np.ndarray, kind_channels: int,
                 maps: dict[str, np.ndarray] | None = None) -> AssetResult:
    """pixels: [H, W, 4] uint8 albedo; maps: {name: [H, W, 4] uint8} from the runner, holding every
    derived map in job.maps; kind_channels: the kind's channels in the manifest (3 = opaque RGB,
    4 = RGBA).

    One result per image: the first of job.maps, with the other maps in `extra`."""
    if job.maps == ("albedo",):
        return _encode_map(job, index, pixels, kind_channels, "albedo")
    images = {"albedo": pixels, **(maps or {})}
    missing = [name for name in job.maps if name not in images]
    if missing:
        raise ValueError(f"the runner did not derive the maps {missing} this job asked for")
    results = [_encode_map(job, index, images[name], MAP_CHANNELS.get(name, kind_channels), name)
               for name in job.maps]
    return dataclasses.replace(results[0], extra=tuple(results[1:]))


def _encode_map(job: Job, index: int, pixels: np.ndarray, map_channels: int, map_name: str) -> AssetResult:
    channels = 4 if job.format == "rgba8" else map_channels
    data = encode_pixels(pixels, job.format, channels, tileable=job.tileable, space=MAP_SPACES[map_name])
    noise = job.item_noise(index)
    return AssetResult(
        tag=job.tag,
        index=index,
        seed=job.item_seed(index),
        kind=job.kind,
        width=job.width,
        height=job.height,
        format=job.format,
        channels=channels,
        tileable=job.tileable,
        model=job.model,
        model_version=job.model_version,
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        map=map_name,
        vary_seed=noise.vary_seed,
        vary_strength=noise.vary_strength,
        interpolate_seed=noise.interpolate_seed,
        interpolate_t=noise.interpolate_t,
    )


def chunks(data: bytes, chunk_size: int) -> Iterator[tuple[int, bytes]]:
    """(offset, piece) covering `data` in order; an empty asset is one empty chunk."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    view = memoryview(data)
    if not data:
        yield 0, b""
        return
    for offset in range(0, len(data), chunk_size):
        yield offset, bytes(view[offset : offset + chunk_size])
