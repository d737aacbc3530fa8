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
from dataclasses import fields
from pathlib import Path


from ...vocabulary import KINDS
from .device import gflop_per_image, graph_table, matmul_peak_gflops, precision_table
from .paths import LIFTED_LIMITS, bench_naive, bench_served
from .report import print_report, targets


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
    from ...model.model_dir import discover_models

    if models.is_dir() and name in discover_models(models):
        return models, name, f"trained model {models / name}"
    from ...model.config import get_config
    from ...model.random_model import make_random_model_dir

    path = make_random_model_dir(tmp / "bench-random-tiny", get_config("tiny"))
    return tmp, path.name, f"random-weight tiny model ({models / name} not found)"


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    import torch

    from ...service.catalog import ModelCatalog
    from ...service.config import ServiceConfig
    from ...service.runner import ModelRunner, pick_device

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
    from ...model.model_dir import load_generator

    return load_generator(entry.path, entry.manifest)[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="assetgen bench", description=__doc__.strip().splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
