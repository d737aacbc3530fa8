"""The servicer's translation layer: proto messages <-> the service's dataclasses.

Together with servicer.py, the only server code that imports the generated proto module.
"""
from __future__ import annotations

from collections.abc import Iterator

import grpc

from ..proto.assetgen.v1 import assetgen_pb2 as pb
from .catalog import ModelCatalog
from .config import ServiceConfig
from .encode import chunks
from .jobs import PIPELINE_VERSION, AssetRequest, AssetResult, ServiceError

from ..wire_names import (FORMAT_FROM_PROTO, FORMAT_TO_PROTO, KIND_FROM_PROTO, KIND_TO_PROTO, MAP_FROM_PROTO,
                          MAP_TO_PROTO, PRIORITY_FROM_PROTO)


def _enum_value(mapping: dict[int, str], value: int, unset: str | None = None) -> str:
    # Unknown numbers pass through as text so validation can name them in its message.
    if value == 0 and unset is not None:
        return unset
    return mapping.get(value, f"<enum value {value}>")


def request_from_proto(msg: pb.GenerateRequest, tag: str = "", timeout_s: float | None = None) -> AssetRequest:
    return AssetRequest(
        prompt=msg.prompt,
        kind=_enum_value(KIND_FROM_PROTO, msg.kind, unset="<unset>"),
        model=msg.model,
        width=msg.width,
        height=msg.height,
        count=msg.count,
        seed=msg.seed if msg.HasField("seed") else None,
        format=_enum_value(FORMAT_FROM_PROTO, msg.format),
        tileable=msg.tileable if msg.HasField("tileable") else None,
        priority=_enum_value(PRIORITY_FROM_PROTO, msg.priority),
        timeout_s=timeout_s,
        tag=tag,
        maps=tuple(_enum_value(MAP_FROM_PROTO, m) for m in msg.maps),
        vary_seed=msg.vary.seed if msg.HasField("vary") else None,
        vary_strength=msg.vary.strength if msg.HasField("vary") else None,
        interpolate_seed=msg.interpolate.seed_b if msg.HasField("interpolate") else None,
        interpolate_t=msg.interpolate.t if msg.HasField("interpolate") and msg.interpolate.HasField("t") else None,
    )


def asset_messages(result: AssetResult, chunk_size: int) -> Iterator[pb.Asset]:
    """One Asset message per chunk; each repeats the metadata so any chunk identifies its asset.
    The image's other material maps (result.extra) follow, each a whole asset of its own."""
    noise = {}
    if result.vary_seed is not None:
        noise["vary"] = pb.Variation(seed=result.vary_seed, strength=result.vary_strength)
    if result.interpolate_seed is not None:
        noise["interpolate"] = pb.Interpolation(seed_b=result.interpolate_seed, t=result.interpolate_t)
    for offset, piece in chunks(result.data, chunk_size):
        yield pb.Asset(
            tag=result.tag,
            index=result.index,
            seed=result.seed,
            kind=KIND_TO_PROTO[result.kind],
            width=result.width,
            height=result.height,
            format=FORMAT_TO_PROTO[result.format],
            channels=result.channels,
            tileable=result.tileable,
            model=result.model,
            model_version=result.model_version,
            sha256=result.sha256,
            total_size=len(result.data),
            offset=offset,
            data=piece,
            map=MAP_TO_PROTO[result.map],
            pipeline=result.pipeline,
            **noise,
        )
    for extra in result.extra:
        yield from asset_messages(extra, chunk_size)


def tag_error(tag: str, error: ServiceError) -> pb.SessionResponse:
    """A tag's failure; a RetryLater's hint goes in retry_after_ms (0 = retrying cannot help)."""
    code = grpc.StatusCode[error.code]
    return pb.SessionResponse(error=pb.TagError(tag=tag, code=code.value[0], code_name=error.code, message=error.message,
                                                retry_after_ms=error.retry_after_ms or 0))


def tag_done(tag: str, count: int) -> pb.SessionResponse:
    return pb.SessionResponse(done=pb.TagDone(tag=tag, count=count))


def list_models_response(catalog: ModelCatalog, config: ServiceConfig) -> pb.ListModelsResponse:
    limits = pb.Limits(
        max_count=config.max_count,
        max_prompt_chars=config.max_prompt_chars,
        max_batch=config.max_batch,
        chunk_size=config.chunk_size,
        max_queued_images=config.max_queued_images,
    )
    models = []
    for entry in catalog:
        m = entry.manifest
        kinds = [
            pb.KindInfo(kind=KIND_TO_PROTO[k], native_size=s.native_size, sizes=list(s.sizes),
                        channels=s.channels, tileable=s.tileable)
            for k, s in m.kinds.items() if k in KIND_TO_PROTO
        ]
        models.append(pb.ModelInfo(
            name=m.name, version=m.version, is_default=entry.name == catalog.default, kinds=kinds,
            formats=list(FORMAT_TO_PROTO.values()), limits=limits, license=m.license, pipeline=PIPELINE_VERSION,
        ))
    return pb.ListModelsResponse(models=models, default_model=catalog.default)
