"""`assetgen serve` configuration (flag > env > default, validated) and client file naming."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from plugin_service.client.assets import Asset
from plugin_service.client.files import asset_filename, reproduce_command, save_asset, slugify
from plugin_service.service.config import ServiceConfig, add_arguments, from_args


def parse(argv: list[str], env: dict[str, str]) -> ServiceConfig:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return from_args(parser.parse_args(argv), environ=env)


def test_defaults():
    c = parse([], {})
    assert (c.host, c.port, c.models, c.model, c.device) == ("127.0.0.1", 50051, Path("models"), "", "auto")
    assert (c.max_batch, c.max_wait_ms, c.chunk_size) == (64, 2.0, 1 << 20)


def test_env_vars_and_flags_win_over_env():
    env = {"ASSETGEN_HOST": "0.0.0.0", "ASSETGEN_PORT": "6000", "ASSETGEN_MODELS": "/m", "ASSETGEN_MODEL": "x",
           "ASSETGEN_DEVICE": "cpu", "ASSETGEN_GRACE": "3"}
    c = parse([], env)
    assert (c.host, c.port, c.models, c.model, c.device, c.grace_s) == ("0.0.0.0", 6000, Path("/m"), "x", "cpu", 3.0)
    c = parse(["--port", "7000", "--device", "auto"], env)
    assert (c.port, c.device, c.host) == (7000, "auto", "0.0.0.0")


def test_bad_values_say_what_to_change():
    with pytest.raises(ValueError, match="ASSETGEN_PORT='http'"):
        parse([], {"ASSETGEN_PORT": "http"})
    with pytest.raises(ValueError, match="device 'tpu' is not one of auto, cpu, cuda"):
        parse(["--device", "tpu"], {})
    with pytest.raises(ValueError, match="port 70000"):
        ServiceConfig(port=70000)
    with pytest.raises(ValueError, match="4 MiB"):
        ServiceConfig(chunk_size=4 << 20)


@pytest.mark.parametrize("prompt, slug", [
    ("mossy cobblestone", "mossy-cobblestone"),
    ("  Rusty IRON sword!!  ", "rusty-iron-sword"),
    ("???", "asset"),
    ("ünïcode wall", "ünïcode-wall"),
    ("炎の剣", "炎の剣"),
    ("🔥 sword", "sword"),
    ("a" * 100, "a" * 48),
])
def test_slugify(prompt, slug):
    assert slugify(prompt) == slug


def asset(fmt: str = "png", seed: int = 1234) -> Asset:
    return Asset(tag="", index=0, seed=seed, kind="texture", width=64, height=32, format=fmt, channels=3,
                 tileable=True, model="m", model_version="v1", sha256="00", data=b"bytes")


def test_file_names_and_sidecar(tmp_path):
    from plugin_service.client.cache_key import asset_cache_key

    key = asset_cache_key("mossy cobblestone", asset())
    assert asset_filename("mossy cobblestone", asset()) == f"mossy-cobblestone_s1234_{key[:8]}.png"
    assert asset_filename("mossy cobblestone", asset("rgba8")).endswith(".rgba")
    path = save_asset(asset(), "it's mossy", tmp_path / "new")
    assert path.read_bytes() == b"bytes"
    import json

    side = json.loads(path.with_name(path.name + ".json").read_text())
    assert side["prompt"] == "it's mossy" and side["seed"] == 1234 and side["model_version"] == "v1"
    assert reproduce_command("it's mossy", asset()).startswith("assetgen generate 'it'\"'\"'s mossy' --kind texture")


def test_different_assets_never_share_a_file(tmp_path):
    """The example: two prompts with no ASCII letters at one seed, two prompts that share their first
    48 characters, and an emoji prompt: each asset keeps its own file; the same asset again reuses it."""
    prompts = ["炎の剣", "氷の盾", "a" * 48 + " red", "a" * 48 + " blue", "🔥 sword", "sword"]
    paths = [save_asset(asset(seed=1), p, tmp_path) for p in prompts]
    assert len(set(paths)) == len(prompts) and all(p.exists() for p in paths)
    assert paths[0].name.startswith("炎の剣_s1_")
    assert save_asset(asset(seed=1), "炎の剣", tmp_path) == paths[0]       # stable: the same asset, the same name
    import json

    stranger = paths[0].with_name(paths[0].name)                          # a file of that name holding another asset
    sidecar_path = stranger.with_name(stranger.name + ".json")
    sidecar_path.write_text(json.dumps({"cache_key": "0" * 64}))
    moved = save_asset(asset(seed=1), "炎の剣", tmp_path)
    assert moved != paths[0] and moved.name.endswith("-2.png")             # suffixed, never overwritten


def test_file_name_golden_vectors_shared_with_the_unity_client():
    """tests/golden/file_names.json: the Unity client's AssetNames gives the same names (its NUnit test)."""
    import json
    from pathlib import Path

    from plugin_service.client.files import asset_stem

    golden = json.loads((Path(__file__).resolve().parents[1] / "golden" / "file_names.json").read_text(encoding="utf-8"))
    stems = set()
    for case in golden["cases"]:
        a = Asset(tag="", index=0, channels=4, sha256="", data=b"", **case["asset"])
        assert slugify(case["prompt"]) == case["slug"] and asset_stem(case["prompt"], a) == case["stem"]
        stems.add(case["stem"])
    assert len(stems) == len(golden["cases"])
