"""Request validation: every rule, its status code, and a message that says what to change."""
from __future__ import annotations

from pathlib import Path

import pytest

from plugin_service.model.config import get_config
from plugin_service.model.model_dir import Manifest, default_kinds
from plugin_service.service.catalog import CatalogEntry, ModelCatalog
from plugin_service.service.config import ServiceConfig
from plugin_service.service.jobs import AssetRequest, ServiceError
from plugin_service.service.validation import validate

CONFIG = ServiceConfig()


@pytest.fixture(scope="module")
def catalog() -> ModelCatalog:
    cfg = get_config("test")
    kinds = default_kinds(cfg, native=64)
    full = Manifest(name="full", version="3", config=cfg, kinds=kinds)
    textures = Manifest(name="tex", version="1", config=cfg, kinds={"texture": kinds["texture"]})
    return ModelCatalog({m.name: CatalogEntry(m.name, Path("/nowhere"), m) for m in (full, textures)}, "full")


def check(catalog, **fields):
    fields.setdefault("prompt", "mossy cobblestone")
    fields.setdefault("kind", "texture")
    return validate(AssetRequest(**fields), catalog, CONFIG, now=100.0)


def rejects(catalog, code: str, *words: str, **fields) -> str:
    with pytest.raises(ServiceError) as caught:
        check(catalog, **fields)
    assert caught.value.code == code, caught.value.message
    for word in words:
        assert word in caught.value.message
    return caught.value.message


def test_defaults_fill_in(catalog):
    job = check(catalog)
    assert (job.model, job.model_version, job.width, job.height, job.count) == ("full", "3", 64, 64, 1)
    assert job.tileable and job.format == "png" and job.priority == "interactive" and job.deadline is None
    assert 0 <= job.seed < 2**32


def test_explicit_fields_are_kept(catalog):
    job = check(catalog, model="tex", width=128, height=32, count=64, seed=2**64 - 1, format="rgba8",
                tileable=False, priority="background", timeout_s=2.5, tag="door")
    assert (job.model, job.width, job.height, job.count, job.seed) == ("tex", 128, 32, 64, 2**64 - 1)
    assert not job.tileable and job.deadline == 102.5 and job.tag == "door"
    assert job.item_seed(1) == 0, "seeds wrap at 2**64"


def test_prompt_rules(catalog):
    rejects(catalog, "INVALID_ARGUMENT", "prompt is empty", prompt="")
    rejects(catalog, "INVALID_ARGUMENT", "prompt is empty", prompt=" \n\t")
    rejects(catalog, "INVALID_ARGUMENT", "513 characters", "at most 512", prompt="a" * 513)
    assert check(catalog, prompt="a" * 512).prompt == "a" * 512
    assert check(catalog, prompt="  moss  ").prompt == "moss"


def test_model_rules(catalog):
    rejects(catalog, "NOT_FOUND", "'nope'", "full, tex", model="nope")
    rejects(catalog, "NOT_FOUND", "available", model="../full")


def test_kind_rules(catalog):
    rejects(catalog, "INVALID_ARGUMENT", "'wall'", "texture, sprite, prop", kind="wall")
    rejects(catalog, "INVALID_ARGUMENT", "does not make sprites", "texture", model="tex", kind="sprite")


def test_size_rules_list_allowed_sizes(catalog):
    rejects(catalog, "INVALID_ARGUMENT", "96x64", "32, 64, 128, 256, 512, 1024", width=96, height=64)
    rejects(catalog, "INVALID_ARGUMENT", "one of: 64", kind="sprite", width=128)
    assert check(catalog, width=1024, height=32).width == 1024


def test_count_rules(catalog):
    assert check(catalog, count=0).count == 1  # proto default 0 means one
    rejects(catalog, "INVALID_ARGUMENT", "count 65", "1..64", count=65)
    rejects(catalog, "INVALID_ARGUMENT", "count -1", count=-1)


def test_format_tileable_priority_rules(catalog):
    rejects(catalog, "INVALID_ARGUMENT", "png, rgba8", format="jpeg")
    rejects(catalog, "INVALID_ARGUMENT", "cannot tile", kind="prop", tileable=True)
    assert not check(catalog, kind="prop").tileable
    rejects(catalog, "INVALID_ARGUMENT", "interactive, background", priority="urgent")


def test_deadline_already_past(catalog):
    rejects(catalog, "DEADLINE_EXCEEDED", "allow more time", timeout_s=0.0)
    rejects(catalog, "DEADLINE_EXCEEDED", timeout_s=-1.0)


def test_seed_out_of_range(catalog):
    rejects(catalog, "INVALID_ARGUMENT", "64-bit", seed=2**64)


GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def test_invisible_prompts_are_refused_by_the_shared_list(catalog):
    import json

    from plugin_service.service.validation import INVISIBLE_RANGES, has_visible_text

    golden = json.loads((GOLDEN / "invisible_prompts.json").read_text())
    assert [(int(lo, 16), int(hi, 16)) for lo, hi in golden["ranges"]] == list(INVISIBLE_RANGES)
    for case in golden["cases"]:
        prompt = case["prompt"]
        assert has_visible_text(prompt) == case["visible"], repr(prompt)
        if case["visible"]:
            job = check(catalog, prompt=prompt)
            assert job.prompt == prompt.strip()          # used as sent: nothing rewritten
        else:
            message = rejects(catalog, "INVALID_ARGUMENT", "prompt", prompt=prompt)
            assert "describe the asset in words" in message


@pytest.mark.parametrize("kind", ["texture", "sprite", "prop"])
@pytest.mark.parametrize("fmt", ["png", "rgba8", "dds_bc1", "dds_bc3", "dds_bc7"])
@pytest.mark.parametrize("maps", [(), ("albedo", "normal", "height", "roughness")])
def test_every_kind_format_map_pair_is_one_the_format_can_carry(catalog, kind, fmt, maps):
    """BC1 (opaque) cannot carry a sprite's or prop's cut-out; maps exist for textures only."""
    if kind != "texture" and fmt == "dds_bc1":
        message = rejects(catalog, "INVALID_ARGUMENT", "dds_bc1", "dds_bc3", "dds_bc7", kind=kind, format=fmt, maps=maps)
        assert "alpha" in message
    elif maps and kind != "texture":
        rejects(catalog, "INVALID_ARGUMENT", "material maps are for textures", kind=kind, format=fmt, maps=maps)
    else:
        assert check(catalog, kind=kind, format=fmt, maps=maps).format == fmt
