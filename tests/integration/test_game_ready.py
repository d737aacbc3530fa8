"""Game-ready assets over real gRPC: material maps, DDS mips, variations, interpolation, atlases."""
from __future__ import annotations

import json
import shlex

import grpc
import numpy as np
import pytest
import torch

from plugin_service.cli import main
from plugin_service.formats.dds import read_dds_header
from plugin_service.service.materials import material_maps

pytestmark = pytest.mark.integration
texture2ddecoder = pytest.importorskip("texture2ddecoder", reason="pip install texture2ddecoder (dev extra)")


def seam_ratio(p: np.ndarray) -> float:
    p = p.astype(np.float64)
    inside = np.concatenate([np.abs(np.diff(p, axis=0)).ravel(), np.abs(np.diff(p, axis=1)).ravel()]).mean()
    seam = np.concatenate([np.abs(p[0] - p[-1]).ravel(), np.abs(p[:, 0] - p[:, -1]).ravel()]).mean()
    return seam / max(inside, 1e-9)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def test_material_set_streams_together_and_every_map_tiles(client):
    maps = ("albedo", "normal", "height", "roughness")
    assets = list(client.generate("mossy cobblestone", "texture", size=128, count=2, seed=50, format="rgba8", maps=maps))
    assert sorted((a.index, a.map) for a in assets) == sorted((i, m) for i in range(2) for m in maps)
    by = {(a.index, a.map): a for a in assets}
    for i in range(2):
        assert {by[(i, m)].seed for m in maps} == {50 + i}
        albedo = by[(i, "albedo")].pixels()
        for m in maps:
            pixels = by[(i, m)].pixels()
            assert by[(i, m)].tileable and pixels.shape == (128, 128, 4)
            assert seam_ratio(pixels[..., :3]) <= 1.5, f"{m} of image {i} has a seam"
        # The maps are exactly what materials.py makes from the delivered albedo.
        local = material_maps(torch.from_numpy(albedo[None].copy()), maps)
        for m in maps:
            assert np.array_equal(local[m][0].numpy(), by[(i, m)].pixels()), m
    # PNG maps: grey ones have one channel, normals three.
    png = {a.map: a for a in client.generate("mossy cobblestone", "texture", size=128, seed=50, maps=maps)}
    assert [png[m].channels for m in maps] == [3, 3, 1, 1] and png["height"].image().mode == "L"


@pytest.mark.parametrize("kind,fmt,fourcc", [("texture", "dds_bc1", b"DXT1"), ("sprite", "dds_bc3", b"DXT5")])
def test_dds_with_mips_decodes_close_to_the_raw_pixels(client, kind, fmt, fourcc):
    size = 128 if kind == "texture" else 0
    (dds,) = client.generate("wet slate", kind, size=size, seed=9, format=fmt)
    (raw,) = client.generate("wet slate", kind, size=size, seed=9, format="rgba8")
    info = read_dds_header(dds.data)
    assert (info.width, info.height, info.fourcc) == (raw.width, raw.height, fourcc)
    assert info.mip_count == raw.width.bit_length() and len(dds.data) == info.data_offset + sum(info.level_sizes)
    decode = texture2ddecoder.decode_bc1 if fmt == "dds_bc1" else texture2ddecoder.decode_bc3
    bgra = np.frombuffer(decode(dds.data[info.data_offset:], raw.width, raw.height), np.uint8)
    rgba = bgra.reshape(raw.height, raw.width, 4)[..., [2, 1, 0, 3]]
    reference = raw.pixels()
    if kind == "sprite":  # colour under transparent pixels is irrelevant (and premultiplied away)
        opaque = reference[..., 3] >= 128
        assert psnr(rgba[..., :3][opaque], reference[..., :3][opaque]) >= 30
        assert np.abs(rgba[..., 3].astype(int) - reference[..., 3]).mean() < 4
    else:
        assert psnr(rgba[..., :3], reference[..., :3]) >= 30


def test_variations_are_deterministic_bounded_and_reproducible(client):
    (base,) = client.generate("goblin archer", "sprite", seed=7, format="rgba8")
    (other,) = client.generate("goblin archer", "sprite", seed=8, format="rgba8")
    near = list(client.generate("goblin archer", "sprite", seed=7, count=3, vary_seed=1000, strength=0.2, format="rgba8"))
    again = list(client.generate("goblin archer", "sprite", seed=7, count=3, vary_seed=1000, strength=0.2, format="rgba8"))
    assert {a.index: a.data for a in near} == {a.index: a.data for a in again}
    assert sorted((a.seed, a.vary_seed, a.vary_strength) for a in near) == [(7, 1000 + i, 0.2) for i in range(3)]
    far = base.pixels().astype(float)
    distance_other = np.abs(other.pixels() - far).mean()
    for a in near:
        d = np.abs(a.pixels() - far).mean()
        assert 0 < d < distance_other, "a variation is a small, non-zero step from its base"
    # The variation seed alone reproduces one of them (asset i = vary_seed + i, count 1).
    (single,) = client.generate("goblin archer", "sprite", seed=7, vary_seed=1002, strength=0.2, format="rgba8")
    assert single.data == next(a for a in near if a.vary_seed == 1002).data


def test_interpolation_frames_run_from_seed_a_to_seed_b(client):
    a = next(client.generate("red potion", "prop", seed=11, format="rgba8"))
    b = next(client.generate("red potion", "prop", seed=12, format="rgba8"))
    frames = sorted(client.generate("red potion", "prop", seed=11, count=5, interpolate_seed=12, format="rgba8"),
                    key=lambda f: f.index)
    assert [f.interpolate_t for f in frames] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert frames[0].data == a.data and frames[-1].data == b.data
    pixels = [f.pixels().astype(float) for f in frames]
    steps = [np.abs(x - y).mean() for x, y in zip(pixels, pixels[1:])]
    assert max(steps) < np.abs(pixels[0] - pixels[-1]).mean(), "each frame is a small step, not a jump"
    (pinned,) = client.generate("red potion", "prop", seed=11, interpolate_seed=12, interpolate_t=0.75, format="rgba8")
    assert pinned.data == frames[3].data


def test_bad_combinations_say_what_to_change(client):
    cases = [
        (dict(kind="sprite", maps=("normal",)), "material maps are for textures"),
        (dict(kind="texture", count=2, interpolate_seed=3, interpolate_t=0.5), "count 1"),
        (dict(kind="texture", vary_seed=3, strength=0.0), "(0, 1]"),
    ]
    for options, text in cases:
        with pytest.raises(grpc.RpcError) as e:
            list(client.generate("slime", seed=1, **options))
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and text in e.value.details()


def test_cli_variations_sidecar_reproduces_and_atlas(server, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["generate", "goblin archer", "--kind", "sprite", "--seed", "7", "--vary-seed", "40", "--strength",
                 "0.3", "--count", "3", "--atlas", "--out", str(out), "--address", server.address]) == 0
    sides = sorted(out.glob("*_v*.png.json"))
    assert len(sides) == 3
    side = json.loads(sides[1].read_text())
    assert (side["seed"], side["vary_seed"], side["vary_strength"]) == (7, 41, 0.3)
    again = tmp_path / "again"
    command = shlex.split(side["reproduce"])[1:] + ["--out", str(again), "--address", server.address]
    assert main(command) == 0
    assert (again / side["file"]).read_bytes() == (out / side["file"]).read_bytes()
    [atlas] = out.glob("goblin-archer_*_atlas.json")
    meta = json.loads(atlas.read_text())
    assert meta["clean_mips"] == 0
    assert sorted(s["name"] for s in meta["sprites"]) == sorted(p.name[: -len(".png.json")] for p in sides)


def test_batch_manifest_generates_a_tree_and_resumes(server, tmp_path, capsys):
    manifest = tmp_path / "assets.toml"
    manifest.write_text('''
[assets.floor]
prompt = "mossy cobblestone"
size = 64
seed = 5
count = 2
format = "dds_bc1"
maps = ["albedo", "normal"]

[assets.hero]
prompt = "goblin archer"
kind = "sprite"
format = "png"
''')
    out = tmp_path / "out"
    argv = ["batch", str(manifest), "--out", str(out), "--jobs", "2", "--address", server.address]
    assert main(argv) == 0
    assert "2 generated (5 files), 0 skipped" in capsys.readouterr().out
    floor = sorted(p.name.rsplit("_", 1)[0] for p in (out / "floor").glob("*.dds"))
    assert floor == ["mossy-cobblestone_s5", "mossy-cobblestone_s5_normal", "mossy-cobblestone_s6", "mossy-cobblestone_s6_normal"]
    assert len(list((out / "hero").glob("*.png"))) == 1

    assert main(argv) == 0                                  # everything is there: nothing to do
    assert "0 generated (0 files), 2 skipped" in capsys.readouterr().out
    next((out / "floor").glob("mossy-cobblestone_s6_normal_*.dds")).write_bytes(b"truncated")
    assert main(argv) == 0                                  # a damaged file makes its asset run again
    assert "1 generated (4 files), 1 skipped" in capsys.readouterr().out

    manifest.write_text(manifest.read_text().replace('kind = "sprite"', 'kind = "sprit"'))
    assert main(argv) == 2
    assert "assets.toml:12: assets.hero.kind" in capsys.readouterr().err
