"""`assetgen average BASE TUNED --alpha A --out DIR`: a model whose generator weights are the average of two.

Weight-space ensembling of a fine-tune with the model it was fine-tuned from (WiSE-FT: Wortsman et
al. 2022, "Robust fine-tuning of zero-shot models"; also "model soups", Wortsman et al. 2022): every
floating-point tensor of the generator becomes (1 - A) * BASE + A * TUNED. Both must have the same
generator config, so the result has the same architecture, cost and guarantees (tiling, alpha,
determinism) as either. It works when TUNED was trained from BASE (the two sit in one basin of the
loss); two independently trained generators average to noise.

The output directory is a complete model directory: TUNED's manifest (name, kinds, licence, data)
with the new version and a history line, the averaged generator, and TUNED's discriminator state
if it has one (the state a further fine-tune would resume from). Its quality is not measured here:
run `assetgen eval DIR --data ...` next, which writes eval.json and the model card.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from plugin_service.model.model_dir import DISCRIMINATOR_FILE, MANIFEST, read_manifest


def average_state(base: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor], alpha: float) -> dict[str, torch.Tensor]:
    """(1 - alpha) * base + alpha * tuned for floating-point tensors, computed in fp32 and stored in
    tuned's dtype; other tensors (integer counters) are tuned's.
    Raises ValueError if alpha is outside [0, 1] or the two states differ in names or shapes."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1] (0 = BASE, 1 = TUNED), got {alpha}")
    if base.keys() != tuned.keys():
        extra = sorted(base.keys() ^ tuned.keys())
        raise ValueError(f"the generators have different tensors ({extra[:3]} ...): only a model and its own fine-tune can be averaged")
    out = {}
    for k, t in tuned.items():
        if base[k].shape != t.shape:
            raise ValueError(f"tensor {k} has shape {tuple(base[k].shape)} in BASE and {tuple(t.shape)} in TUNED")
        out[k] = torch.lerp(base[k].float(), t.float(), alpha).to(t.dtype) if t.is_floating_point() else t.clone()
    return out


def average_models(base_dir: Path, tuned_dir: Path, alpha: float, out_dir: Path, version: str, note: str = "") -> Path:
    """Writes out_dir (see the module docstring) and returns it.
    Raises ValueError for configs that differ, an alpha outside [0, 1], or an out_dir that is one of the inputs."""
    base_dir, tuned_dir, out_dir = Path(base_dir), Path(tuned_dir), Path(out_dir)
    if out_dir.resolve() in (base_dir.resolve(), tuned_dir.resolve()):
        raise ValueError(f"--out {out_dir} is one of the models being averaged: write the average to a new folder")
    base, tuned = read_manifest(base_dir), read_manifest(tuned_dir)
    if base.config != tuned.config:
        changed = sorted(f.name for f in dataclasses.fields(base.config) if getattr(base.config, f.name) != getattr(tuned.config, f.name))
        raise ValueError(f"{base_dir} and {tuned_dir} have different generator configs ({', '.join(changed)}): "
                         "only a model and its own fine-tune can be averaged")
    state = average_state(load_file(str(base_dir / base.weights)), load_file(str(tuned_dir / tuned.weights)), alpha)

    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out_dir / tuned.weights), metadata={"name": tuned.name, "version": version})
    if (tuned_dir / DISCRIMINATOR_FILE).exists():
        shutil.copyfile(tuned_dir / DISCRIMINATOR_FILE, out_dir / DISCRIMINATOR_FILE)
    line = (f"- {version}: the weight average (1 - {alpha:g}) x {base.name} {base.version} + {alpha:g} x "
            f"{tuned.name} {tuned.version} (`assetgen average`, WiSE-FT)." + (f" {note}" if note else ""))
    extra = dict(tuned.extra)
    extra["derived_from"] = {"name": base.name, "version": base.version}
    extra["averaged_with"] = {"name": tuned.name, "version": tuned.version, "alpha": alpha}
    extra["history"] = list(extra.get("history", [])) + [line]
    manifest = dataclasses.replace(tuned, version=version, quality={}, extra=extra)
    (out_dir / MANIFEST).write_text(json.dumps(manifest.to_dict(), indent=2) + "\n")
    return out_dir


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("base", type=Path, help="model directory that TUNED was fine-tuned from")
    p.add_argument("tuned", type=Path, help="model directory fine-tuned from BASE")
    p.add_argument("--alpha", type=float, required=True, help="weight of TUNED, 0..1 (0 = BASE, 1 = TUNED)")
    p.add_argument("--out", type=Path, required=True, help="new model directory")
    p.add_argument("--model-version", required=True, help="version written into the new manifest")
    p.add_argument("--note", default="", help="text appended to the history line on the model card")


def run(args: argparse.Namespace) -> int:
    try:
        out = average_models(args.base, args.tuned, args.alpha, args.out, args.model_version, args.note)
    except (ValueError, FileNotFoundError) as e:
        print(f"assetgen average: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({args.model_version}); measure it with `assetgen eval {out} --data DATA`")
    return 0
