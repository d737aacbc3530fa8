"""Saving assets to disk: file names from prompt and seed, and a JSON sidecar that reproduces it.

    out/mossy-cobblestone_s1234_8f68046d.png
    out/mossy-cobblestone_s1234_8f68046d.png.json   {"model", "model_version", "prompt", "kind", "width", ...}

The sidecar holds every input that determines the pixels, so `assetgen generate` with its
values gives the same bytes again (same model version), plus the sha256 to check that.
"""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from .assets import Asset
from .cache_key import asset_cache_key, reported_pipeline

EXTENSIONS = {"png": ".png", "rgba8": ".rgba", "dds_bc1": ".dds", "dds_bc3": ".dds", "dds_bc7": ".dds"}
MAX_SLUG = 48          # code points of the prompt kept in a file name
KEY_CHARS = 8          # hex digits of the cache key in a file name: different assets never share a name


def slugify(prompt: str) -> str:
    """'Mossy cobblestone, wet!' -> 'mossy-cobblestone-wet'; '炎の剣' -> '炎の剣'. Letters and digits of any
    script (lower-cased), runs of anything else as one '-', at most 48 code points; 'asset' if none.
    The Unity client's AssetNames.Slug is the same function (tests/golden/file_names.json)."""
    out, dash = [], False
    for ch in prompt.lower():
        if ch.isalnum():
            if dash and out:
                out.append("-")
            out.append(ch)
            dash = False
        else:
            dash = True
    slug = "".join(out)[:MAX_SLUG].rstrip("-")
    return slug or "asset"


def asset_stem(prompt: str, asset: Asset) -> str:
    """slug_s<seed>[_v<variation seed>][_to<end seed>_t<t>][_<map>]_<first 8 of the cache key>: readable,
    stable (the same asset gets the same name) and unique (another prompt, size, model, pipeline or
    format is another key, so two different assets never share a file)."""
    name = f"{slugify(prompt)}_s{asset.seed}"
    if asset.vary_seed is not None:
        name += f"_v{asset.vary_seed}"
    if asset.interpolate_seed is not None:
        name += f"_to{asset.interpolate_seed}_t{asset.interpolate_t:.4f}"
    if asset.map != "albedo":
        name += f"_{asset.map}"
    return f"{name}_{asset_cache_key(prompt, asset)[:KEY_CHARS]}"


def asset_filename(prompt: str, asset: Asset) -> str:
    return asset_stem(prompt, asset) + EXTENSIONS[asset.format]


def reproduce_command(prompt: str, asset: Asset) -> str:
    parts = ["assetgen", "generate", prompt, "--kind", asset.kind, "--width", str(asset.width),
             "--height", str(asset.height), "--seed", str(asset.seed), "--format",
             "rgba" if asset.format == "rgba8" else asset.format, "--model", asset.model]
    if not asset.tileable and asset.kind == "texture":
        parts.append("--no-tileable")
    if asset.map != "albedo":
        parts += ["--maps", asset.map]
    if asset.vary_seed is not None:  # exact: repr of a float reads back as the same double
        parts += ["--vary-seed", str(asset.vary_seed), "--strength", repr(asset.vary_strength)]
    if asset.interpolate_seed is not None:
        parts += ["--interpolate", str(asset.seed), str(asset.interpolate_seed), "--at", repr(asset.interpolate_t)]
    return shlex.join(parts)


def sidecar(prompt: str, asset: Asset, filename: str) -> dict:
    return {
        "file": filename,
        "model": asset.model,
        "model_version": asset.model_version,
        "pipeline": reported_pipeline(asset.pipeline),
        "prompt": prompt,
        "kind": asset.kind,
        "width": asset.width,
        "height": asset.height,
        "seed": asset.seed,
        "format": asset.format,
        "channels": asset.channels,
        "tileable": asset.tileable,
        "sha256": asset.sha256,
        "map": asset.map,
        **({"vary_seed": asset.vary_seed, "vary_strength": asset.vary_strength}
           if asset.vary_seed is not None else {}),
        **({"interpolate_seed": asset.interpolate_seed, "interpolate_t": asset.interpolate_t}
           if asset.interpolate_seed is not None else {}),
        "cache_key": asset_cache_key(prompt, asset),
        "reproduce": reproduce_command(prompt, asset),
    }


def save_asset(asset: Asset, prompt: str, out_dir: Path) -> Path:
    """Write the asset and its sidecar into out_dir (created); return the asset's path.

    The same asset again overwrites its own file with the same bytes. A file of the same name that
    holds another asset (its sidecar names another cache key: a key-prefix clash, or a file made
    by something else) is never overwritten: the new one gets a -2, -3, ... suffix."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem, ext = asset_stem(prompt, asset), EXTENSIONS[asset.format]
    key = asset_cache_key(prompt, asset)
    name, n = stem + ext, 1
    while (out_dir / name).exists() and _sidecar_key(out_dir / (name + ".json")) != key:
        n += 1
        name = f"{stem}-{n}{ext}"
    path = out_dir / name
    path.write_bytes(asset.data)
    (out_dir / (name + ".json")).write_text(json.dumps(sidecar(prompt, asset, name), indent=2) + "\n")
    return path


def _sidecar_key(path: Path) -> str | None:
    try:
        return json.loads(path.read_text()).get("cache_key")
    except (OSError, ValueError, AttributeError):
        return None
