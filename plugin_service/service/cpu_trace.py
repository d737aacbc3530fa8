"""CPU: run the generator as a frozen TorchScript trace, so one forward pass holds the GIL once.

Why: eager PyTorch re-takes the GIL between every op. The server's event loop (gRPC, encoding
hand-offs) wants the GIL too, and each time the compute thread asks for it back it can wait up
to the interpreter's switch interval. Measured on this 2-core CPU with
`python scripts/bench_cpu_executor.py` (tiny config, batch 32, 64 px, bf16, 1 thread, 2026-11-29):
  alone: eager 117 ms, traced 98 ms
  with a thread doing event-loop-like Python bursts: eager 119 ms, traced 99 ms
  with a thread spinning in Python: eager 1,970 ms, traced 127 ms
and through `assetgen bench`, eager compute per image was 3.4-3.8 ms in-process but 4.9-5.0 ms
behind gRPC: the gap between the two paths was the GIL, not gRPC itself.

The trace is checked, not trusted: it must give exactly the eager module's output on a shape,
batch size and kind other than the one it was traced with (the generator's shapes are traced
symbolically; the coordinate grid and kind masks are computed from the inputs). If tracing fails
or differs, the runner keeps the eager module and says why. CUDA never uses this: it has graphs.

torch.jit is deprecated upstream but present in the pinned torch; torch.compile was slower here
(quantize.py) and its generated wrapper still runs Python per kernel launch.
"""
from __future__ import annotations

import warnings

import torch
import torch.nn as nn

from ..model.config import KIND_INDEX, GeneratorConfig


def _inputs(cfg: GeneratorConfig, batch: int, cells: int, kind: str, dtype: torch.dtype, seed: int):
    g = torch.Generator().manual_seed(seed)
    text = nn.functional.normalize(torch.randn(batch, cfg.text_dim, generator=g), dim=1)  # fp32, as the runner passes it
    noise = torch.randn(batch, cfg.noise_channels, cells, cells + 1, generator=g).to(dtype)
    noise = noise.contiguous(memory_format=torch.channels_last)
    return text, noise, torch.full((batch,), KIND_INDEX[kind], dtype=torch.long)


@torch.no_grad()
def trace_generator(module: nn.Module, cfg: GeneratorConfig, dtype: torch.dtype) -> tuple[nn.Module | None, str]:
    """-> (frozen traced module, "") or (None, why not). `module` is the prepared CPU generator."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the deprecation notice; checked by the comparison below
            traced = torch.jit.freeze(torch.jit.trace(module.eval(), _inputs(cfg, 2, 2, "sprite", dtype, 0),
                                                      check_trace=False))
            for batch, cells, kind in ((3, 3, "texture"), (1, 1, "prop"), (2, 2, "sprite")):
                example = _inputs(cfg, batch, cells, kind, dtype, batch)
                expected, got = module(*example), traced(*example)
                if got.shape != expected.shape or not torch.equal(got, expected):
                    return None, f"the trace differs from eager at batch {batch}, {kind}, {cells} cells"
    except Exception as e:  # a module tracing cannot handle (e.g. a future quantization swap)
        return None, f"tracing failed: {e!r}"
    return traced, ""
