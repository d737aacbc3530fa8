"""What the device can do and what each precision costs: matmul peaks per dtype, GFLOP per image,
PSNR and speed of each precision, CUDA replay vs eager per bucket."""
from __future__ import annotations

import time


def matmul_peak_gflops(device, dtype_name: str = "fp32") -> tuple[float, str]:
    """A large matmul in `dtype_name` ("fp32" or "bf16"), best of several: the peak a path that
    computes in that dtype is measured against (bf16 runs several times faster than fp32 here:
    108 vs 490 GFLOP/s on one thread, 2026-11-30)."""
    import torch

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype_name]
    if device.type == "cuda":
        n, reps = 8192, 20
        a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
        for _ in range(3):
            a @ b
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            a @ b
        end.record()
        torch.cuda.synchronize()
        seconds = start.elapsed_time(end) / 1e3 / reps
        return 2 * n**3 / seconds / 1e9, f"{dtype_name} {n}x{n} matmul"
    n, best = 1024, float("inf")
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    for _ in range(5):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9, f"{dtype_name} {n}x{n} matmul, {torch.get_num_threads()} thread(s)"


def gflop_per_image(generator, cfg, kind: str, size: int) -> float:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from ...model.config import KIND_INDEX

    cells = size // cfg.stride
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        generator(torch.zeros(1, cfg.text_dim), torch.zeros(1, cfg.noise_channels, cells, cells),
                  torch.tensor([KIND_INDEX[kind]]))
    return counter.get_total_flops() / 1e9


def time_ms(fn, device, reps: int) -> float:
    """Best-of (CPU) / mean over reps with events (CUDA) of fn(), in ms, after one untimed call."""
    import torch

    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            fn()
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end) / reps
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1e3


def precision_table(runner, entry, kind: str, size: int, names: list[str]) -> list[dict]:
    """Each precision: PSNR vs fp32 on the fixed seeds, and one batch's eager forward time."""
    import torch

    from ...model.config import KIND_INDEX
    from ...model.model_dir import load_generator
    from ...service.quantize import plan_for, prepare_generator

    device, cfg = runner.device, entry.manifest.config
    _, generator = load_generator(entry.path, entry.manifest)
    reference = prepare_generator(generator, plan_for("fp32", device), device)
    batch = 64 if device.type == "cuda" else 16
    cells = size // cfg.stride
    rows = []
    for name in names:
        try:
            plan = plan_for(name, device)
        except ValueError as e:
            rows.append({"precision": name, "skipped": str(e)})
            continue
        module = reference if name == "fp32" else prepare_generator(generator, plan, device)
        score = runner.quality_db(entry, reference, module, plan.dtype)
        text = torch.randn(batch, cfg.text_dim, device=device)
        noise = torch.randn(batch, cfg.noise_channels, cells, cells, device=device, dtype=plan.dtype
                            ).contiguous(memory_format=torch.channels_last)
        kinds = torch.full((batch,), KIND_INDEX[kind], device=device)
        with torch.no_grad():
            ms = time_ms(lambda: module(text, noise, kinds), device, reps=3 if device.type == "cpu" else 20)
        rows.append({"precision": name, "psnr_db": score, "batch": batch, "ms_per_batch": ms,
                     "img_per_s": batch / ms * 1e3})
    return rows


def graph_table(runner) -> list[dict]:
    """CUDA: per captured (shape, bucket), graph replay vs eager on the same static buffers."""
    import torch

    rows = []
    for key, bucket in runner.dispatcher.captured():
        graph = runner.dispatcher.lookup(key, bucket)[1]
        with torch.no_grad():
            replay = time_ms(graph.graph.replay, runner.device, reps=100)
            eager = time_ms(graph.forward, runner.device, reps=20)
        rows.append({"kind": key.kind, "size": key.height, "bucket": bucket, "replay_ms": replay, "eager_ms": eager,
                     "replay_img_per_s": bucket / replay * 1e3})
    return rows


# ---- the command --------------------------------------------------------------------------------
