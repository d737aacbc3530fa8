"""The deterministic cache key (plugin_service/client/cache_key.py) against the shared golden vectors.

tests/golden/cache_keys.json is also read by the Unity package's NUnit tests, so passing here and
there means the Python client and the Unity client name every asset the same.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from plugin_service.client.assets import Asset
from plugin_service.client.cache_key import VERSION_TAG, asset_cache_key, cache_key, canonical_string

GOLDEN = json.loads((Path(__file__).resolve().parents[1] / "golden" / "cache_keys.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("vector", GOLDEN["vectors"], ids=lambda v: v["name"])
def test_golden_vectors(vector):
    assert canonical_string(**vector["inputs"]) == vector["canonical"]
    assert cache_key(**vector["inputs"]) == vector["key"]


@pytest.mark.parametrize("vector", GOLDEN["invalid"], ids=lambda v: v["name"])
def test_inputs_that_are_not_concrete_are_refused(vector):
    with pytest.raises(ValueError, match="cannot make a cache key"):
        cache_key(**vector["inputs"])


def test_the_key_is_the_sha256_of_the_canonical_utf8_string():
    inputs = GOLDEN["vectors"][0]["inputs"]
    text = canonical_string(**inputs)
    assert text.startswith(VERSION_TAG + "\n") and text.endswith("tileable=true\n")
    assert cache_key(**inputs) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_keys_of_all_vectors_are_distinct_except_where_the_prompt_trims_to_the_same():
    keys = {}
    for v in GOLDEN["vectors"]:
        keys.setdefault(v["key"], []).append(v["name"])
    shared = [names for names in keys.values() if len(names) > 1]
    # map="albedo" adds no line: an albedo's key is what it was before maps existed.
    assert shared == [["basic texture", "surrounding ASCII whitespace is trimmed", "albedo named explicitly is the plain key"]]


def test_every_option_changes_the_key_and_floats_go_in_as_bits():
    base = dict(GOLDEN["vectors"][0]["inputs"])
    keys = {cache_key(**base)}
    for change in (dict(map="normal"), dict(map="height"), dict(map="roughness"), dict(format="dds_bc1"),
                   dict(format="dds_bc3"), dict(format="dds_bc7"), dict(vary_seed=1, vary_strength=0.2),
                   dict(vary_seed=2, vary_strength=0.2), dict(vary_seed=1, vary_strength=0.2000000001),
                   dict(interpolate_seed=1, interpolate_t=0.0), dict(interpolate_seed=1, interpolate_t=0.5)):
        key = cache_key(**{**base, **change})
        assert key not in keys, change
        keys.add(key)
    text = canonical_string(**{**base, "vary_seed": 5, "vary_strength": 1e-05})
    assert text.endswith("vary_seed=5\nvary_strength=3ee4f8b588e368f1\n")


def test_every_input_changes_the_key():
    base = dict(GOLDEN["vectors"][0]["inputs"])
    changes = dict(model="other", model_version="v2", pipeline=7, kind="sprite", prompt="grass", width=32, height=32, seed=1,
                   format="rgba8", tileable=False)
    base_key = cache_key(**base)
    for name, value in changes.items():
        assert cache_key(**{**base, name: value}) != base_key, f"{name} does not change the key"


def test_seed_out_of_uint64_and_bool_sizes_are_refused():
    base = dict(GOLDEN["vectors"][0]["inputs"])
    for change in (dict(seed=-1), dict(seed=2**64), dict(width=True), dict(tileable=None), dict(pipeline=0),
                   dict(pipeline=True)):
        with pytest.raises(ValueError):
            cache_key(**{**base, **change})


def test_asset_cache_key_uses_the_assets_own_metadata():
    inputs = GOLDEN["vectors"][1]["inputs"]
    asset = Asset(tag="", index=0, seed=inputs["seed"], kind=inputs["kind"], width=inputs["width"],
                  height=inputs["height"], format=inputs["format"], channels=4, tileable=inputs["tileable"],
                  model=inputs["model"], model_version=inputs["model_version"], sha256="", data=b"",
                  pipeline=inputs["pipeline"])
    assert asset_cache_key(inputs["prompt"], asset) == GOLDEN["vectors"][1]["key"]
