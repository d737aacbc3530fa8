#!/usr/bin/env python3
"""Measure the generator's CPU forward time in NCHW vs channels_last (the runner's CPU choice).

    python scripts/bench_memory_format.py --config tiny --batch 8 --size 64 --threads 1 2

Random weights are enough: the timing depends on shapes, not values. Prints the best of
`--repeat` runs per (threads, layout) and checks both layouts give the same pixels.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from plugin_service.model.config import KIND_INDEX, get_config  # noqa: E402
from plugin_service.model.generator import Generator, make_noise  # noqa: E402


def best_ms(generator, text, noise, kind, repeat: int) -> tuple[float, torch.Tensor]:
    with torch.inference_mode():
        out = generator(text, noise, kind)  # warm-up, not timed
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            out = generator(text, noise, kind)
            times.append(time.perf_counter() - start)
    return min(times) * 1e3, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="tiny")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--kind", default="texture")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, torch.get_num_threads()])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    cfg = get_config(args.config)
    torch.manual_seed(0)
    generator = Generator(cfg).eval()
    cells = args.size // cfg.stride
    noise = torch.stack([make_noise(s, cfg.noise_channels, cells, cells) for s in range(args.batch)])  # [B, C, h, w]
    text = torch.nn.functional.normalize(torch.randn(args.batch, cfg.text_dim), dim=1)
    kind = torch.full((args.batch,), KIND_INDEX[args.kind])
    for threads in args.threads:
        torch.set_num_threads(threads)
        nchw_ms, nchw = best_ms(generator.to(memory_format=torch.contiguous_format), text, noise, kind, args.repeat)
        cl_ms, cl = best_ms(generator.to(memory_format=torch.channels_last), text,
                            noise.contiguous(memory_format=torch.channels_last), kind, args.repeat)
        print(f"{args.config} batch {args.batch} {args.size}px threads {threads}: NCHW {nchw_ms:.1f} ms, "
              f"channels_last {cl_ms:.1f} ms ({nchw_ms / cl_ms:.1f}x), max |diff| {(nchw - cl).abs().max():.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
