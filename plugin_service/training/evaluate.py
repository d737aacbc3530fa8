"""`assetgen eval MODEL --data DIR`: measure a model as its users see it and write its model card.

Everything is measured in the feature space of a frozen ImageNet network that no part of training
touches (EfficientNet-Lite2, training/features.py; the projected discriminator uses Lite0), on
pooled final-layer features of images resized to FEATURE_SIZE px:

  judge        a logistic-regression probe on those features, trained only on the data set's
               held-out split (dataset.is_held_out: files the GAN never trains on); its own
               accuracy is measured on one image per source file of the training split
  accuracy     the judge's accuracy on generated images for three fixed prompt sets
               (eval_prompts.json): plain names, held-out phrasings, colour attributes
  attributes   share of attribute prompts whose visible hue has the asked colour name (colour.py)
  KID          kernel inception distance (Binkowski et al. 2018: unbiased MMD^2, cubic polynomial
               kernel) between a category's plain-name images and its real images; per category
               and the mean; n of both sets stated. Not FID: categories have tens of images.
  diversity    mean pairwise L2 feature distance among DIVERSITY_SEEDS seeds of one plain prompt,
               over the same among the category's real images (one per source file: no flipped,
               rotated or re-cropped copies); 1.0 = as varied as the real art
  structure    diversity again on grey-scale images with each image's brightness and contrast
               normalised (structure_image): seeds that differ only in brightness or tint score
               low here. 1.0 = as varied in shape and pattern as the real art
  seam ratio   textures: mean |pixel step| across the wrap seam / inside (1.0 = seamless)
  transparency sprites and props: share of border pixels with alpha < 8/255
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from plugin_service.data.images import seam_ratio  # one definition for data checks and the model card
from plugin_service.model.config import KIND_INDEX
from plugin_service.model.model_dir import load_generator
from plugin_service.service.postprocess import TRANSPARENT_BELOW, to_rgba8

from .captions import load_eval_prompts
from .colour import colour_name
from .dataset import is_held_out, load_image, read_index
from .features import EVAL_BACKBONE, load_efficientnet, pooled_features
from .model_card import write_model_card
from .samples import generate, sample_grid

SEAM_SEEDS = {64: 16, 256: 8, 512: 2}   # one image's seam is one row and column: more seeds at small sizes
DIVERSITY_SEEDS = 16
PHRASING_SEEDS = 8                      # seeds per held-out phrasing and per attribute prompt
FEATURE_SIZE = 128
HELD_OUT_SHARE = 0.1                    # the GAN's own split (dataset.load_training_set)
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
    p.add_argument("--seeds", type=int, default=DIVERSITY_SEEDS, help="seeds per plain prompt (>= 16 for the card)")
    p.add_argument("--compare", type=Path, default=None,
                   help="an eval.json of another model (e.g. the previous version) that the card shows beside this one")


def run(args: argparse.Namespace) -> int:
    report = evaluate(args.model, args.data, seeds=args.seeds, compare=args.compare)
    print(json.dumps(report["summary"], indent=1))
    return 0


# ---- measures -------------------------------------------------------------------------------
def border_transparency(rgba: np.ndarray) -> float:
    a = rgba[..., 3]
    border = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    return float((border < TRANSPARENT_BELOW).mean())


def kid(x: torch.Tensor, y: torch.Tensor) -> float:
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3 between feature sets x [n, d], y [m, d]
    (n, m >= 2): KID as Binkowski et al. 2018 define it, in one block."""
    x, y = x.double(), y.double()
    d = x.shape[1]
    kxx, kyy, kxy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
    n, m = len(x), len(y)
    return float((kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1)) + (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
                 - 2 * kxy.mean())


def mean_pairwise_distance(f: torch.Tensor) -> float:
    """Mean L2 distance over all pairs of rows of f [n, d], n >= 2."""
    d = torch.cdist(f.double(), f.double())
    n = len(f)
    return float(d.sum() / (n * (n - 1)))


class Judge:
    """Multinomial logistic regression on standardised features (full-batch L-BFGS, L2 penalty)."""

    def __init__(self, features: torch.Tensor, labels: torch.Tensor, num_classes: int, l2: float = 1e-3) -> None:
        self.mean, self.std = features.mean(0), features.std(0) + 1e-6
        x = (features - self.mean) / self.std
        self.linear = torch.nn.Linear(x.shape[1], num_classes)
        opt = torch.optim.LBFGS(self.linear.parameters(), max_iter=200, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = F.cross_entropy(self.linear(x), labels) + l2 * self.linear.weight.pow(2).sum()
            loss.backward()
            return loss

        opt.step(closure)

    @torch.no_grad()
    def predict(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear((features - self.mean) / self.std).argmax(1)


# ---- real images ------------------------------------------------------------------------------
STRUCTURE_MEAN, STRUCTURE_STD = 128.0, 48.0   # grey level and contrast every structure image is brought to


def structure_image(rgba: np.ndarray) -> np.ndarray:
    """[N, H, W, 4] uint8 -> the same, grey (Rec. 601 luma) with each image's visible pixels
    standardised to STRUCTURE_MEAN +- STRUCTURE_STD; alpha kept. What is left is shape and pattern."""
    rgb = rgba[..., :3].astype(np.float32)
    grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    visible = rgba[..., 3] >= TRANSPARENT_BELOW
    out = np.empty_like(grey)
    for i in range(len(grey)):
        g = grey[i][visible[i]] if visible[i].any() else grey[i].ravel()
        out[i] = (grey[i] - g.mean()) / max(float(g.std()), 1.0) * STRUCTURE_STD + STRUCTURE_MEAN
    grey8 = np.clip(out, 0, 255).round().astype(np.uint8)
    return np.concatenate((np.repeat(grey8[..., None], 3, -1), rgba[..., 3:]), -1)


def _real_features(data_dir: Path, rows: list[dict], net, log, transform=None) -> torch.Tensor:
    """Features of `rows`' images (after `transform`, e.g. structure_image), cached in
    DATA/eval_features.safetensors (keyed by the rows, the transform and the backbone)."""
    name = transform.__name__ if transform is not None else ""
    key = hashlib.sha1((EVAL_BACKBONE + str(FEATURE_SIZE) + name + "".join(r["path"] for r in rows)).encode()).hexdigest()
    cache = Path(data_dir) / "eval_features.safetensors"
    stored = load_file(str(cache)) if cache.exists() else {}
    if key in stored:
        return stored[key]
    t0 = time.time()
    feats = []
    for i in range(0, len(rows), 256):
        imgs = np.stack([load_image(Path(data_dir) / r["path"], 64) for r in rows[i: i + 256]])
        if transform is not None:
            imgs = transform(imgs)
        feats.append(pooled_features(net, torch.from_numpy(imgs).permute(0, 3, 1, 2), FEATURE_SIZE))
    out = torch.cat(feats).float()
    stored[key] = out.contiguous()
    save_file(stored, str(cache))
    log(f"eval: features of {len(rows)} real images in {time.time() - t0:.0f}s -> {cache}")
    return out


def _first_per_source(rows: list[dict]) -> list[int]:
    """Index of the first row of each source file (the unaugmented rendering comes first)."""
    seen, out = set(), []
    for i, r in enumerate(rows):
        k = (r["source"], r.get("origin", r["path"]))
        if k not in seen:
            seen.add(k)
            out.append(i)
    return out


# ---- the evaluation -----------------------------------------------------------------------------
def evaluate(model_dir: Path, data_dir: Path, seeds: int = DIVERSITY_SEEDS, compare: Path | None = None,
             log=print, backbone=None, write_card: bool = True) -> dict:
    """Measures `model_dir` against `data_dir`; writes eval.json, samples and MODEL_CARD.md there.

    backbone: an already loaded feature network (tests pass a small one); default EfficientNet-Lite2."""
    t0 = time.time()
    model_dir, data_dir = Path(model_dir), Path(data_dir)
    manifest, G = load_generator(model_dir)
    G = G.to(memory_format=torch.channels_last)
    net = backbone if backbone is not None else load_efficientnet(EVAL_BACKBONE)
    rows = read_index(data_dir)
    categories = sorted({r["category"] for r in rows})
    cat_index = {c: i for i, c in enumerate(categories)}
    kind_of = {r["category"]: r["kind"] for r in rows}
    labels = torch.tensor([cat_index[r["category"]] for r in rows])
    real = _real_features(data_dir, rows, net, log)
    held = torch.tensor([is_held_out(r["path"], HELD_OUT_SHARE) for r in rows])
    firsts = torch.tensor(_first_per_source(rows))
    real_structure = dict(zip(firsts.tolist(), _real_features(data_dir, [rows[i] for i in firsts.tolist()], net, log,
                                                              structure_image)))
    judge = Judge(real[held], labels[held], len(categories))
    probe = firsts[~held[firsts]]                      # one per source file, training split
    judge_real_acc = float((judge.predict(real[probe]) == labels[probe]).float().mean())
    judge_real_per_cat = {c: float((judge.predict(real[probe][labels[probe] == i]) == i).float().mean())
                          for i, c in enumerate(categories) if (labels[probe] == i).any()}
    # Categories the prompt sets do not know (a studio's own data) get their name as the plain
    # prompt and no held-out phrasings.
    fixed = load_eval_prompts()
    prompts = {"plain": {c: fixed["plain"].get(c, c.replace("_", " ")) for c in categories},
               "held_out": {c: fixed["held_out"].get(c, []) for c in categories},
               "attributes": [a for a in fixed["attributes"] if a[1] in cat_index]}

    def features_of(rgba: np.ndarray) -> torch.Tensor:
        return pooled_features(net, torch.from_numpy(rgba).permute(0, 3, 1, 2).contiguous(), FEATURE_SIZE)

    def make(prompt_list: list[str], kind: str, seed_list: list[int], size: int = 64) -> np.ndarray:
        return to_rgba8(generate(G, prompt_list, [KIND_INDEX[kind]] * len(prompt_list), seed_list, size), kind == "texture").numpy()

    per_cat: dict[str, dict] = {}
    transparency = []
    for ci, cat in enumerate(categories):
        kind = kind_of[cat]
        plain = make([prompts["plain"][cat]] * seeds, kind, list(range(seeds)))
        f_plain = features_of(plain)
        phrasings = prompts["held_out"][cat]
        held_imgs = make([p for p in phrasings for _ in range(PHRASING_SEEDS)], kind,
                         [100 + s for _ in phrasings for s in range(PHRASING_SEEDS)]) if phrasings else plain[:0]
        f_held = features_of(held_imgs) if phrasings else None
        real_cat = real[labels == ci]
        real_src = real[firsts[labels[firsts] == ci]]
        entry = {
            "kind": kind,
            "plain_accuracy": float((judge.predict(f_plain) == ci).float().mean()),
            **({"held_out_accuracy": float((judge.predict(f_held) == ci).float().mean())} if phrasings else {}),
            "kid": kid(f_plain, real_cat), "kid_n": [len(f_plain), len(real_cat)],
            "real_sources": len(real_src),
        }
        real_spread = mean_pairwise_distance(real_src) if len(real_src) >= 2 else 0.0
        if real_spread > 0:                            # undefined for one source file (or identical ones)
            entry["diversity"] = mean_pairwise_distance(f_plain) / real_spread
            real_shapes = torch.stack([real_structure[i] for i in firsts[labels[firsts] == ci].tolist()])
            shape_spread = mean_pairwise_distance(real_shapes)
            if shape_spread > 0:
                entry["structure_diversity"] = mean_pairwise_distance(features_of(structure_image(plain))) / shape_spread
        if kind != "texture":
            transparency += [border_transparency(im) for im in np.concatenate((plain, held_imgs))]
        per_cat[cat] = entry

    attr = []
    for prompt, cat, colour in prompts["attributes"]:
        imgs = make([prompt] * PHRASING_SEEDS, kind_of[cat], list(range(200, 200 + PHRASING_SEEDS)))
        names = [colour_name(im) for im in imgs]
        pred = judge.predict(features_of(imgs))
        attr.append({"prompt": prompt, "colour": colour, "hue_match": float(np.mean([n == colour for n in names])),
                     "accuracy": float((pred == cat_index[cat]).float().mean())})

    seams = {}
    for size, n in SEAM_SEEDS.items():
        vals = []
        for cat in (c for c in categories if kind_of[c] == "texture"):
            rgba = make([prompts["plain"][cat]] * n, "texture", list(range(7, 7 + n)), size)
            vals += [seam_ratio(im[..., :3]) for im in rgba]
        seams[str(size)] = round(float(np.mean(vals)), 4)

    def mean_of(key: str, kinds: tuple[str, ...]) -> float | None:
        vals = [e[key] for e in per_cat.values() if e["kind"] in kinds and key in e]
        return round(float(np.mean(vals)), 4) if vals else None

    objects = ("sprite", "prop")
    summary = {
        "categories": len(categories),
        "judge": f"logistic regression on {EVAL_BACKBONE} features at {FEATURE_SIZE} px, trained on {int(held.sum())} held-out images",
        "judge_real_accuracy": round(judge_real_acc, 4),
        "judge_real_images": int(len(probe)),
        "plain_accuracy_sprites_props": mean_of("plain_accuracy", objects),
        "held_out_accuracy_sprites_props": mean_of("held_out_accuracy", objects),
        "plain_accuracy_textures": mean_of("plain_accuracy", ("texture",)),
        "held_out_accuracy_textures": mean_of("held_out_accuracy", ("texture",)),
        "attribute_hue_match": round(float(np.mean([a["hue_match"] for a in attr])), 4) if attr else None,
        "attribute_accuracy": round(float(np.mean([a["accuracy"] for a in attr])), 4) if attr else None,
        "kid_mean": mean_of("kid", ("sprite", "prop", "texture")),
        "kid_sprites": mean_of("kid", ("sprite",)), "kid_props": mean_of("kid", ("prop",)), "kid_textures": mean_of("kid", ("texture",)),
        "diversity_sprites": mean_of("diversity", ("sprite",)), "diversity_props": mean_of("diversity", ("prop",)),
        "diversity_textures": mean_of("diversity", ("texture",)),
        "structure_diversity_sprites_props": mean_of("structure_diversity", objects),
        "structure_diversity_textures": mean_of("structure_diversity", ("texture",)),
        "texture_seam_ratio": seams,
        "sprite_prop_transparent_border": round(float(np.mean(transparency)), 4) if transparency else None,
        "seeds": seeds,
        "eval_seconds": round(time.time() - t0, 1),
    }
    report = {"model": f"{manifest.name} {manifest.version}", "summary": summary, "per_category": {c: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in e.items()}
                                                   for c, e in per_cat.items()},
              "judge_real_per_category": {c: round(v, 3) for c, v in judge_real_per_cat.items()}, "attributes": attr}
    if write_card:
        (model_dir / "eval.json").write_text(json.dumps(report, indent=1) + "\n")
        sample_grid(G, [p for p, _ in README_PROMPTS], [KIND_INDEX[k] for _, k in README_PROMPTS], model_dir / "samples.png",
                    prompts=[p for p, _ in README_PROMPTS])
        sample_grid(G, categories, [KIND_INDEX[kind_of[c]] for c in categories], model_dir / "samples_all_categories.png",
                    prompts=[prompts["plain"][c] for c in categories])
        before = json.loads(Path(compare).read_text()) if compare else None
        write_model_card(model_dir, manifest, report, before)
        manifest_d = json.loads((model_dir / "manifest.json").read_text())
        manifest_d["quality"] = summary
        (model_dir / "manifest.json").write_text(json.dumps(manifest_d, indent=2) + "\n")
    return report
