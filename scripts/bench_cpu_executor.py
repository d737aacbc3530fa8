#!/usr/bin/env python3
"""Measure the generator's CPU forward, eager vs the checked TorchScript trace, alone and next to a
thread that wants the GIL (what the server's event loop does while a batch computes).

    python scripts/bench_cpu_executor.py --batch 32 --size 64 --precision bf16

Random weights are enough: the timing depends on shapes, not values. `spin` is a thread running
pure Python without pause (worst case); `bursts` runs short Python bursts with 0.2 ms sleeps
(closer to an event loop under load). Mean ms per forward over --repeat calls.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from plugin_service.model.config import KIND_INDEX, get_config  # noqa: E402
from plugin_service.model.generator import Generator  # noqa: E402
from plugin_service.service.cpu_trace import trace_generator  # noqa: E402


def spin(stop: threading.Event) -> None:
    x = 0
    while not stop.is_set():
        x += 1


def bursts(stop: threading.Event) -> None:
    while not stop.is_set():
        s = 0
        for i in range(2000):
            s += i
        time.sleep(0.0002)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="tiny")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--precision", default="bf16", choices=("fp32", "bf16"))
    p.add_argument("--repeat", type=int, default=15)
    args = p.parse_args()
    torch.set_num_threads(1)
    dtype = torch.bfloat16 if args.precision == "bf16" else torch.float32
    cfg = get_config(args.config)
    torch.manual_seed(0)
    eager = Generator(cfg).eval().to(dtype=dtype, memory_format=torch.channels_last)
    traced, why = trace_generator(eager, cfg, dtype)
    if traced is None:
        print(f"no trace: {why}")
        return 1
    cells = args.size // cfg.stride
    text = torch.nn.functional.normalize(torch.randn(args.batch, cfg.text_dim), dim=1)
    noise = torch.randn(args.batch, cfg.noise_channels, cells, cells).to(dtype).contiguous(memory_format=torch.channels_last)
    kind = torch.full((args.batch,), KIND_INDEX["sprite"], dtype=torch.long)

    def ms(module) -> float:
        with torch.no_grad():
            for _ in range(2):
                module(text, noise, kind)
            start = time.perf_counter()
            for _ in range(args.repeat):
                module(text, noise, kind)
        return (time.perf_counter() - start) / args.repeat * 1e3

    print(f"{args.config} batch {args.batch} at {args.size} px, {args.precision}, 1 thread: ms per forward")
    print("| executor | alone | next to bursts | next to spin |")
    print("|---|---:|---:|---:|")
    for name, module in (("eager", eager), ("torchscript", traced)):
        row = [ms(module)]
        for target in (bursts, spin):
            stop = threading.Event()
            thread = threading.Thread(target=target, args=(stop,))
            thread.start()
            row.append(ms(module))
            stop.set()
            thread.join()
        print(f"| {name} | " + " | ".join(f"{x:.1f}" for x in row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
