"""`assetgen batch assets.toml --out DIR`: generate every named asset of a pipeline manifest.

    [defaults]                 # optional: every asset inherits these
    format = "png"

    [assets.cobblestone]       # -> DIR/cobblestone/...
    prompt = "mossy cobblestone"
    kind = "texture"           # texture | sprite | prop
    size = 128                 # or width = ..., height = ...; unset = the model's native size
    seed = 100                 # unset = a stable hash of the asset's name (manifests stay reproducible)
    count = 4                  # images, seeds seed .. seed + count - 1
    format = "dds_bc1"         # png | rgba8 | dds_bc1 | dds_bc3 | dds_bc7
    maps = ["albedo", "normal", "height", "roughness"]   # textures only
    tileable = true            # textures: default true
    model = ""                 # "" = the server's default

Resumable: every file's sidecar records its deterministic cache key (client/cache_key.py), and an
asset whose expected keys all exist with intact files is skipped, so an interrupted run picks up
where it stopped and an edited asset (new prompt, size, seed, ...) is regenerated. Sidecars are
written after their file, so a half-written file never counts as done.

Assets run as parallel streams (--jobs) at background priority, so a pipeline never delays a
game's interactive requests on a shared server. A server with tokens or TLS takes the same
--token / --tls-ca (ASSETGEN_TOKEN / ASSETGEN_TLS_CA) as the other client commands.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser from PyPI (pyproject pins it there)
    import tomli as tomllib

from ..client.arguments import add_address_argument, add_credential_arguments
from ..vocabulary import FORMATS, KINDS, MAPS, MAX_COUNT

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # becomes a folder name: no slashes, no dot-dot
FIELDS = {"prompt": str, "kind": str, "size": int, "width": int, "height": int, "seed": int, "count": int,
          "format": str, "maps": list, "tileable": bool, "model": str}


class ManifestError(ValueError):
    """A manifest problem; the message starts with 'file:line:' and names the field."""


@dataclass(frozen=True)
class AssetSpec:
    name: str
    prompt: str
    kind: str
    width: int        # 0 = native
    height: int
    seed: int
    count: int
    format: str
    maps: tuple[str, ...]
    tileable: bool | None
    model: str


# --- reading the manifest -------------------------------------------------------------------------

def _line_finder(text: str):
    """-> where(table, field) giving the 1-based line of `field = ` inside `[table]` (or of the
    header when the field is absent; 1 when even that is missing). tomllib keeps no positions."""
    lines = text.splitlines()

    def header_line(table: str) -> int | None:
        parts = table.split(".")
        pattern = r"^\s*\[\s*" + r"\s*\.\s*".join(r'(?:"?)' + re.escape(p) + r'(?:"?)' for p in parts) + r"\s*\]"
        for number, line in enumerate(lines, 1):
            if re.match(pattern, line):
                return number
        return None

    def where(table: str, field: str | None = None) -> int:
        start = header_line(table)
        if start is None:
            return 1
        if field is not None:
            for number in range(start + 1, len(lines) + 1):
                line = lines[number - 1]
                if re.match(r"^\s*\[", line):
                    break
                if re.match(r"^\s*" + re.escape(field) + r"\s*=", line):
                    return number
        return start

    return where


def default_seed(name: str) -> int:
    """A stable seed from the asset's name, so a manifest without seeds is still deterministic."""
    return zlib.crc32(name.encode("utf-8"))


def parse_manifest(text: str, path: str = "assets.toml") -> list[AssetSpec]:
    where = _line_finder(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ManifestError(f"{path}: invalid TOML: {e}") from None
    unknown_tables = sorted(set(data) - {"defaults", "assets"})
    if unknown_tables:
        raise ManifestError(f"{path}:{where(unknown_tables[0])}: unknown table [{unknown_tables[0]}]; "
                            f"use [defaults] and [assets.NAME]")
    assets = data.get("assets")
    if not isinstance(assets, dict) or not assets:
        raise ManifestError(f"{path}:1: no assets; add at least one [assets.NAME] table with a prompt")
    defaults = data.get("defaults", {})
    for field in defaults:
        if field not in FIELDS or field == "prompt":
            raise ManifestError(f"{path}:{where('defaults', field)}: defaults.{field}: unknown default; "
                                f"allowed: {', '.join(f for f in FIELDS if f != 'prompt')}")
    return [_asset_spec(name, table, defaults, path, where) for name, table in assets.items()]


def _asset_spec(name: str, own, defaults: dict, path: str, where) -> AssetSpec:
    def fail(field: str | None, problem: str) -> ManifestError:
        table_name = f"assets.{name}"
        label = f"{table_name}.{field}" if field else table_name
        inherited = field is not None and field not in own and field in defaults
        line = where("defaults", field) if inherited else where(table_name, field)
        return ManifestError(f"{path}:{line}: {label}: {problem}")

    if not isinstance(own, dict):
        raise fail(None, "must be a table ([assets.NAME] with prompt = ...)")
    table = {**defaults, **own}
    if not NAME_RE.match(name):
        raise fail(None, "asset names become folder names: use letters, digits, '_', '-', '.'")
    for field, value in table.items():
        expected = FIELDS.get(field)
        if expected is None:
            raise fail(field, f"unknown field; allowed: {', '.join(FIELDS)}")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise fail(field, f"must be a {expected.__name__}, got {value!r}")
    prompt = table.get("prompt", "").strip()
    if not prompt:
        raise fail("prompt", "missing or empty: describe the asset in words")
    kind = table.get("kind", "texture")
    if kind not in KINDS:
        raise fail("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    size = table.get("size", 0)
    width, height = table.get("width", size), table.get("height", size)
    for field, value in (("size", size), ("width", width), ("height", height)):
        if value < 0:
            raise fail(field, f"{value} must be 0 (native) or a positive size")
    count = table.get("count", 1)
    if not 1 <= count <= MAX_COUNT:
        raise fail("count", f"{count} is out of range 1..{MAX_COUNT}")
    seed = table.get("seed", default_seed(name))
    if not 0 <= seed < 2**64:
        raise fail("seed", f"{seed} must be in 0..2**64-1")
    fmt = {"rgba": "rgba8"}.get(table.get("format", "png"), table.get("format", "png"))
    if fmt not in FORMATS:
        raise fail("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    maps = tuple(table.get("maps", ()))
    bad = [m for m in maps if m not in MAPS]
    if bad:
        raise fail("maps", f"{bad} unknown; choose from {', '.join(MAPS)}")
    if maps and maps != ("albedo",) and kind != "texture":
        raise fail("maps", f"material maps are for textures, this asset is a {kind}")
    return AssetSpec(name, prompt, kind, width, height, seed, count, fmt, maps, table.get("tileable"),
                     table.get("model", ""))


def load_manifest(path: Path) -> list[AssetSpec]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ManifestError(f"{path}: cannot read the manifest ({e.strerror})") from None
    return parse_manifest(text, str(path))


# --- resuming ---------------------------------------------------------------------------------------

def expected_keys(spec: AssetSpec, model: str, version: str, pipeline: int, width: int, height: int,
                  tileable: bool) -> set[str]:
    """The cache keys of every file this asset makes, computed before asking the server."""
    from ..client.cache_key import cache_key

    return {cache_key(model=model, model_version=version, pipeline=pipeline, kind=spec.kind, prompt=spec.prompt, width=width,
                      height=height, seed=(spec.seed + i) % 2**64, format=spec.format, tileable=tileable, map=m)
            for i in range(spec.count) for m in (spec.maps or ("albedo",))}


def existing_keys(folder: Path) -> set[str]:
    """Keys of the sidecars in `folder` whose file is present and matches its sha256."""
    found = set()
    for side in folder.glob("*.json"):
        try:
            meta = json.loads(side.read_text())
            data = (folder / meta["file"]).read_bytes()
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if hashlib.sha256(data).hexdigest() == meta.get("sha256") and "cache_key" in meta:
            found.add(meta["cache_key"])
    return found


# --- running ----------------------------------------------------------------------------------------

def _resolve(spec: AssetSpec, models: dict, default: str) -> tuple[str, str, int, int, bool]:
    name = spec.model or default
    info = models.get(name)
    if info is None:
        raise ManifestError(f"assets.{spec.name}.model: the server has no model {name!r} "
                            f"(it serves {', '.join(models)})")
    kind = info.kinds.get(spec.kind)
    if kind is None:
        raise ManifestError(f"assets.{spec.name}.kind: model {name!r} does not make {spec.kind}s")
    tileable = kind.tileable if spec.tileable is None else spec.tileable
    return name, info.version, spec.width or kind.native_size, spec.height or kind.native_size, tileable


def run_manifest(specs: list[AssetSpec], client, out: Path, jobs: int = 4, progress: bool | None = None,
                 timeout: float | None = None) -> dict:
    """Generate what is missing; -> summary {"generated": [...], "skipped": [...], "failed": {name: why}, "files": n}."""
    from tqdm import tqdm

    from ..client.cache_key import reported_pipeline
    from ..client.files import save_asset

    models_list, default = client.list_models()
    models = {m.name: m for m in models_list}
    todo, summary = [], {"generated": [], "skipped": [], "failed": {}, "files": 0}
    for spec in specs:
        try:
            model, version, width, height, tileable = _resolve(spec, models, default)
        except ManifestError as e:
            summary["failed"][spec.name] = str(e)
            continue
        if expected_keys(spec, model, version, reported_pipeline(models[model].pipeline), width, height, tileable) <= existing_keys(out / spec.name):
            summary["skipped"].append(spec.name)
        else:
            todo.append((spec, model, width, height))
    total = sum(s.count * max(1, len(s.maps)) for s, *_ in todo)
    show = sys.stderr.isatty() if progress is None else progress

    def one(spec: AssetSpec, model: str, width: int, height: int, bar) -> int:
        written = 0
        options = dict(model=model, width=width, height=height, count=spec.count, seed=spec.seed,
                       format=spec.format, maps=spec.maps, priority="background")
        if spec.tileable is not None:
            options["tileable"] = spec.tileable
        for asset in client.generate(spec.prompt, spec.kind, timeout=timeout, **options):
            save_asset(asset, spec.prompt, out / spec.name)
            written += 1
            bar.update()
        return written

    with tqdm(total=total, unit="file", disable=not show, file=sys.stderr) as bar, \
            ThreadPoolExecutor(max(1, jobs), thread_name_prefix="assetgen-batch") as pool:
        futures = {pool.submit(one, spec, model, w, h, bar): spec.name for spec, model, w, h in todo}
        for future in as_completed(futures):
            name = futures[future]
            try:
                summary["files"] += future.result()
                summary["generated"].append(name)
            except Exception as e:  # one asset's failure must not stop the rest of the pipeline
                details = e.details() if hasattr(e, "details") else str(e)
                code = e.code().name if hasattr(e, "code") and callable(e.code) else type(e).__name__
                summary["failed"][name] = f"{code}: {details}"
    return summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help="TOML manifest with [assets.NAME] tables")
    parser.add_argument("--out", type=Path, default=Path("assets"), help="output folder (default ./assets)")
    parser.add_argument("--jobs", type=int, default=4, help="assets generated in parallel (default 4)")
    parser.add_argument("--timeout", type=float, default=None, help="deadline in seconds per asset")
    parser.add_argument("--wait-ready", type=float, default=0, metavar="SECONDS",
                        help="first wait up to SECONDS for the server to report SERVING")
    add_address_argument(parser)
    add_credential_arguments(parser)  # --token / ASSETGEN_TOKEN, --tls-ca / ASSETGEN_TLS_CA


def run(args: argparse.Namespace) -> int:
    import grpc

    from ..client import AssetGenClient

    try:
        specs = load_manifest(args.manifest)
    except ManifestError as e:
        print(f"assetgen batch: error: {e}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        with AssetGenClient(args.address, token=args.token or None, tls_ca=args.tls_ca or None) as client:
            if args.wait_ready:
                client.wait_ready(args.wait_ready)
            summary = run_manifest(specs, client, args.out, jobs=args.jobs, timeout=args.timeout)
    except (grpc.RpcError, TimeoutError, ValueError) as e:  # ValueError: a --tls-ca file that is missing
        details = f"{e.code().name}: {e.details()}" if isinstance(e, grpc.RpcError) else str(e)
        print(f"assetgen batch: error: {details} (server {args.address})", file=sys.stderr)
        return 1
    print(f"{len(specs)} assets in {time.monotonic() - started:.1f}s: {len(summary['generated'])} generated "
          f"({summary['files']} files), {len(summary['skipped'])} skipped (already in {args.out}), "
          f"{len(summary['failed'])} failed")
    for name, why in sorted(summary["failed"].items()):
        print(f"  failed {name}: {why}")
    return 1 if summary["failed"] else 0
