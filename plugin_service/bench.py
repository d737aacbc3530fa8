"""`assetgen bench`: naive vs optimized vs gRPC, on the same model, prompts and machine, in one run.

    assetgen bench --kind sprite --size 64 --seconds 5 --concurrency 1,8,64 --out bench.json

Paths (docs/DESIGN.md, "How speed is measured"):
- naive: what a plain PyTorch script does: eager fp32 NCHW, batch 1, one request at a time, the
  prompt encoded afresh each time (no cache), PNG-encoded like the service does.
- optimized in-process: the real runner (precision, channels_last, CUDA graphs on a GPU) behind
  the real scheduler, N concurrent callers submitting Jobs.
- optimized gRPC: a real AssetGenServer on a loopback port in this process (same warm runner),
  N concurrent callers through the real asyncio client in a child process, as a game's calls come
  from another process (`--clients-in-server-process` puts them in this one, sharing its GIL);
  once with a Generate call per request (pipelines) and once over one Session stream (games).
  Admission limits (rate, in-flight) are lifted: this measures the engine, not the limiter.
The three served paths run interleaved (`--rounds` slices each, alternating), so machine drift
lands on all of them and their ratios are fair. Each reports the scheduler's mean batch, the runner's busy
share and its compute ms per image, which tell a slow path from a starved one.
Also: GFLOP per image (FlopCounterMode), the share of a measured matmul peak, PSNR and speed of
each precision, and on CUDA replay vs eager per bucket. Timing starts after an untimed warm-up.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import tempfile
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np

from .measure import percentile
from .vocabulary import KINDS

PROMPTS = ("goblin archer", "rusty iron sword", "mossy cobblestone wall", "red health potion", "oak door",
           "skeleton warrior", "wooden shield", "gold coins", "blue mage", "lava rock", "brazier flame",
           "elven bow", "cracked marble", "orc axe", "green slime", "treasure chest")
LIFTED_LIMITS = {"rate_per_second": 1e9, "rate_burst": 10**9, "max_in_flight": 10**6, "max_sessions": 10**6,
                 "max_concurrent_streams": 1024}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", type=Path, default=Path("models"), help="models folder (default ./models)")
    parser.add_argument("--model", default="assetgen-tiny",
                        help="model to bench; when it is missing a random-weight tiny model is used (and said so)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--precision", default="auto", help="serving precision of the optimized paths")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads for every path (default 1: this machine's cores are shared)")
    parser.add_argument("--kind", default="sprite", choices=KINDS)
    parser.add_argument("--size", type=int, default=0, help="pixels (default: the kind's native size)")
    parser.add_argument("--requests", type=int, default=0, help="requests per measurement (overrides --seconds)")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="seconds per measurement, split over --rounds for the served paths (default 5)")
    parser.add_argument("--concurrency", default="1,8,64", help="comma-separated client counts (default 1,8,64)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="in-process, Generate and Session alternate in this many slices per client count (default 3)")
    parser.add_argument("--clients-in-server-process", action="store_true",
                        help="run the gRPC clients in the server's process (default: a child process)")
    parser.add_argument("--max-wait-ms", type=float, default=2.0, help="scheduler batch wait")
    parser.add_argument("--precisions", default="", help="precisions to score and time (default: all this device has)")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")


# ---- model and machine --------------------------------------------------------------------------

def resolve_models(models: Path, name: str, tmp: Path) -> tuple[Path, str, str]:
    """-> (models root, model name, note). Falls back to a random-weight tiny model."""
    from .model.model_dir import discover_models

    if models.is_dir() and name in discover_models(models):
        return models, name, f"trained model {models / name}"
    from .model.config import get_config
    from .model.random_model import make_random_model_dir

    path = make_random_model_dir(tmp / "bench-random-tiny", get_config("tiny"))
    return tmp, path.name, f"random-weight tiny model ({models / name} not found)"


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

    from .model.config import KIND_INDEX

    cells = size // cfg.stride
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        generator(torch.zeros(1, cfg.text_dim), torch.zeros(1, cfg.noise_channels, cells, cells),
                  torch.tensor([KIND_INDEX[kind]]))
    return counter.get_total_flops() / 1e9


def summarize(latencies_s: list[float], wall_s: float) -> dict:
    ms = np.array(latencies_s) * 1e3
    return {"requests": len(ms), "img_per_s": len(ms) / wall_s if wall_s > 0 else 0.0,
            "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99), "wall_s": wall_s}


# ---- the three paths ----------------------------------------------------------------------------

def bench_naive(entry, device, kind: str, size: int, requests: int, seconds: float) -> dict:
    """One request at a time: encode the prompt, make the noise, fp32 NCHW batch 1, uint8, PNG."""
    import torch

    from .model.config import KIND_INDEX
    from .model.generator import make_noise
    from .model.model_dir import load_generator
    from .model.text_encoder import load_text_encoder
    from .service.encode import encode_pixels
    from .service.postprocess import to_rgba8

    _, generator = load_generator(entry.path, entry.manifest)
    generator = generator.to(device).eval()
    cfg, channels = entry.manifest.config, entry.manifest.kinds[kind].channels
    encoder = load_text_encoder(device, cache_size=0)
    cells = size // cfg.stride

    def one(i: int) -> None:
        with torch.inference_mode():
            text = encoder.encode_uncached([PROMPTS[i % len(PROMPTS)]])                    # no cache
            noise = make_noise(i, cfg.noise_channels, cells, cells)[None].to(device)
            images = generator(text, noise, torch.tensor([KIND_INDEX[kind]], device=device))
            encode_pixels(to_rgba8(images, kind == "texture").numpy()[0], "png", channels)

    for i in range(3):
        one(i)  # warm-up, not timed
    latencies, start = [], time.perf_counter()
    i = 0
    while (i < requests) if requests else (time.perf_counter() - start < seconds):
        t = time.perf_counter()
        one(i)
        latencies.append(time.perf_counter() - t)
        i += 1
    return summarize(latencies, time.perf_counter() - start)


async def closed_loop(call, concurrency: int, requests: int, seconds: float, stats=None, on_warm=None) -> dict:
    """`concurrency` callers, each awaiting call(i) back to back, after one untimed call each.
    -> {"latencies_s", "wall_s"} plus, given the scheduler's `stats`, what it ran meanwhile.
    `on_warm()`: called once the untimed calls are done and timing starts."""
    await asyncio.gather(*(call(10_000_000 + c) for c in range(concurrency)))
    if on_warm is not None:
        on_warm()
    before = stats_snapshot(stats)
    latencies: list[float] = []
    counter = iter(range(10**9))
    start = time.perf_counter()

    async def caller() -> None:
        for i in counter:
            if (i >= requests) if requests else (time.perf_counter() - start >= seconds):
                return
            t = time.perf_counter()
            await call(i)
            latencies.append(time.perf_counter() - t)

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    part = {"latencies_s": latencies, "wall_s": time.perf_counter() - start}
    if before is not None:
        part["ran"] = stats_delta(stats, before)
    return part


def stats_snapshot(stats) -> tuple[int, int, float] | None:
    return None if stats is None else (stats.batches, stats.images, stats.compute_s)


def stats_delta(stats, before: tuple[int, int, float]) -> list:
    """[batches, images, compute seconds] the scheduler ran since `before`."""
    now = stats_snapshot(stats)
    return [now[0] - before[0], now[1] - before[1], now[2] - before[2]]


def merge_parts(parts: list[dict]) -> dict:
    """Rounds of one path -> its summary: pooled latencies over summed wall time; the scheduler's
    mean batch, busy share (time in runner.run / wall) and compute ms per image."""
    latencies = [x for p in parts for x in p["latencies_s"]]
    wall = sum(p["wall_s"] for p in parts)
    summary = summarize(latencies, wall)
    ran = [sum(p["ran"][i] for p in parts if "ran" in p) for i in range(3)]
    if ran[0]:
        summary.update(mean_batch=ran[1] / ran[0], runner_busy=ran[2] / wall, compute_ms_per_img=1e3 * ran[2] / ran[1])
    summary["rounds"] = len(parts)
    return summary


RPCS = ("generate", "session")  # gRPC paths: result keys "grpc" and "grpc_session"


async def bench_served(runner, catalog, config, model: str, kind: str, size: int, concurrencies, requests, seconds,
                       rounds: int = 3, client_process: bool = True) -> dict[str, dict[int, dict]]:
    """Optimized in-process and through both gRPC paths, interleaved: for each client count,
    `rounds` x (in-process slice, Generate slice, Session slice), each seconds/rounds (or
    requests/rounds) long. A 2-core VM drifts by 20% or more over a minute; alternating slices
    puts every path on the same drift, so their ratios measure the paths, not the minute.
    -> {"inprocess" | "grpc" | "grpc_session": {clients: summary}}.

    gRPC "generate": one Generate call per request, as a pipeline script does. "session": one
    Session stream per client process carrying every caller's submits as tags, as a game does.
    With `client_process`, gRPC callers run in a child process, as a game's would, so their
    Python work (protobuf parsing, sha256 checks, reassembly) does not share the server's event
    loop and GIL; the child still shares this machine's cores."""
    from .service.jobs import AssetRequest
    from .service.scheduler import Scheduler
    from .service.server import AssetGenServer
    from .service.validation import validate

    scheduler = Scheduler(runner, catalog, config)
    await scheduler.start()
    server = AssetGenServer(replace(config, port=0), runner=runner)
    port = await server.start()
    await server.warm()
    target = f"127.0.0.1:{port}"

    async def call(i: int) -> None:
        request = AssetRequest(prompt=PROMPTS[i % len(PROMPTS)], kind=kind, model=model, width=size, height=size,
                               seed=i)
        async for _ in scheduler.submit(validate(request, catalog, config, time.monotonic())):
            pass

    async def remote(rpc: str, c: int, n: int, s: float) -> dict:
        if client_process:
            return await _grpc_in_child(target, model, kind, size, c, n, s, server.scheduler.stats, rpc)
        return await _grpc_closed_loop(target, model, kind, size, c, n, s, server.scheduler.stats, rpc=rpc)

    per_round = max(1, requests // rounds) if requests else 0
    keys = {"generate": "grpc", "session": "grpc_session"}
    results: dict[str, dict[int, dict]] = {"inprocess": {}, **{keys[r]: {} for r in RPCS}}
    try:
        for c in concurrencies:
            parts: dict[str, list[dict]] = {k: [] for k in results}
            for _ in range(rounds):
                parts["inprocess"].append(await closed_loop(call, c, per_round, seconds / rounds, scheduler.stats))
                for rpc in RPCS:
                    parts[keys[rpc]].append(await remote(rpc, c, per_round, seconds / rounds))
            for key, p in parts.items():
                results[key][c] = merge_parts(p)
            for rpc in RPCS:
                results[keys[rpc]][c].update(client_process=client_process, rpc=rpc)
        return results
    finally:
        await server.stop(grace_s=1)
        await scheduler.close()


async def _grpc_closed_loop(target: str, model: str, kind: str, size: int, concurrency: int, requests, seconds,
                            stats=None, on_warm=None, rpc: str = "generate") -> dict:
    """rpc "generate": one Generate call per request (a pipeline script). "session": one Session
    stream carrying every caller's submits as tags (how a game talks to the service)."""
    from .client.async_client import AsyncAssetGenClient

    async with AsyncAssetGenClient(target) as client:
        if rpc == "generate":
            async def call(i: int) -> None:
                async for _ in client.generate(PROMPTS[i % len(PROMPTS)], kind, model=model, width=size,
                                               height=size, seed=i, timeout=60):
                    pass

            return await closed_loop(call, concurrency, requests, seconds, stats, on_warm)

        session = client.session()
        waiting: dict[str, asyncio.Future] = {}

        async def route() -> None:
            async for event in session:
                if event.done or event.failed:
                    waiting.pop(event.tag).set_result(event)

        router = asyncio.create_task(route())

        async def call(i: int) -> None:
            tag = str(i)
            waiting[tag] = asyncio.get_running_loop().create_future()
            await session.submit(tag, PROMPTS[i % len(PROMPTS)], kind, model=model, width=size, height=size, seed=i)
            event = await waiting[tag]
            if event.failed:
                raise RuntimeError(f"tag {tag} failed: {event.code} {event.message}")

        try:
            return await closed_loop(call, concurrency, requests, seconds, stats, on_warm)
        finally:
            await session.close()
            await router


def _grpc_child_main(conn, target: str, model: str, kind: str, size: int, concurrency: int, requests,
                     seconds, rpc: str) -> None:
    """Child process body: run the closed loop, tell the parent when timing starts, send the result."""
    try:
        part = asyncio.run(_grpc_closed_loop(target, model, kind, size, concurrency, requests, seconds,
                                             on_warm=lambda: conn.send("timing"), rpc=rpc))
        conn.send(part)
    except BaseException as e:  # the parent must hear about it rather than wait forever
        conn.send(RuntimeError(f"bench client process failed: {e!r}"))
    finally:
        conn.close()


async def _grpc_in_child(target: str, model: str, kind: str, size: int, concurrency: int, requests, seconds,
                         stats, rpc: str) -> dict:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding torch and grpc threads
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_grpc_child_main, args=(child, target, model, kind, size, concurrency, requests, seconds, rpc),
                       daemon=True)
    proc.start()
    child.close()
    try:
        before = None
        while True:
            try:
                message = await asyncio.to_thread(parent.recv)
            except EOFError:
                await asyncio.to_thread(proc.join, 5)
                raise RuntimeError(f"bench client process exited without a result (exit code {proc.exitcode})") from None
            if isinstance(message, Exception):
                raise message
            if message == "timing":
                before = stats_snapshot(stats)
                continue
            part = message
            break
        if before is not None:
            part["ran"] = stats_delta(stats, before)
        return part
    finally:
        await asyncio.to_thread(proc.join, 30)
        if proc.is_alive():
            proc.kill()


# ---- engine-level measurements --------------------------------------------------------------------

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

    from .model.config import KIND_INDEX
    from .model.model_dir import load_generator
    from .service.quantize import plan_for, prepare_generator

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

def targets(result: dict) -> list[dict]:
    """The issue's goals, checked on this run's numbers (only those that apply to it)."""
    checks = []
    naive, inproc = result["naive"], result["inprocess"]
    if result["device"] == "cpu" and result["kind"] == "sprite" and result["size"] == 64:
        for key, label in (("grpc", "gRPC Generate"), ("grpc_session", "gRPC Session")):
            grpc_ = result.get(key, {})
            if "64" in inproc and "64" in grpc_:
                checks.append({"target": f"optimized >= 4x naive throughput at 64 clients ({label})",
                               "value": grpc_["64"]["img_per_s"] / naive["img_per_s"], "goal": 4.0, "higher": True})
                checks.append({"target": f"{label} >= 85% of in-process throughput at 64 clients",
                               "value": grpc_["64"]["img_per_s"] / inproc["64"]["img_per_s"], "goal": 0.85,
                               "higher": True})
            if "8" in grpc_:
                checks.append({"target": f"p99 <= 3x p50 at 8 clients ({label})",
                               "value": grpc_["8"]["p99_ms"] / grpc_["8"]["p50_ms"], "goal": 3.0, "higher": False})
    if result["device"] == "cuda":
        graphs = {(r["kind"], r["size"], r["bucket"]): r for r in result.get("graphs", [])}
        one, many = graphs.get(("sprite", 64, 1)), graphs.get(("sprite", 64, 64))
        big = graphs.get(("texture", 512, 1))
        if one:
            checks.append({"target": "64 px sprite batch-1 compute <= 0.5 ms", "value": one["replay_ms"],
                           "goal": 0.5, "higher": False})
        if many:
            checks.append({"target": ">= 50,000 64 px sprites/s at bucket 64", "value": many["replay_img_per_s"],
                           "goal": 50_000, "higher": True})
        if big:
            checks.append({"target": "512 px texture batch-1 <= 5 ms", "value": big["replay_ms"], "goal": 5.0,
                           "higher": False})
        grpc_ = result.get("grpc", {})
        if "1" in grpc_ and result["kind"] == "sprite" and result["size"] == 64:
            checks.append({"target": "gRPC p50 for one 64 px sprite <= 3 ms", "value": grpc_["1"]["p50_ms"],
                           "goal": 3.0, "higher": False})
    for c in checks:
        c["met"] = c["value"] >= c["goal"] if c["higher"] else c["value"] <= c["goal"]
    return checks


def print_report(r: dict) -> None:
    print(f"\nassetgen bench: {r['model_note']}; {r['kind']} {r['size']}px on {r['device']} "
          f"({r['machine']}), precision {r['precision']}, {r.get('executor', 'eager')}, {r['threads']} thread(s)")
    peaks = r.get("peaks", {"fp32": {"gflops": r["peak_gflops"], "what": r["peak_what"]}})
    print(f"{r['gflop_per_image']:.3f} GFLOP/image; peaks " + ", ".join(f"{k} {v['gflops']:.0f} GFLOP/s ({v['what']})"
                                                                  for k, v in peaks.items())
          + f"; served rows use the {r.get('served_dtype', 'fp32')} peak, naive the fp32 one\n")
    print("| path | clients | img/s | p50 ms | p99 ms | x naive | % of peak | mean batch | runner busy | compute ms/img |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    naive = r["naive"]["img_per_s"]
    rows = [("naive (eager fp32 NCHW, batch 1, no cache)", "1", r["naive"])]
    rows += [("optimized in-process", c, s) for c, s in r["inprocess"].items()]
    rows += [("optimized gRPC Generate (loopback)", c, s) for c, s in r["grpc"].items()]
    rows += [("optimized gRPC Session (loopback)", c, s) for c, s in r.get("grpc_session", {}).items()]
    for name, c, s in rows:
        peak = peaks["fp32"]["gflops"] if name.startswith("naive") else r["peak_gflops"]
        share = s["img_per_s"] * r["gflop_per_image"] / peak * 100
        print(f"| {name} | {c} | {s['img_per_s']:.1f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | "
              f"{s['img_per_s'] / naive:.2f} | {share:.2f} | {s.get('mean_batch', 1.0):.1f} | "
              f"{s.get('runner_busy', 1.0):.0%} | {s.get('compute_ms_per_img', 1e3 / max(s['img_per_s'], 1e-9)):.2f} |")
    if r["precisions"]:
        print("\n| precision | PSNR vs fp32 (dB) | batch | ms/batch | img/s |")
        print("|---|---:|---:|---:|---:|")
        for p in r["precisions"]:
            if "skipped" in p:
                print(f"| {p['precision']} | skipped: {p['skipped']} | | | |")
            else:
                print(f"| {p['precision']} | {p['psnr_db']:.1f} | {p['batch']} | {p['ms_per_batch']:.1f} | "
                      f"{p['img_per_s']:.0f} |")
    if r.get("graphs"):
        print("\n| kind | size | bucket | replay ms | eager ms | replay img/s |")
        print("|---|---:|---:|---:|---:|---:|")
        for g in r["graphs"]:
            print(f"| {g['kind']} | {g['size']} | {g['bucket']} | {g['replay_ms']:.3f} | {g['eager_ms']:.3f} | "
                  f"{g['replay_img_per_s']:.0f} |")
    for t in r["targets"]:
        print(f"{'PASS' if t['met'] else 'MISS'}  {t['target']}: {t['value']:.2f}")


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    import torch

    from .service.catalog import ModelCatalog
    from .service.config import ServiceConfig
    from .service.runner import ModelRunner, pick_device

    concurrencies = [int(c) for c in args.concurrency.split(",") if c]
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    with tempfile.TemporaryDirectory(prefix="assetgen-bench-") as tmp:
        root, model, note = resolve_models(args.models, args.model, Path(tmp))
        catalog = ModelCatalog.scan(root, model)
        entry = catalog.get(model)
        size = args.size or entry.manifest.kinds[args.kind].native_size
        known = {f.name for f in fields(ServiceConfig)}
        config = ServiceConfig(models=root, model=model, device=device.type, threads=args.threads,
                               precision=args.precision, max_wait_ms=args.max_wait_ms,
                               max_queued_images=max(1024, 4 * max(concurrencies)),
                               **{k: v for k, v in LIFTED_LIMITS.items() if k in known})
        runner = ModelRunner.from_config(catalog, config)
        runner.load()
        runner.warm_up()
        prepared = runner.models[model]
        names = [p for p in (args.precisions or "fp32,bf16,int8,fp8").split(",") if p]
        if not args.precisions and device.type == "cpu":
            names.remove("fp8")
        served_dtype = "bf16" if prepared.dtype == torch.bfloat16 else "fp32"
        peaks = {d: dict(zip(("gflops", "what"), matmul_peak_gflops(device, d))) for d in ("fp32", "bf16")}
        result = {
            "model_note": note, "model": model, "device": device.type, "machine": platform.processor() or
            platform.machine(), "cpus": os.cpu_count(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "precision": prepared.precision, "executor": prepared.executor, "psnr_db": prepared.psnr_db,
            "kind": args.kind, "size": size, "gflop_per_image": gflop_per_image(
                load_generator_cpu(entry), entry.manifest.config, args.kind, size),
            "peaks": peaks, "served_dtype": served_dtype,
            "peak_gflops": peaks[served_dtype]["gflops"], "peak_what": peaks[served_dtype]["what"],
            "naive": bench_naive(entry, device, args.kind, size, args.requests, args.seconds),
        }
        if device.type == "cuda":
            result["gpu"] = torch.cuda.get_device_name(device)
            result["graphs"] = graph_table(runner)
        served = asyncio.run(bench_served(
            runner, catalog, config, model, args.kind, size, concurrencies, args.requests, args.seconds,
            rounds=args.rounds, client_process=not args.clients_in_server_process))
        for key, per_clients in served.items():
            result[key] = {str(c): s for c, s in per_clients.items()}
        result["precisions"] = precision_table(runner, entry, args.kind, size, names)
        result["targets"] = targets(result)
    print_report(result)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"\nwrote {args.out}")
    return 0


def load_generator_cpu(entry):
    from .model.model_dir import load_generator

    return load_generator(entry.path, entry.manifest)[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="assetgen bench", description=__doc__.strip().splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
