"""Client-side types: the Asset a caller gets back, the request builder, chunk reassembly.

Shared by the sync and asyncio clients. Callers see plain dataclasses and strings ("texture",
"png"); only this package and the server's servicer know the proto messages.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import grpc

from ..asset import AssetInfo
from ..proto.assetgen.v1 import assetgen_pb2 as pb
from ..wire_names import FORMAT_FROM_PROTO as _FORMAT_NAMES
from ..wire_names import FORMAT_TO_PROTO, KIND_TO_PROTO, MAP_TO_PROTO, PRIORITY_TO_PROTO
from ..wire_names import KIND_FROM_PROTO as _KIND_NAMES
from ..wire_names import MAP_FROM_PROTO as _MAP_NAMES

# Names a caller may pass (the vocabulary's, plus "rgba" as the CLI's short name for rgba8).
KINDS = KIND_TO_PROTO
FORMATS = FORMAT_TO_PROTO | {"rgba": FORMAT_TO_PROTO["rgba8"]}
MAPS = MAP_TO_PROTO
PRIORITIES = PRIORITY_TO_PROTO


class ChunkError(Exception):
    """The stream broke the chunking contract (gap, overlap, size or hash mismatch)."""


@dataclass(frozen=True)
class Asset(AssetInfo):
    """An asset as the client received it (chunks joined and hash-checked): asset.AssetInfo's
    fields, plus decoding helpers."""

    def image(self):
        """A PIL image (decoded PNG, or the raw RGBA8 bytes wrapped). DDS: not decoded here
        (use a GPU or texture2ddecoder); raises ValueError."""
        from PIL import Image

        if self.format.startswith("dds_"):
            raise ValueError(f"{self.format} is a block-compressed DDS file; load it on the GPU or decode it "
                             f"with texture2ddecoder")
        if self.format == "rgba8":
            return Image.frombytes("RGBA", (self.width, self.height), self.data)
        image = Image.open(io.BytesIO(self.data))
        image.load()
        return image

    def pixels(self):
        """[height, width, channels] uint8 numpy array."""
        import numpy as np

        return np.asarray(self.image())


@dataclass(frozen=True)
class KindInfo:
    kind: str
    native_size: int
    sizes: tuple[int, ...]
    channels: int
    tileable: bool


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    is_default: bool
    kinds: dict[str, KindInfo]
    formats: tuple[str, ...]
    limits: dict[str, int]
    license: str
    pipeline: int = 0          # the pixel pipeline version its assets carry (cache keys need it)


def build_request(prompt: str, kind: str = "texture", *, model: str = "", width: int = 0, height: int = 0,
                  size: int = 0, count: int = 1, seed: int | None = None, format: str = "png",
                  tileable: bool | None = None, priority: str = "interactive", maps: tuple[str, ...] = (),
                  vary_seed: int | None = None, strength: float = 0.2, interpolate_seed: int | None = None,
                  interpolate_t: float | None = None) -> pb.GenerateRequest:
    """Keyword arguments -> GenerateRequest. Unknown names fail here; ranges are the server's call.

    maps: material maps per texture image ("albedo", "normal", "height", "roughness").
    vary_seed + strength: variations of `seed` (asset i: variation seed vary_seed + i).
    interpolate_seed: `count` frames from `seed` (t = 0) to it (t = 1); interpolate_t pins one frame.
    """
    for name, value, table in (("kind", kind, KINDS), ("format", format, FORMATS), ("priority", priority, PRIORITIES)):
        if value not in table:
            raise ValueError(f"{name} {value!r} is unknown; choose one of: {', '.join(table)}")
    if isinstance(maps, str):
        maps = (maps,)
    for m in maps:
        if m not in MAPS:
            raise ValueError(f"map {m!r} is unknown; choose from: {', '.join(MAPS)}")
    if vary_seed is not None and interpolate_seed is not None:
        raise ValueError("vary_seed and interpolate_seed are exclusive; ask for one of them")
    request = pb.GenerateRequest(
        model=model, kind=KINDS[kind], prompt=prompt, width=width or size, height=height or size,
        count=count, format=FORMATS[format], priority=PRIORITIES[priority], maps=[MAPS[m] for m in maps],
    )
    if vary_seed is not None:
        request.vary.CopyFrom(pb.Variation(seed=vary_seed, strength=strength))
    if interpolate_seed is not None:
        request.interpolate.seed_b = interpolate_seed
        if interpolate_t is not None:
            request.interpolate.t = interpolate_t
    if seed is not None:
        request.seed = seed
    if tileable is not None:
        request.tileable = tileable
    return request


def model_info_from_proto(msg: pb.ModelInfo) -> ModelInfo:
    kinds = {
        _KIND_NAMES[k.kind]: KindInfo(_KIND_NAMES[k.kind], k.native_size, tuple(k.sizes), k.channels, k.tileable)
        for k in msg.kinds if k.kind in _KIND_NAMES
    }
    limits = {f.name: getattr(msg.limits, f.name) for f in msg.limits.DESCRIPTOR.fields}
    return ModelInfo(msg.name, msg.version, msg.is_default, kinds,
                     tuple(_FORMAT_NAMES.get(f, str(f)) for f in msg.formats), limits, msg.license,
                     msg.pipeline)


@dataclass
class _Partial:
    first: pb.Asset
    buffer: bytearray


class ChunkAssembler:
    """Feed every Asset message; get an Asset back when its last chunk arrives, else None.

    Chunks of one asset arrive in offset order (gRPC keeps a stream's order), but chunks of
    different assets may interleave in a Session, so partial assets are keyed by (tag, index).
    """

    def __init__(self) -> None:
        self._partial: dict[tuple[str, int, int], _Partial] = {}

    @property
    def pending(self) -> int:
        return len(self._partial)

    def add(self, msg: pb.Asset) -> Asset | None:
        key = (msg.tag, msg.index, msg.map)  # the maps of one image share its index
        part = self._partial.get(key)
        if part is None:
            if msg.offset != 0:
                raise ChunkError(f"asset {key} starts at offset {msg.offset}, expected 0 (first chunk lost?)")
            part = _Partial(msg, bytearray())
        elif msg.offset != len(part.buffer):
            raise ChunkError(f"asset {key}: chunk at offset {msg.offset}, expected {len(part.buffer)}")
        elif msg.total_size != part.first.total_size or msg.sha256 != part.first.sha256:
            raise ChunkError(f"asset {key}: chunk metadata changed mid-asset")
        part.buffer += msg.data
        if len(part.buffer) > msg.total_size:
            raise ChunkError(f"asset {key}: {len(part.buffer)} bytes received, more than total_size {msg.total_size}")
        if len(part.buffer) < msg.total_size:
            self._partial[key] = part
            return None
        self._partial.pop(key, None)
        data = bytes(part.buffer)
        digest = hashlib.sha256(data).hexdigest()
        if digest != msg.sha256:
            raise ChunkError(f"asset {key}: sha256 {digest} does not match the announced {msg.sha256}")
        return Asset(
            tag=msg.tag, index=msg.index, seed=msg.seed, kind=_KIND_NAMES.get(msg.kind, str(msg.kind)),
            width=msg.width, height=msg.height, format=_FORMAT_NAMES.get(msg.format, str(msg.format)),
            channels=msg.channels, tileable=msg.tileable, model=msg.model, model_version=msg.model_version,
            sha256=msg.sha256, data=data, map=_MAP_NAMES.get(msg.map, str(msg.map)),
            vary_seed=msg.vary.seed if msg.HasField("vary") else None,
            vary_strength=msg.vary.strength if msg.HasField("vary") else None,
            interpolate_seed=msg.interpolate.seed_b if msg.HasField("interpolate") else None,
            interpolate_t=msg.interpolate.t if msg.HasField("interpolate") else None,
            pipeline=msg.pipeline,
        )


@dataclass(frozen=True)
class SessionEvent:
    """One thing that happened to a tag: an asset arrived, the tag is done, or it failed."""
    tag: str
    asset: Asset | None = None
    done: bool = False                       # every asset of the tag has arrived
    code: grpc.StatusCode | None = None      # set when the tag failed (CANCELLED when cancelled)
    message: str = ""
    retry_after_ms: int = 0                  # > 0: the server means "try later" (submit it again after this)

    @property
    def failed(self) -> bool:
        return self.code is not None


_CODES = {c.value[0]: c for c in grpc.StatusCode}


def session_event(msg: pb.SessionResponse, assembler: ChunkAssembler) -> SessionEvent | None:
    """SessionResponse -> SessionEvent, or None while an asset's chunks are still arriving."""
    which = msg.WhichOneof("event")
    if which == "asset":
        asset = assembler.add(msg.asset)
        return None if asset is None else SessionEvent(asset.tag, asset=asset)
    if which == "done":
        return SessionEvent(msg.done.tag, done=True)
    if which == "error":
        return SessionEvent(msg.error.tag, code=_CODES.get(msg.error.code, grpc.StatusCode.UNKNOWN),
                            message=msg.error.message, retry_after_ms=msg.error.retry_after_ms)
    return None  # a newer server's event this client does not know: skip it
