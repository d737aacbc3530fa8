"""MODEL_CARD.md from an evaluation report (evaluate.py): targets, before/after, per category,
recipe, data and licences. The card's prose about training history lives in the manifest's
`extra.history` (a list of lines), so a re-evaluation keeps it."""
from __future__ import annotations

import json
from pathlib import Path

# (summary key, label, target as text, passes(value) or None). Targets: the generator v2 goals.
TARGETS: list[tuple[str, str, str, object]] = [
    ("plain_accuracy_sprites_props", "judge accuracy, plain names (sprites + props)", ">= 0.80", lambda v: v >= 0.8),
    ("held_out_accuracy_sprites_props", "judge accuracy, held-out phrasings (sprites + props)", ">= 0.60", lambda v: v >= 0.6),
    ("plain_accuracy_textures", "judge accuracy, plain names (textures)", "", None),
    ("held_out_accuracy_textures", "judge accuracy, held-out phrasings (textures)", "", None),
    ("attribute_hue_match", "colour word matches the visible hue", ">= 0.70", lambda v: v >= 0.7),
    ("attribute_accuracy", "judge accuracy, attribute prompts", "", None),
    ("kid_mean", "KID, mean over categories", "<= half of 0.4.0's", None),
    ("kid_sprites", "KID, sprites", "", None),
    ("kid_props", "KID, props", "", None),
    ("kid_textures", "KID, textures", "", None),
    ("diversity_sprites", "seed diversity / real, sprites", ">= 0.80", lambda v: v >= 0.8),
    ("diversity_props", "seed diversity / real, props", ">= 0.80", lambda v: v >= 0.8),
    ("diversity_textures", "seed diversity / real, textures", ">= 0.80", lambda v: v >= 0.8),
    ("structure_diversity_sprites_props", "seed diversity / real in grey-scale structure, sprites + props", "", None),
    ("structure_diversity_textures", "seed diversity / real in grey-scale structure, textures", "", None),
    ("sprite_prop_transparent_border", "transparent border pixels, sprites and props", ">= 0.98", lambda v: v >= 0.98),
]


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 0.01 else f"{v:.3f}"
    return str(v)


def summary_rows(s: dict, before: dict | None) -> list[str]:
    b = (before or {}).get("summary", {})
    rows = []
    for key, label, target, passes in TARGETS:
        v = s.get(key)
        if key == "kid_mean" and b.get(key):
            ok = v is not None and v <= b[key] / 2
        else:
            ok = passes(v) if (passes and v is not None) else None
        mark = "" if ok is None else (" (met)" if ok else " (missed)")
        rows.append(f"| {label} | {_fmt(b.get(key)) if before else ''} | {_fmt(v)}{mark} | {target} |")
    for size, v in s["texture_seam_ratio"].items():
        old = b.get("texture_seam_ratio", {}).get(size) if before else None
        rows.append(f"| texture seam ratio at {size} px | {_fmt(old) if before else ''} | {_fmt(v)}{' (met)' if v <= 1.05 else ' (missed)'} | <= 1.05 |")
    return rows


def _provenance(data: dict, extra: dict) -> str:
    """One sentence: how the weights came to be (trained, fine-tuned, or averaged by `assetgen average`)."""
    base = extra.get("derived_from")
    if extra.get("averaged_with"):
        avg = extra["averaged_with"]
        return (f"The weight average (1 - {avg['alpha']:g}) x {base['name']} {base['version']} + {avg['alpha']:g} x {avg['name']} "
                f"{avg['version']}, a fine-tune of it that saw {data.get('kimg', '?')}k images of {data.get('train_images', '?')} "
                "(`assetgen average`; its licence terms apply, below).")
    return (f"Trained on {data.get('train_images', '?')} images for {data.get('kimg', '?')}k images shown"
            + (f", fine-tuned from {base['name']} {base['version']} (its licence terms apply, below)." if base else "."))


def write_model_card(model_dir: Path, manifest, report: dict, before: dict | None = None) -> Path:
    s, per = report["summary"], report["per_category"]
    data, extra = manifest.data, manifest.extra or {}
    prev = (before or {}).get("model", "previous")
    lines = [
        f"# {manifest.name} {manifest.version}",
        "",
        f"Text-conditioned single-step GAN (generator version {manifest.config.version}, {manifest.config.name} config, channels "
        f"{list(manifest.config.channels)}, FiLM conditioning from all-MiniLM-L6-v2 embeddings"
        + (", a mapping network from the seed's global latent" if manifest.config.version >= 2 else "") + "). Kinds: "
        + ", ".join(f"{k} ({v.sizes[0]}..{v.sizes[-1]} px)" for k, v in manifest.kinds.items()) + ".",
        _provenance(data, extra),
        "",
        "![samples](samples.png)",
        "",
        "## Measured quality (`assetgen eval`)",
        "",
        f"Judge: {s['judge']}; its accuracy on {s['judge_real_images']} real images of the training split (one per source file): "
        f"{s['judge_real_accuracy']:.3f}. Prompts: plugin_service/training/eval_prompts.json, {s['seeds']} seeds per plain name, "
        "8 per held-out phrasing and per attribute prompt.",
        "",
        f"| metric | {prev if before else ''} | {manifest.version} | target |",
        "| --- | --- | --- | --- |",
        *summary_rows(s, before),
        "",
        "KID: per category, plain-name images (n = seeds) against all of the category's real images; diversity: "
        "mean pairwise feature distance among the seeds of one plain prompt over the same among real images, one "
        "per source file (categories with at least two source files).",
        "",
        "## Per category",
        "",
        "| category | kind | plain acc | held-out acc | KID (n gen / real) | diversity | real sources |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(f"| {c} | {e['kind']} | {e['plain_accuracy']:.2f} | {_fmt(e.get('held_out_accuracy'))} | {e['kid']:.4f} ({e['kid_n'][0]} / "
          f"{e['kid_n'][1]}) | {_fmt(e.get('diversity'))} | {e['real_sources']} |" for c, e in sorted(per.items())),
        "",
        "## Attribute prompts",
        "",
        "| prompt | hue match | judge accuracy |",
        "| --- | --- | --- |",
        *(f"| {a['prompt']} | {a['hue_match']:.2f} | {a['accuracy']:.2f} |" for a in report["attributes"]),
        "",
    ]
    if extra.get("history"):
        lines += ["## Training history", "", *extra["history"], ""]
    lines += [
        "## Training recipe",
        "",
        "```json",
        json.dumps(data.get("train_config", {}), indent=1),
        "```",
        "",
        "## Data and licence",
        "",
        f"Licence of the weights: {manifest.license}",
        "",
        "Sources (Debian packages, installed by `assetgen data build`):",
        "",
        *(f"- {src.get('package', '?')} {src.get('version', '')}: {src.get('images', '?')} images, licence {src.get('license', '?')}"
          for src in (data.get("sources") if isinstance(data.get("sources"), list) else list((data.get("sources") or {}).values()))),
        "",
    ]
    path = Path(model_dir) / "MODEL_CARD.md"
    path.write_text("\n".join(lines))
    return path
