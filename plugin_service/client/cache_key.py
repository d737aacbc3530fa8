"""The deterministic cache key of one generated asset, shared with the Unity client.

An asset is a function of (model name, model version, kind, prompt, width, height, seed, format,
tileable), so those nine values name it: the key is the lowercase hex sha256 of their canonical
string. The Unity package computes the same key in C# (unity_client/Runtime/Core/CacheKey.cs);
tests/golden/cache_keys.json holds vectors that both test suites check.

Canonical form, version 1 (UTF-8, every line ends with "\\n", fields in this order):

    assetgen-cache-key/v1
    model=<S>
    model_version=<S>
    kind=texture|sprite|prop
    prompt=<S>
    width=<decimal>
    height=<decimal>
    seed=<decimal, 0..2**64-1>
    format=png|rgba8
    tileable=true|false

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

from .assets import Asset

VERSION_TAG = "assetgen-cache-key/v1"
KIND_NAMES = ("texture", "sprite", "prop")
FORMAT_NAMES = ("png", "rgba8")
ASCII_WHITESPACE = " \t\n\x0b\x0c\r"
MAX_SEED = 2**64 - 1


def _text(value: str) -> str:
    return f"{len(value.encode('utf-8'))}:{value}"


def canonical_string(*, model: str, model_version: str, kind: str, prompt: str, width: int, height: int,
                     seed: int, format: str, tileable: bool) -> str:
    """The versioned string the key hashes; ValueError says which input is not concrete."""
    prompt = prompt.strip(ASCII_WHITESPACE)
    problems = []
    if not model:
        problems.append("model is empty: use the model's real name (ListModels' default_model)")
    if not model_version:
        problems.append("model_version is empty: use the version ListModels or the asset reports")
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
    if problems:
        raise ValueError("cannot make a cache key: " + "; ".join(problems))
    lines = [
        VERSION_TAG,
        f"model={_text(model)}",
        f"model_version={_text(model_version)}",
        f"kind={kind}",
        f"prompt={_text(prompt)}",
        f"width={width}",
        f"height={height}",
        f"seed={seed}",
        f"format={format}",
        f"tileable={'true' if tileable else 'false'}",
    ]
    return "".join(line + "\n" for line in lines)


def cache_key(*, model: str, model_version: str, kind: str, prompt: str, width: int, height: int,
              seed: int, format: str, tileable: bool) -> str:
    """Lowercase hex sha256 of canonical_string(...)."""
    text = canonical_string(model=model, model_version=model_version, kind=kind, prompt=prompt, width=width,
                            height=height, seed=seed, format=format, tileable=tileable)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def asset_cache_key(prompt: str, asset: Asset) -> str:
    """The key of an asset the server sent back for `prompt` (the asset carries everything else)."""
    return cache_key(model=asset.model, model_version=asset.model_version, kind=asset.kind, prompt=prompt,
                     width=asset.width, height=asset.height, seed=asset.seed, format=asset.format,
                     tileable=asset.tileable)
