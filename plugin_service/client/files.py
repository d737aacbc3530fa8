"""Saving assets to disk: file names from prompt and seed, and a JSON sidecar that reproduces it.

    out/mossy-cobblestone_s1234.png
    out/mossy-cobblestone_s1234.png.json   {"model", "model_version", "prompt", "kind", "width", ...}

The sidecar holds every input that determines the pixels, so `assetgen generate` with its
values gives the same bytes again (same model version), plus the sha256 to check that.
"""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from .assets import Asset

EXTENSIONS = {"png": ".png", "rgba8": ".rgba"}
MAX_SLUG = 48


def slugify(prompt: str) -> str:
    """'Mossy cobblestone, wet!' -> 'mossy-cobblestone-wet' (ASCII, at most 48 characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")
    slug = slug[:MAX_SLUG].rstrip("-")
    return slug or "asset"


def asset_filename(prompt: str, asset: Asset) -> str:
    return f"{slugify(prompt)}_s{asset.seed}{EXTENSIONS[asset.format]}"


def reproduce_command(prompt: str, asset: Asset) -> str:
    parts = ["assetgen", "generate", prompt, "--kind", asset.kind, "--width", str(asset.width),
             "--height", str(asset.height), "--seed", str(asset.seed), "--format",
             "rgba" if asset.format == "rgba8" else "png", "--model", asset.model]
    if not asset.tileable and asset.kind == "texture":
        parts.append("--no-tileable")
    return shlex.join(parts)


def sidecar(prompt: str, asset: Asset, filename: str) -> dict:
    return {
        "file": filename,
        "model": asset.model,
        "model_version": asset.model_version,
        "prompt": prompt,
        "kind": asset.kind,
        "width": asset.width,
        "height": asset.height,
        "seed": asset.seed,
        "format": asset.format,
        "channels": asset.channels,
        "tileable": asset.tileable,
        "sha256": asset.sha256,
        "reproduce": reproduce_command(prompt, asset),
    }


def save_asset(asset: Asset, prompt: str, out_dir: Path) -> Path:
    """Write the asset and its sidecar into out_dir (created); return the asset's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = asset_filename(prompt, asset)
    path = out_dir / name
    path.write_bytes(asset.data)
    (out_dir / (name + ".json")).write_text(json.dumps(sidecar(prompt, asset, name), indent=2) + "\n")
    return path
