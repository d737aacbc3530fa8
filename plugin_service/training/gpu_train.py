"""Train on a lent GPU machine in one short, self-reporting run (scripts/gpu_train.sh calls this).

The machine is not ours: its own python3 and torch, no network, no pip, at most 64 MiB carried.
So everything comes in a pack made here (data_pack.py: images, caption embeddings, the projected
discriminator's backbone weights and its code), the code comes from PYTHONPATH, and nothing here
imports the text encoder or grpc. A report (JSON) is rewritten after every phase, so a run cut
short still says how far it got:

  environment  python, torch, CUDA, cuDNN, device; without CUDA the run stops here (exit 2)
               unless --smoke (the CPU check the test suite runs)
  train        the generator config for `--minutes` of wall time (resumable, checkpoints in OUT/run)
  export       OUT/model: a servable model directory, weights in bf16; every file must be under
               RETURN_LIMIT_BYTES (what the device tool returns per file)
  evaluate     texture seam ratios, transparent border, a sample grid; the judge-based
               `assetgen eval OUT/model --data DATA` runs where the data and the text encoder are

    python3 -m plugin_service.training.gpu_train --pack PACK --out OUT [--config base] [--minutes 4]
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

RETURN_LIMIT_BYTES = 16 * 2**20
# The loss weights of the shipped default's training (README, training section; its model card's history
# says what each gave on the CPU): mode-seeking 6, texture grid 30, guide 5, colour words from recoloured
# copies with the centres hue loss 6. The guide needs PACK/guide.safetensors (data_pack --guide), the
# colour words an augmented pack; without them those terms are off, and the report says which ran.
RECIPE = {"lambda_diversity": 6.0, "lambda_grid": 30.0, "lambda_guide": 5.0,
          "recolour_share": 0.5, "lambda_colour": 6.0, "colour_loss": "centres"}


def environment() -> dict:
    import torch

    env = {"python": platform.python_version(), "torch": torch.__version__, "cuda_available": torch.cuda.is_available(),
           "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None}
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        env.update(device=props.name, memory_gib=round(props.total_memory / 2**30, 1), capability=f"{props.major}.{props.minor}")
    return env


class Report:
    def __init__(self, path: Path) -> None:
        self.path, self.data = path, {"ok": False, "phases": {}}
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def put(self, phase: str, value) -> None:
        self.data["phases"][phase] = value
        self.write()

    def write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1) + "\n")
        tmp.replace(self.path)


def run(args: argparse.Namespace) -> int:
    import torch

    report = Report(args.out / "gpu_train.json")
    env = environment()
    report.put("environment", env)
    device = "cuda" if env["cuda_available"] else "cpu"
    if device == "cpu" and not args.smoke:
        report.data["reason"] = (f"no CUDA device: torch {env['torch']} (CUDA {env['cuda']}) sees no GPU; nothing was trained. "
                                 "Run it on the lent machine, or with --smoke for the CPU check")
        report.write()
        print(report.data["reason"], file=sys.stderr)
        return 2

    from .data_pack import load_pack
    from .train import TrainConfig, Trainer

    pack = Path(args.pack)
    backbone, guide = pack / "backbone.safetensors", pack / "guide.safetensors"
    augmented = load_pack(pack).image_captions is not None
    recipe = dict(RECIPE, lambda_projected=1.0 if backbone.exists() else 0.0)
    if not guide.exists():
        recipe["lambda_guide"] = 0.0
    if not augmented:
        recipe.update(recolour_share=0.0, lambda_colour=0.0)
    cfg = TrainConfig(config=args.config, batch=args.batch, kimg=1e9, backbone=str(backbone) if backbone.exists() else "",
                      guide=str(guide) if guide.exists() else "", augment_captions=augmented, log_every=args.log_every,
                      seed=args.seed, **recipe)
    t0 = time.time()
    trainer = Trainer(pack, args.out / "run", cfg, device=device)
    report.put("setup", {"seconds": round(time.time() - t0, 1), "images": int(len(trainer.data.train.images)),
                         "prompts": len(trainer.prompts), "config": args.config, "batch": args.batch,
                         "projected": bool(cfg.lambda_projected), "recipe": recipe, "resumed_at_step": trainer.step})

    deadline = time.time() + args.minutes * 60
    started, steps, last = time.time(), 0, {}
    while time.time() < deadline and (args.max_steps is None or steps < args.max_steps):
        last = trainer.train_step()
        steps += 1
        if not all(math.isfinite(v) for v in last.values()):
            report.put("train", {"steps": steps, "error": f"non-finite losses {last}"})
            return 1
        if steps % args.log_every == 0:
            report.put("train", {"steps": steps, "images_seen": trainer.images_seen,
                                 "img_per_s": round(steps * args.batch / (time.time() - started), 1),
                                 "last": {k: round(v, 4) for k, v in last.items()}})
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.time() - started
    trainer.save_checkpoint()
    report.put("train", {"steps": steps, "images_seen": trainer.images_seen, "seconds": round(seconds, 1),
                         "img_per_s": round(steps * args.batch / max(seconds, 1e-9), 1),
                         "last": {k: round(v, 4) for k, v in last.items()}})

    model_dir = trainer.export(args.out / "model", args.name, args.version, dtype=torch.bfloat16)
    # The run folder's checkpoint stays on the machine: it is for resuming there, and too big to return.
    sizes = {p.name: p.stat().st_size for p in model_dir.iterdir()}
    too_big = {k: v for k, v in sizes.items() if v >= RETURN_LIMIT_BYTES}
    report.put("export", {"dir": str(model_dir), "bytes": sizes, "too_big": too_big})
    if too_big:
        return 1

    report.put("evaluate", evaluate_here(trainer, model_dir))
    report.data["ok"] = True
    report.write()
    return 0


def evaluate_here(trainer, model_dir: Path) -> dict:
    """What needs neither the text encoder nor the judge: seams and border over every category's
    name (its embedding is in the pack), and samples.png."""
    import numpy as np
    import torch

    from plugin_service.data.images import seam_ratio
    from plugin_service.model.config import KIND_INDEX, KINDS
    from plugin_service.model.generator import make_noise
    from plugin_service.service.postprocess import to_rgba8

    from .evaluate import SEAM_SEEDS, border_transparency
    from .samples import composite

    G, data = trainer.G_ema, trainer.data
    cfg, device = G.config, trainer.device
    name_row = {n: len(data.captions) + i for i, n in enumerate(data.category_names)}   # category names in the table

    @torch.no_grad()
    def make(category: str, seeds: list[int], size: int) -> np.ndarray:
        kind = KINDS[data.category_kinds[data.category_names.index(category)]]
        emb = trainer.embeddings[[name_row[category]] * len(seeds)]
        noise = torch.stack([make_noise(s, cfg.noise_channels, size // cfg.stride, size // cfg.stride) for s in seeds])
        images = G(emb, noise.to(device).contiguous(memory_format=torch.channels_last),
                   torch.full((len(seeds),), KIND_INDEX[kind], device=device))
        return to_rgba8(images, kind == "texture").numpy()

    textures = [c for c, k in zip(data.category_names, data.category_kinds) if KINDS[k] == "texture"]
    objects = [c for c, k in zip(data.category_names, data.category_kinds) if KINDS[k] != "texture"]
    seams = {str(size): round(float(np.mean([seam_ratio(im[..., :3]) for c in textures for im in make(c, list(range(n)), size)])), 4)
             for size, n in SEAM_SEEDS.items()} if textures else {}
    border = [border_transparency(im) for c in objects for im in make(c, list(range(8)), 64)]
    rows = [np.concatenate([composite(im) for im in make(c, [1, 2, 3, 4], 64)], axis=1) for c in data.category_names]
    from PIL import Image

    Image.fromarray(np.concatenate(rows, axis=0)).save(model_dir / "samples.png")
    return {"texture_seam_ratio": seams, "sprite_prop_transparent_border": round(float(np.mean(border)), 4) if border else None,
            "samples": str(model_dir / "samples.png"),
            "next": "assetgen eval OUT/model --data DATA (the judge, KID, diversity) on a machine with the data and the text encoder"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pack", required=True, type=Path, help="folder written by python -m plugin_service.training.data_pack")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--config", default="base")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--minutes", type=float, default=4.0, help="wall time for training; setup, export and evaluation come on top")
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--name", default="assetgen-base")
    p.add_argument("--version", default="0.1.0-gpu")
    p.add_argument("--smoke", action="store_true", help="allow the CPU (the test suite's check of this script)")
    return run(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
