"""Generate over real gRPC: streaming, formats, determinism, tiling, chunking."""
from __future__ import annotations

import asyncio
import hashlib

import numpy as np
import pytest

from plugin_service.client import AsyncAssetGenClient, build_request
from plugin_service.client.assets import ChunkAssembler

pytestmark = pytest.mark.integration


def seam_ratio(pixels: np.ndarray) -> float:
    """Mean |step| across the wrap seams / mean |step| between neighbours inside (1.0 = seamless)."""
    p = pixels.astype(np.float64)
    inside = np.concatenate([np.abs(np.diff(p, axis=0)).ravel(), np.abs(np.diff(p, axis=1)).ravel()]).mean()
    seam = np.concatenate([np.abs(p[0] - p[-1]).ravel(), np.abs(p[:, 0] - p[:, -1]).ravel()]).mean()
    return seam / max(inside, 1e-9)


def test_several_assets_stream_from_one_request(client):
    assets = list(client.generate("mossy cobblestone", "texture", count=4, seed=100))
    assert sorted(a.index for a in assets) == [0, 1, 2, 3]
    assert sorted(a.seed for a in assets) == [100, 101, 102, 103]
    for a in assets:
        assert (a.kind, a.width, a.height, a.format, a.model) == ("texture", 64, 64, "png", "assetgen-test")
        assert a.model_version == "test-0" and a.tileable
        assert hashlib.sha256(a.data).hexdigest() == a.sha256
    assert len({a.sha256 for a in assets}) == 4, "each seed must give a different asset"


def test_server_picks_seed_and_it_reproduces(client):
    (first,) = client.generate("rusty iron sword", "prop")
    (again,) = client.generate("rusty iron sword", "prop", seed=first.seed)
    assert again.data == first.data


def test_same_seed_same_bytes_different_seed_different(client):
    a = next(client.generate("goblin archer", "sprite", seed=7))
    b = next(client.generate("goblin archer", "sprite", seed=7))
    c = next(client.generate("goblin archer", "sprite", seed=8))
    assert a.data == b.data and a.sha256 == b.sha256
    assert c.data != a.data


def test_asset_does_not_depend_on_its_batch(server, client):
    alone = next(client.generate("wet slate", "texture", seed=42, format="rgba8"))
    largest_before = server.server.scheduler.stats.largest_batch
    # One request of 8 is queued at once, so its images share one forward pass.
    batched = {a.seed: a for a in client.generate("wet slate", "texture", seed=40, count=8, format="rgba8")}
    assert max(largest_before, 8) <= server.server.scheduler.stats.largest_batch
    assert batched[42].data == alone.data


def test_png_decodes_to_asked_size_and_channels(client):
    texture = next(client.generate("sand", "texture", width=128, height=32, seed=1))
    sprite = next(client.generate("slime", "sprite", seed=1))
    t = texture.pixels()
    s = sprite.pixels()
    assert t.shape == (32, 128, 3) and texture.channels == 3 and texture.image().mode == "RGB"
    assert s.shape == (64, 64, 4) and sprite.channels == 4 and sprite.image().mode == "RGBA"


def test_raw_rgba8_is_width_height_4_bytes_with_opaque_texture_alpha(client):
    texture = next(client.generate("lava", "texture", width=64, height=32, seed=3, format="rgba8"))
    prop = next(client.generate("barrel", "prop", seed=3, format="rgba8"))
    assert len(texture.data) == 64 * 32 * 4 and texture.channels == 4
    assert len(prop.data) == 64 * 64 * 4
    pixels = texture.pixels()
    assert pixels.shape == (32, 64, 4) and (pixels[..., 3] == 255).all()


def test_tileable_texture_wraps_without_a_seam(client):
    texture = next(client.generate("mossy cobblestone", "texture", size=128, seed=11, format="rgba8"))
    assert texture.tileable
    ratio = seam_ratio(texture.pixels()[..., :3])
    assert ratio <= 1.5, f"seam step is {ratio:.2f}x the inside step"


def test_asset_above_one_mib_arrives_whole_through_chunks(client):
    # 1024 x 512 raw RGBA = 2 MiB: at least two 1 MiB chunks.
    request = build_request("cracked marble floor", "texture", width=1024, height=512, seed=5, format="rgba8")
    messages = list(client.stub.Generate(request, timeout=120))
    assert len(messages) == 2
    assert [m.offset for m in messages] == [0, 1 << 20]
    assert all(m.total_size == 1024 * 512 * 4 for m in messages)
    assert all(len(m.data) <= 1 << 20 for m in messages)
    assembler = ChunkAssembler()
    assert assembler.add(messages[0]) is None
    asset = assembler.add(messages[1])
    assert asset is not None and len(asset.data) == 1024 * 512 * 4
    assert hashlib.sha256(asset.data).hexdigest() == messages[0].sha256
    assert asset.pixels().shape == (512, 1024, 4)
    # The high-level client hands back the same whole asset.
    same = next(client.generate("cracked marble floor", "texture", width=1024, height=512, seed=5, format="rgba8"))
    assert same.data == asset.data


def test_async_client_generates_and_lists(server):
    async def go():
        async with AsyncAssetGenClient(server.address) as client:
            await client.wait_ready(timeout=10)
            assets = [a async for a in client.generate("crate", "prop", count=3, seed=9)]
            models, default = await client.list_models()
            return assets, models, default

    assets, models, default = asyncio.run(go())
    assert sorted(a.seed for a in assets) == [9, 10, 11]
    assert default == "assetgen-test" and {m.name for m in models} >= {"assetgen-test"}


def test_background_priority_is_served(client):
    assets = list(client.generate("pebbles", "texture", count=2, seed=1, priority="background"))
    assert len(assets) == 2
