"""The deterministic cache key of one generated asset, shared with the Unity client.

An asset is a function of (model name, model version, the server's pixel pipeline version, kind,
prompt, width, height, seed, format, tileable), so those ten values name it: the key is the lowercase hex sha256 of their canonical
string. The Unity package computes the same key in C# (unity_client/Runtime/Core/CacheKey.cs);
tests/golden/cache_keys.json holds vectors that both test suites check.

Canonical form, version 2 (UTF-8, every line ends with "\\n", fields in this order):

    assetgen-cache-key/v2
    model=<S>
    model_version=<S>
    pipeline=<decimal, >= 1>                       the Asset's (or ListModels') pipeline version
    kind=texture|sprite|prop
    prompt=<S>
    width=<decimal>
    height=<decimal>
    seed=<decimal, 0..2**64-1>
    format=png|rgba8
    tileable=true|false

then, only when set (so every key of a plain albedo asset is what it was before they existed):

    map=normal|height|roughness                    (omitted for the albedo)
    vary_seed=<decimal>                            variations: this asset's variation seed
    vary_strength=<16 lowercase hex digits>        the IEEE-754 binary64 bits of the strength
    interpolate_seed=<decimal>                     interpolation frames: the end seed
    interpolate_t=<16 lowercase hex digits>        the IEEE-754 binary64 bits of this frame's t

(floats as their bits, not as decimal text, because Python's repr and C#'s "R" format differ,
e.g. 1e-05 vs 1E-05), and format may also be dds_bc1|dds_bc3|dds_bc7;
where <S> is "<number of UTF-8 bytes>:<the text>", so no text (a prompt with a newline or an
"=" in it) can be read as another field. The prompt loses leading and trailing ASCII whitespace
(space, tab, LF, VT, FF, CR) first; the server strips at least that much, so two prompts that give
the same pixels may get different keys (a cache miss) but never the other way round. Numbers have
no sign and no leading zeros. Every value must be concrete: the model's real name and version
(from ListModels or the asset), the real size (not 0 = native), the real seed (the asset's own:
asset i of a request has seed + i) and the resolved tileable flag. Change anything here only
together with the C# side, a new version tag, and new golden vectors.
"""
from __future__ import annotations

import hashlib
import struct

from ..vocabulary import FORMATS as FORMAT_NAMES
from ..vocabulary import KINDS as KIND_NAMES
from ..vocabulary import MAPS as MAP_NAMES
from .assets import Asset

VERSION_TAG = "assetgen-cache-key/v2"
ASCII_WHITESPACE = " \t\n\x0b\x0c\r"
MAX_SEED = 2**64 - 1
LEGACY_PIPELINE = 1  # what a server that reports no pipeline version (0 on the wire) ran


def reported_pipeline(value: int) -> int:
    """The pipeline version an Asset or ListModels reports, with 0 (an older server) read as 1."""
    return value or LEGACY_PIPELINE


def _text(value: str) -> str:
    return f"{len(value.encode('utf-8'))}:{value}"


def _float_bits(value: float) -> str:
    return struct.pack(">d", float(value)).hex()


def _seed_ok(seed) -> bool:
    return not isinstance(seed, bool) and isinstance(seed, int) and 0 <= seed <= MAX_SEED


def canonical_string(*, model: str, model_version: str, pipeline: int, kind: str, prompt: str, width: int, height: int,
                     seed: int, format: str, tileable: bool, map: str = "albedo", vary_seed: int | None = None,
                     vary_strength: float | None = None, interpolate_seed: int | None = None,
                     interpolate_t: float | None = None) -> str:
    """The versioned string the key hashes; ValueError says which input is not concrete."""
    prompt = prompt.strip(ASCII_WHITESPACE)
    problems = []
    if not model:
        problems.append("model is empty: use the model's real name (ListModels' default_model)")
    if not model_version:
        problems.append("model_version is empty: use the version ListModels or the asset reports")
    if isinstance(pipeline, bool) or not isinstance(pipeline, int) or pipeline < 1:
        problems.append(f"pipeline {pipeline!r} must be a positive integer: the version the asset or ListModels reports "
                        "(0 = a server too old to report one)")
    if kind not in KIND_NAMES:
        problems.append(f"kind {kind!r} is not one of {', '.join(KIND_NAMES)}")
    if not prompt:
        problems.append("prompt is empty")
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            problems.append(f"{name} {value!r} must be a positive integer (resolve 0 to the native size)")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        problems.append(f"seed {seed!r} must be an integer in 0..2**64-1")
    if format not in FORMAT_NAMES:
        problems.append(f"format {format!r} is not one of {', '.join(FORMAT_NAMES)}")
    if not isinstance(tileable, bool):
        problems.append(f"tileable {tileable!r} must be true or false (resolve unset to the kind's default)")
    if map not in MAP_NAMES:
        problems.append(f"map {map!r} is not one of {', '.join(MAP_NAMES)}")
    if (vary_seed is None) != (vary_strength is None):
        problems.append("vary_seed and vary_strength go together")
    elif vary_seed is not None and not _seed_ok(vary_seed):
        problems.append(f"vary_seed {vary_seed!r} must be an integer in 0..2**64-1")
    if (interpolate_seed is None) != (interpolate_t is None):
        problems.append("interpolate_seed and interpolate_t go together (use the frame's own t)")
    elif interpolate_seed is not None and not _seed_ok(interpolate_seed):
        problems.append(f"interpolate_seed {interpolate_seed!r} must be an integer in 0..2**64-1")
    if problems:
        raise ValueError("cannot make a cache key: " + "; ".join(problems))
    lines = [
        VERSION_TAG,
        f"model={_text(model)}",
        f"model_version={_text(model_version)}",
        f"pipeline={pipeline}",
        f"kind={kind}",
        f"prompt={_text(prompt)}",
        f"width={width}",
        f"height={height}",
        f"seed={seed}",
        f"format={format}",
        f"tileable={'true' if tileable else 'false'}",
    ]
    if map != "albedo":
        lines.append(f"map={map}")
    if vary_seed is not None:
        lines += [f"vary_seed={vary_seed}", f"vary_strength={_float_bits(vary_strength)}"]
    if interpolate_seed is not None:
        lines += [f"interpolate_seed={interpolate_seed}", f"interpolate_t={_float_bits(interpolate_t)}"]
    return "".join(line + "\n" for line in lines)


def cache_key(**inputs) -> str:
    """Lowercase hex sha256 of canonical_string(**inputs) (same keyword arguments)."""
    text = canonical_string(**inputs)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def asset_cache_key(prompt: str, asset: Asset) -> str:
    """The key of an asset the server sent back for `prompt` (the asset carries everything else)."""
    return cache_key(model=asset.model, model_version=asset.model_version, pipeline=reported_pipeline(asset.pipeline), kind=asset.kind,
                     prompt=prompt,
                     width=asset.width, height=asset.height, seed=asset.seed, format=asset.format,
                     tileable=asset.tileable, map=asset.map, vary_seed=asset.vary_seed,
                     vary_strength=asset.vary_strength, interpolate_seed=asset.interpolate_seed,
                     interpolate_t=asset.interpolate_t)
