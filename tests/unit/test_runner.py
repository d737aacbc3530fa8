"""The runner on the CPU (real model, real text encoder) and the dispatcher's capture plan.

The CUDA-graph half of the runner is checked in tests/gpu/; here: which shapes and buckets would
be captured, that lookups pick the right bucket, that CPU serving is eager, batch-invariant and
gated by PSNR.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from plugin_service.service.catalog import ModelCatalog
from plugin_service.service.dispatcher import Dispatcher, bucket_for, capture_plan, make_buckets, serve_shapes
from plugin_service.service.jobs import RunBatch, ShapeKey
from plugin_service.service.materials import material_maps
from plugin_service.service.oom import OomSplittingRunner
from plugin_service.service.quantize import MIN_PSNR_DB
from plugin_service.service.runner import ModelRunner

TEST_MODEL = "assetgen-test"  # built by the conftest models_dir fixture
TEX = ShapeKey("m", "texture", 64, 64)
BIG = ShapeKey("m", "texture", 512, 512)
SPRITE = ShapeKey("m", "sprite", 64, 64)


def test_buckets_are_powers_of_two_up_to_max_batch():
    assert make_buckets(64) == (1, 2, 4, 8, 16, 32, 64)
    assert make_buckets(48) == (1, 2, 4, 8, 16, 32, 48)
    assert make_buckets(1) == (1,)
    assert [bucket_for(n, make_buckets(64)) for n in (1, 3, 33, 64, 65)] == [1, 4, 64, 64, None]


def test_capture_plan_is_largest_first_and_respects_the_pixel_budget():
    plan = capture_plan([SPRITE, BIG, TEX], make_buckets(64), max_batch=64, max_pixels=1 << 20)
    # 512 px textures: the scheduler never batches more than 4 (1 Mpx budget), so no bigger bucket.
    assert [b for k, b in plan if k == BIG] == [4, 2, 1]
    assert [b for k, b in plan if k == SPRITE] == [64, 32, 16, 8, 4, 2, 1]
    memory = [b * k.height * k.width for k, b in plan]
    assert memory == sorted(memory, reverse=True)   # first capture sizes the shared pool
    assert len(plan) == len(set(plan)) == 3 + 7 + 7  # 3 buckets for BIG, 7 each for TEX and SPRITE


def test_dispatcher_picks_the_smallest_captured_bucket_else_eager():
    d: Dispatcher[str] = Dispatcher(make_buckets(8))
    d.add(TEX, 8, "g8")
    d.add(TEX, 2, "g2")
    assert d.lookup(TEX, 1) == (2, "g2")
    assert d.lookup(TEX, 3) == (8, "g8")
    assert d.lookup(TEX, 9) is None          # larger than any bucket: eager
    assert d.lookup(SPRITE, 1) is None       # shape never captured: eager
    assert len(d) == 2 and d.captured() == [(TEX, 2), (TEX, 8)]
    with pytest.raises(ValueError, match="bucket 3"):
        d.add(TEX, 3, "g3")


def test_serve_shapes_are_native_sizes_plus_allowed_texture_sizes(models_dir):
    catalog = ModelCatalog.scan(models_dir, TEST_MODEL)
    shapes = serve_shapes(catalog, extra_texture_sizes=(128, 96, 64))   # 96 is not an allowed size
    ours = [(k.kind, k.height) for k in shapes if k.model == TEST_MODEL]
    assert ours == [("texture", 64), ("texture", 128), ("sprite", 64), ("prop", 64)]


@pytest.fixture(scope="module")
def runner(models_dir):
    r = ModelRunner(ModelCatalog.scan(models_dir, TEST_MODEL), device="cpu", threads=1)
    r.load()
    r.warm_up()
    return r


def test_cpu_runner_has_no_graphs_is_gated_and_idempotent(runner):
    assert runner.device.type == "cpu" and len(runner.dispatcher) == 0
    model = runner.models[TEST_MODEL]
    assert model.precision in ("fp32", "bf16") and model.psnr_db >= MIN_PSNR_DB
    assert model.executor == "torchscript" and isinstance(model.module, torch.jit.ScriptModule)
    before = runner.models[TEST_MODEL].module
    runner.load()
    runner.warm_up()
    assert runner.models[TEST_MODEL].module is before  # a second scheduler reuses the warm runner


@pytest.mark.parametrize("kind", ["texture", "sprite"])
def test_an_item_is_the_same_alone_or_in_any_batch(runner, kind):
    key = ShapeKey(TEST_MODEL, kind, 64, 64)
    eager_before = runner.eager_batches
    batch = runner.run(RunBatch(key, ("red brick", "goblin archer", "red brick", "oak door", "lava"),
                                (7, 8, 9, 10, 11))).pixels
    alone = runner.run(RunBatch(key, ("red brick",), (9,))).pixels
    assert batch.shape == (5, 64, 64, 4) and batch.dtype == np.uint8
    np.testing.assert_array_equal(batch[2], alone[0])
    assert not np.array_equal(batch[0], batch[2])  # the seed matters
    assert runner.eager_batches == eager_before + 2
    if kind == "texture":
        assert (batch[..., 3] == 255).all()


def test_maps_are_derived_in_the_runner_only_for_the_items_that_ask(runner):
    key = ShapeKey(TEST_MODEL, "texture", 64, 64)
    prompts, seeds = ("red brick", "lava", "oak door"), (3, 4, 5)
    plain = runner.run(RunBatch(key, prompts, seeds))
    assert plain.maps == () and plain.item_maps(1) == {}  # no maps asked: nothing derived
    wanted = (("normal", "roughness"), (), ("height",))
    out = runner.run(RunBatch(key, prompts, seeds, maps=wanted))
    np.testing.assert_array_equal(out.pixels, plain.pixels)  # maps never change the albedo
    assert [sorted(m) for m in out.maps] == [["normal", "roughness"], [], ["height"]]
    for i, names in enumerate(wanted):  # exactly materials.py on the delivered uint8 albedo
        local = material_maps(torch.from_numpy(out.pixels[i : i + 1].copy()), names)
        for name in names:
            assert out.maps[i][name].shape == (64, 64, 4) and out.maps[i][name].dtype == np.uint8
            np.testing.assert_array_equal(out.maps[i][name], local[name][0].numpy(), err_msg=f"{name} of item {i}")


def test_out_of_memory_halves_keep_each_items_maps(runner):
    class SmallRunner:
        def run(self, batch):
            if len(batch.seeds) > 1:
                raise RuntimeError("CUDA out of memory (injected)")
            return runner.run(batch)

    key = ShapeKey(TEST_MODEL, "texture", 64, 64)
    batch = RunBatch(key, ("a", "b", "c"), (1, 2, 3), maps=((), ("normal",), ()))
    split = OomSplittingRunner(SmallRunner()).run(batch)
    whole = runner.run(batch)
    np.testing.assert_array_equal(split.pixels, whole.pixels)
    assert [sorted(m) for m in split.maps] == [[], ["normal"], []]
    np.testing.assert_array_equal(split.maps[1]["normal"], whole.maps[1]["normal"])


@pytest.mark.parametrize("precision", ["fp32", "bf16", "int8"])
def test_torchscript_executor_gives_the_eager_pixels(models_dir, precision):
    # The CPU default runs a checked trace (service/cpu_trace.py); it must not change a pixel,
    # at a batch size, kind and image size it was not traced with.
    runners = {}
    for executor in ("torchscript", "eager"):
        r = ModelRunner(ModelCatalog.scan(models_dir, TEST_MODEL), device="cpu", threads=1, precision=precision,
                        cpu_executor=executor)
        r.load()
        runners[executor] = r
    assert runners["eager"].models[TEST_MODEL].executor == "eager"
    for kind, size in (("texture", 128), ("prop", 64)):
        batch = RunBatch(ShapeKey(TEST_MODEL, kind, size, size), ("mossy stone", "iron shield", "lava"), (3, 4, 5))
        np.testing.assert_array_equal(runners["torchscript"].run(batch).pixels, runners["eager"].run(batch).pixels)


def test_explicit_precisions_are_honoured_and_scored(models_dir):
    r = ModelRunner(ModelCatalog.scan(models_dir, TEST_MODEL), device="cpu", threads=1, precision="int8")
    r.load()
    model = r.models[TEST_MODEL]
    assert model.precision == "int8" and math.isfinite(model.psnr_db)
    pixels = r.run(RunBatch(ShapeKey(TEST_MODEL, "prop", 64, 64), ("shield",), (1,))).pixels
    assert pixels.shape == (1, 64, 64, 4)
    with pytest.raises(ValueError, match="fp8 needs a CUDA GPU"):
        ModelRunner(ModelCatalog.scan(models_dir, TEST_MODEL), device="cpu", precision="fp8").load()


def test_fp32_means_fp32_once_a_runner_exists(models_dir):
    """cuDNN rounds fp32 convolutions to TF32 by default; the runner turns that off process-wide,
    through the one settings API (the legacy allow_tf32 flags would raise beside it)."""
    import torch

    from plugin_service.service.catalog import ModelCatalog
    from plugin_service.service.runner import ModelRunner

    ModelRunner(ModelCatalog.scan(models_dir, "assetgen-test"), device="cpu")
    assert torch.backends.cuda.matmul.fp32_precision == "ieee"
    assert torch.backends.cudnn.conv.fp32_precision == "ieee"
