"""`assetgen eval MODEL --data DIR`: measure a model and write its model card.

Numbers (DESIGN.md "How quality is measured"):
  fidelity      classifier trained on real images; accuracy on held-out real vs generated images
  seam ratio    textures: mean |pixel step| across the wrap seam / inside (1.0 = seamless)
  transparency  sprites and props: share of border pixels that are transparent (alpha < 8/255)
  diversity     mean |difference| between images of one prompt across seeds (0..1)
"""
from __future__ import annotations

import argparse
import json
import random
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from plugin_service.data.images import seam_ratio  # one definition for data checks and the model card
from plugin_service.model.config import KIND_INDEX
from plugin_service.model.model_dir import load_generator, read_manifest
from plugin_service.service.postprocess import TRANSPARENT_BELOW, to_rgba8

from .classifier import load_classifier, predict, save_classifier, train_classifier
from .samples import generate, sample_grid

# Seeds per texture category at each size. One image's seam is a single row and column, so a
# 64 px image gives a noisy ratio: more seeds at small sizes (cheap) narrow the estimate.
SEAM_SEEDS = {64: 16, 256: 8, 512: 2}
README_PROMPTS = [
    ("mossy cobblestone", "texture"), ("oak wood planks", "texture"), ("red brick wall", "texture"),
    ("grass", "texture"), ("lava", "texture"), ("sand", "texture"),
    ("goblin spearman", "sprite"), ("elvish archer", "sprite"), ("dwarvish fighter", "sprite"),
    ("skeleton warrior", "sprite"), ("red drake", "sprite"), ("ghost", "sprite"),
    ("steel sword", "prop"), ("red potion", "prop"), ("treasure chest", "prop"),
    ("battle axe", "prop"), ("burning fire", "prop"), ("magic staff", "prop"),
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", type=Path, help="model directory (manifest.json + .safetensors)")
    p.add_argument("--data", required=True, type=Path, help="data folder the model was trained on")
    p.add_argument("--per-category", type=int, default=32, help="generated images per category")
    p.add_argument("--classifier", type=Path, default=None, help="cached fidelity classifier (default DATA/eval_classifier.safetensors)")
    p.add_argument("--retrain-classifier", action="store_true")


def run(args: argparse.Namespace) -> int:
    report = evaluate(args.model, args.data, per_category=args.per_category, classifier_path=args.classifier,
                      retrain=args.retrain_classifier)
    print(json.dumps(report["summary"], indent=1))
    return 0


def border_transparency(rgba: np.ndarray) -> float:
    a = rgba[..., 3]
    border = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    return float((border < TRANSPARENT_BELOW).mean())


def _classifier(data_dir: Path, path: Path | None, retrain: bool, log=print):
    path = Path(path or Path(data_dir) / "eval_classifier.safetensors")
    if path.exists() and not retrain:
        model, categories, meta = load_classifier(path)
        return model, categories, meta
    model, categories, pred, y, rows = train_classifier(data_dir, log=log)
    per_cat = defaultdict(list)
    for p, t in zip(pred.tolist(), y.tolist()):
        per_cat[categories[t]].append(p == t)
    meta = {
        "real_held_out_accuracy": float((pred == y).float().mean()),
        "real_held_out_images": int(len(y)),
        "real_per_category": {c: round(float(np.mean(v)), 3) for c, v in sorted(per_cat.items())},
    }
    save_classifier(path, model, categories, meta)
    return model, categories, {"categories": categories, **meta}


def evaluate(model_dir: Path, data_dir: Path, per_category: int = 32, classifier_path: Path | None = None,
             retrain: bool = False, log=print) -> dict:
    t0 = time.time()
    model_dir, data_dir = Path(model_dir), Path(data_dir)
    manifest, G = load_generator(model_dir)
    G = G.to(memory_format=torch.channels_last)
    clf, categories, clf_meta = _classifier(data_dir, classifier_path, retrain, log=log)
    rows = [json.loads(line) for line in (data_dir / "index.jsonl").read_text().splitlines() if line.strip()]
    captions, kind_of = defaultdict(set), {}
    for r in rows:
        captions[r["category"]].add(r["caption"])
        kind_of[r["category"]] = r["kind"]
    rnd = random.Random(0)

    # Fidelity: per category, prompts drawn from that category's captions, fixed seeds.
    gen_correct, diversity, transparency = {}, [], []
    for ci, cat in enumerate(categories):
        prompts = [rnd.choice(sorted(captions[cat])) for _ in range(per_category)]
        seeds = list(range(1000 * ci, 1000 * ci + per_category))
        rgba = to_rgba8(generate(G, prompts, [KIND_INDEX[kind_of[cat]]] * per_category, seeds, 64), kind_of[cat] == "texture").numpy()
        pred = predict(clf, torch.from_numpy(rgba).permute(0, 3, 1, 2).contiguous())
        gen_correct[cat] = float((pred == ci).float().mean())
        if kind_of[cat] != "texture":
            transparency += [border_transparency(im) for im in rgba]
        same = to_rgba8(generate(G, [prompts[0]] * 4, [KIND_INDEX[kind_of[cat]]] * 4, seeds[:4], 64), False).numpy().astype(np.float32) / 255
        diversity.append(float(np.mean([np.abs(same[i] - same[j]).mean() for i in range(4) for j in range(i + 1, 4)])))

    # Tileability at several sizes.
    texture_cats = [c for c in categories if kind_of[c] == "texture"]
    seams = {}
    for size, n in SEAM_SEEDS.items():
        vals = []
        for ci, cat in enumerate(texture_cats):
            prompt = sorted(captions[cat])[0]
            rgba = to_rgba8(generate(G, [prompt] * n, [KIND_INDEX["texture"]] * n, list(range(7, 7 + n)), size), True).numpy()
            vals += [seam_ratio(im[..., :3]) for im in rgba]
        seams[str(size)] = round(float(np.mean(vals)), 4)

    gen_acc = float(np.mean(list(gen_correct.values())))
    summary = {
        "categories": len(categories),
        "real_held_out_accuracy": round(clf_meta["real_held_out_accuracy"], 4),
        "generated_accuracy": round(gen_acc, 4),
        "texture_seam_ratio": seams,
        "sprite_prop_transparent_border": round(float(np.mean(transparency)), 4) if transparency else None,
        "diversity_across_seeds": round(float(np.mean(diversity)), 4),
        "generated_per_category": per_category,
        "eval_seconds": round(time.time() - t0, 1),
    }
    report = {"summary": summary, "generated_per_category": {c: round(v, 3) for c, v in gen_correct.items()},
              "real_per_category": clf_meta.get("real_per_category", {})}
    (model_dir / "eval.json").write_text(json.dumps(report, indent=1) + "\n")
    sample_grid(G, [p for p, _ in README_PROMPTS], [KIND_INDEX[k] for _, k in README_PROMPTS], model_dir / "samples.png",
                prompts=[p for p, _ in README_PROMPTS])
    sample_grid(G, categories, [KIND_INDEX[kind_of[c]] for c in categories], model_dir / "samples_all_categories.png")
    write_model_card(model_dir, manifest, report, kind_of)
    manifest_d = json.loads((model_dir / "manifest.json").read_text())
    manifest_d["quality"] = summary
    (model_dir / "manifest.json").write_text(json.dumps(manifest_d, indent=2) + "\n")
    return report


def write_model_card(model_dir: Path, manifest, report: dict, kind_of: dict) -> None:
    s = report["summary"]
    data = manifest.data
    lines = [
        f"# {manifest.name} {manifest.version}",
        "",
        f"Text-conditioned single-step GAN ({manifest.config.name} config, channels {list(manifest.config.channels)}, "
        f"FiLM conditioning from all-MiniLM-L6-v2 embeddings). Kinds: "
        + ", ".join(f"{k} ({'x'.join(map(str, v.sizes[:1]))}..{v.sizes[-1]} px)" for k, v in manifest.kinds.items()) + ".",
        f"Trained on {data.get('train_images', '?')} images for {data.get('kimg', '?')}k images shown.",
        "",
        "![samples](samples.png)",
        "",
        "## Measured quality (`assetgen eval`)",
        "",
        "| metric | value | target |",
        "| --- | --- | --- |",
        f"| categories | {s['categories']} | >= 30 |",
        f"| classifier accuracy, held-out real images | {s['real_held_out_accuracy']:.3f} | >= 0.80 |",
        f"| classifier accuracy, generated images | {s['generated_accuracy']:.3f} | >= 0.50 |",
        *(f"| texture seam ratio at {k} px | {v:.3f} | <= 1.10 |" for k, v in s["texture_seam_ratio"].items()),
        f"| transparent border pixels, sprites and props | {s['sprite_prop_transparent_border']} | >= 0.95 |",
        f"| diversity across seeds (mean abs diff) | {s['diversity_across_seeds']:.3f} | > 0 |",
        "",
        "The classifier (plugin_service/training/classifier.py) is trained on real images only; sprites and props are",
        "held out by source file, so flips and rotations of one drawing never sit on both sides of the split.",
        f"Generated accuracy: {s['generated_per_category']} images per category, prompts drawn from the category's captions.",
        "Seam ratio: " + ", ".join(f"{n} seeds per texture category at {k} px" for k, n in SEAM_SEEDS.items()) + ".",
        "Transparent = alpha below 8/255 after post-processing (the service snaps such alpha to 0).",
        "",
        "## Per category (generated / real held-out accuracy)",
        "",
        "| category | kind | generated | real |",
        "| --- | --- | --- | --- |",
        *(f"| {c} | {kind_of.get(c, '?')} | {g:.2f} | {report['real_per_category'].get(c, float('nan')):.2f} |"
          for c, g in sorted(report["generated_per_category"].items())),
        "",
        "## Training recipe",
        "",
        "Hinge GAN; projection discriminator that also judges caption match (a real image with another category's",
        "caption counts as fake) and predicts the category (AC-GAN head); DiffAugment (colour, translation, cutout);",
        "category-balanced batches; EMA generator weights (what ships). Optional: a frozen category classifier",
        "trained first on the GAN's own training split ('guide'; a different network, seed and split from the",
        "judge above) whose loss G also minimises, and a mode-seeking term so seeds give different images.",
        "",
        "```json",
        json.dumps(data.get("train_config", {}), indent=1),
        "```",
        "",
        "## Data and license",
        "",
        f"License of the weights: {manifest.license}",
        "",
        "Sources (Debian packages, installed by `assetgen data build`):",
        "",
        *(f"- {src.get('package', '?')} {src.get('version', '')}: {src.get('images', '?')} images, license {src.get('license', '?')}"
          for src in (data.get("sources") if isinstance(data.get("sources"), list) else list((data.get("sources") or {}).values()))),
        "",
    ]
    (Path(model_dir) / "MODEL_CARD.md").write_text("\n".join(lines))
