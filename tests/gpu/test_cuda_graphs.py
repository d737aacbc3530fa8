"""CUDA-graph runner on a real GPU: replay == eager bit for bit for every captured bucket,
quantized modes >= 35 dB vs fp32, batch invariance, no memory growth over 1,000 replays; capture
and replay for every precision x served shape against the runner's own plain forward; CUDA bf16
vs CPU fp32; the served path end to end.

Skipped without CUDA (marked `gpu`); scripts/gpu_check.sh runs these with the CUDA bench.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from plugin_service.service.catalog import ModelCatalog
from plugin_service.service.jobs import RunBatch, ShapeKey
from plugin_service.service.materials import MapPlan, material_maps
from plugin_service.service.noise import batch_noise
from plugin_service.service.quantize import MIN_PSNR_DB, fp8_supported, plan_for, prepare_generator, psnr_visible_db
from plugin_service.service.runner import ModelRunner

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

TEST_MODEL = "assetgen-test"  # built by the conftest models_dir fixture
PROMPTS = ("goblin archer", "mossy cobblestone", "rusty sword", "oak door", "lava", "gold coins", "blue mage")


def batch_of(key: ShapeKey, seeds) -> RunBatch:
    seeds = tuple(seeds)
    return RunBatch(key, tuple(PROMPTS[s % len(PROMPTS)] for s in seeds), seeds)


@pytest.fixture(scope="module")
def runner(models_dir):
    r = ModelRunner(ModelCatalog.scan(models_dir, TEST_MODEL), device="cuda", precision="bf16", max_batch=64,
                    max_batch_pixels=1 << 20, capture_texture_sizes=(128,))
    r.load()
    r.warm_up()
    return r


def test_every_planned_graph_is_captured(runner):
    captured = runner.dispatcher.captured()
    kinds = {(k.model, k.kind, k.height) for k, _ in captured}
    assert (TEST_MODEL, "sprite", 64) in kinds and (TEST_MODEL, "texture", 128) in kinds
    assert {b for k, b in captured if k.kind == "sprite" and k.model == TEST_MODEL} == {1, 2, 4, 8, 16, 32, 64}


def test_replay_equals_eager_bit_for_bit_for_every_bucket(runner):
    for key, bucket in runner.dispatcher.captured():
        graph = runner.dispatcher.lookup(key, bucket)[1]
        batch = batch_of(key, range(100, 100 + bucket))
        text = runner.text_encoder.encode(list(batch.prompts))
        noise = batch_noise(batch, runner.models[key.model].cfg)
        replay = graph.run(text, noise)
        eager = graph.run_eager(text, noise)
        assert replay.shape == (bucket, key.height, key.width, 4)
        np.testing.assert_array_equal(replay, eager, err_msg=f"{key} bucket {bucket}")


def test_runner_pads_to_the_bucket_and_falls_back_to_eager(runner):
    key = ShapeKey(TEST_MODEL, "sprite", 64, 64)
    graphs, eager = runner.graph_batches, runner.eager_batches
    assert runner.run(batch_of(key, range(5))).pixels.shape == (5, 64, 64, 4)  # bucket 8, 3 padding rows
    assert runner.graph_batches == graphs + 1
    odd = ShapeKey(TEST_MODEL, "texture", 256, 256)                             # not captured
    assert runner.run(batch_of(odd, range(2))).pixels.shape == (2, 256, 256, 4)
    assert runner.eager_batches == eager + 1


def test_an_item_does_not_depend_on_its_batch(runner):
    key = ShapeKey(TEST_MODEL, "sprite", 64, 64)
    a = runner.run(batch_of(key, [1, 2, 42, 3, 4])).pixels           # bucket 8
    b = runner.run(batch_of(key, [42, 9, 8, 7, 6, 5, 10])).pixels    # bucket 8, other neighbours and padding
    np.testing.assert_array_equal(a[2], b[0])
    alone = runner.run(batch_of(key, [42])).pixels                   # bucket 1: another kernel choice is allowed,
    assert psnr_visible_db(alone[0], a[2]) >= 50.0                   # but not a visible difference


def test_replay_with_maps_derives_them_on_the_device_from_the_replayed_albedo(runner):
    key = ShapeKey(TEST_MODEL, "texture", 128, 128)                            # captured
    batch = batch_of(key, range(3))
    plain = runner.run(batch)
    graphs = runner.graph_batches
    out = runner.run(RunBatch(batch.key, batch.prompts, batch.seeds, maps=(("normal", "height", "roughness"), (), ("normal",))))
    assert runner.graph_batches == graphs + 1                                  # maps do not force eager
    np.testing.assert_array_equal(out.pixels, plain.pixels)
    plan = MapPlan.of(RunBatch(key, batch.prompts[:1], batch.seeds[:1], maps=(("normal", "height", "roughness"),)))
    with torch.no_grad():
        again = plan.on_device(torch.from_numpy(out.pixels[:1].copy()).to(runner.device))
    for name, pixels in again.items():                                          # same device, same kernels
        np.testing.assert_array_equal(out.maps[0][name], pixels[0].cpu().numpy(), err_msg=name)
    cpu = material_maps(torch.from_numpy(out.pixels[:1].copy()), ("normal", "height", "roughness"))
    for name, pixels in cpu.items():                                           # vs a CPU recomputation
        diff = np.abs(out.maps[0][name].astype(int) - pixels[0].numpy().astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01, name
    assert sorted(out.maps[2]) == ["normal"] and out.maps[1] == {}


@pytest.mark.parametrize("name", ["bf16", "int8", "fp8"])
def test_quantized_modes_stay_above_35_db(runner, name):
    device = runner.device
    if name == "fp8" and not fp8_supported(device):
        pytest.skip("fp8 needs compute capability 8.9+")
    entry = runner.catalog.get(TEST_MODEL)
    from plugin_service.model.model_dir import load_generator

    _, generator = load_generator(entry.path, entry.manifest)
    reference = prepare_generator(generator, plan_for("fp32", device), device)
    plan = plan_for(name, device)
    score = runner.quality_db(entry, reference, prepare_generator(generator, plan, device), plan.dtype)
    assert score >= MIN_PSNR_DB, f"{name}: {score:.1f} dB"


def test_no_memory_growth_over_1000_replays(runner):
    key = ShapeKey(TEST_MODEL, "sprite", 64, 64)
    graph = runner.dispatcher.lookup(key, 64)[1]
    batch = batch_of(key, range(64))
    text = runner.text_encoder.encode(list(batch.prompts))
    noise = batch_noise(batch, runner.models[TEST_MODEL].cfg)
    graph.run(text, noise)
    torch.cuda.synchronize()
    allocated, reserved = torch.cuda.memory_allocated(), torch.cuda.memory_reserved()
    for _ in range(1000):
        graph.run(text, noise)
    torch.cuda.synchronize()
    assert torch.cuda.memory_allocated() == allocated
    assert torch.cuda.memory_reserved() == reserved


# ---- every precision x served shape, against the runner's own plain forward and the CPU ---------

SHAPES = [("sprite", 64), ("prop", 64), ("texture", 64), ("texture", 128), ("texture", 256), ("texture", 512)]


@pytest.fixture(scope="module", params=["fp32", "bf16", "int8", "fp8"])
def runner_at(request, models_dir):
    if request.param == "fp8" and not fp8_supported(torch.device("cuda")):
        pytest.skip("fp8 needs compute capability 8.9+")
    r = ModelRunner(ModelCatalog.scan(models_dir, TEST_MODEL), device="cuda", precision=request.param, max_batch=16,
                    max_batch_pixels=1 << 20, capture_texture_sizes=(128, 256, 512))
    r.load()
    r.warm_up()
    return r


@pytest.mark.parametrize("kind, size", SHAPES)
def test_capture_replays_every_precision_and_shape_like_the_plain_forward(runner_at, kind, size):
    """Replay of the captured graph vs the runner's own plain forward (its own staging, not the
    graph's buffers) at batch == bucket: a staging or capture bug shows here."""
    key = ShapeKey(TEST_MODEL, kind, size, size)
    captured = {b for k, b in runner_at.dispatcher.captured() if k == key}
    assert captured, f"{key} was not captured at {runner_at.models[TEST_MODEL].precision}"
    bucket = max(captured)
    batch = batch_of(key, range(7, 7 + bucket))
    graphs = runner_at.graph_batches
    replayed = runner_at.run(batch).pixels
    assert runner_at.graph_batches == graphs + 1
    model = runner_at.models[TEST_MODEL]
    with torch.no_grad():
        text = runner_at.text_encoder.encode(list(batch.prompts))
        plain = runner_at._forward(model.module, key, text, batch_noise(batch, model.cfg), model.dtype).cpu().numpy()
    assert psnr_visible_db(replayed, plain) >= 50.0, f"{key} x{bucket} at {model.precision}"


@pytest.mark.parametrize("kind", ["sprite", "prop", "texture"])
def test_cuda_bf16_matches_cpu_fp32(runner, models_dir, kind):
    cpu = ModelRunner(ModelCatalog.scan(models_dir, TEST_MODEL), device="cpu", precision="fp32", threads=1)
    cpu.load()
    cpu.warm_up()
    key = ShapeKey(TEST_MODEL, kind, 64, 64)
    batch = batch_of(key, range(4))
    assert psnr_visible_db(runner.run(batch).pixels, cpu.run(batch).pixels) >= MIN_PSNR_DB


def test_the_served_path_end_to_end_on_cuda(runner):
    """Scheduler -> out-of-memory wrapper -> graph replay -> maps -> encode, as the server runs it."""
    import asyncio

    from plugin_service.service.config import ServiceConfig
    from plugin_service.service.jobs import Job
    from plugin_service.service.oom import OomSplittingRunner
    from plugin_service.service.scheduler import Scheduler

    async def body():
        scheduler = Scheduler(OomSplittingRunner(runner), runner.catalog, ServiceConfig(device="cuda"))
        await scheduler.start()
        job = Job(tag="", model=TEST_MODEL, model_version="test", kind="texture", prompt="mossy cobblestone",
                  width=128, height=128, count=3, seed=5, format="dds_bc7", tileable=True, priority="interactive",
                  deadline=None, maps=("albedo", "normal"))
        graphs = runner.graph_batches
        results = [r async for r in scheduler.submit(job)]
        await scheduler.close()
        return results, runner.graph_batches - graphs

    results, replays = asyncio.run(body())
    assert len(results) == 3 and replays >= 1
    assert all(r.data[:4] == b"DDS " and r.extra and r.extra[0].map == "normal" for r in results)
