"""The training set in memory: every image as one uint8 tensor, captions embedded once.

Reads the folder `assetgen data build` writes (index.jsonl + images/<kind>/<category>/*.png).
At 64 px, 10k RGBA images are 160 MB: holding them all beats any loader on 2 cores.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from plugin_service.model.config import KIND_INDEX


@dataclass
class Split:
    images: torch.Tensor        # [N, 4, S, S] uint8 RGBA (textures: alpha 255)
    kinds: torch.Tensor         # [N] int64 kind index
    categories: torch.Tensor    # [N] int64 category index
    caption_ids: torch.Tensor   # [N] int64 index into TrainingSet.captions


@dataclass
class TrainingSet:
    train: Split
    held_out: Split
    category_names: list[str]
    category_kinds: list[int]   # kind index of each category
    captions: list[str]

    @property
    def num_categories(self) -> int:
        return len(self.category_names)


def read_index(data_dir: Path) -> list[dict]:
    index = Path(data_dir) / "index.jsonl"
    if not index.exists():
        raise FileNotFoundError(f"{data_dir} has no index.jsonl: build it with `assetgen data build --out {data_dir}`")
    rows = [json.loads(line) for line in index.read_text().splitlines() if line.strip()]
    if not rows:
        raise ValueError(f"{index} is empty")
    return rows


def is_held_out(path: str, share: float) -> bool:
    """Stable split by path hash, the same for training and evaluation."""
    h = int(hashlib.sha1(path.encode()).hexdigest()[:8], 16)
    return h / 0xFFFFFFFF < share


def load_image(path: Path, size: int) -> np.ndarray:
    im = Image.open(path).convert("RGBA")
    if im.size != (size, size):
        im = im.resize((size, size), Image.LANCZOS)
    return np.asarray(im, dtype=np.uint8)


def load_training_set(data_dir: Path, size: int = 64, held_out_share: float = 0.1) -> TrainingSet:
    data_dir = Path(data_dir)
    rows = read_index(data_dir)
    category_names = sorted({r["category"] for r in rows})
    cat_index = {c: i for i, c in enumerate(category_names)}
    category_kinds = [0] * len(category_names)
    captions = sorted({r["caption"] for r in rows})
    cap_index = {c: i for i, c in enumerate(captions)}
    parts: dict[bool, list] = {False: [], True: []}
    for r in rows:
        if r["kind"] not in KIND_INDEX:
            raise ValueError(f"{data_dir}/index.jsonl: unknown kind {r['kind']!r} for {r['path']}")
        category_kinds[cat_index[r["category"]]] = KIND_INDEX[r["kind"]]
        parts[is_held_out(r["path"], held_out_share)].append(r)

    def make(rs: list[dict]) -> Split:
        imgs = np.stack([load_image(data_dir / r["path"], size) for r in rs]) if rs else np.zeros((0, size, size, 4), np.uint8)
        return Split(
            images=torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous(),
            kinds=torch.tensor([KIND_INDEX[r["kind"]] for r in rs], dtype=torch.long),
            categories=torch.tensor([cat_index[r["category"]] for r in rs], dtype=torch.long),
            caption_ids=torch.tensor([cap_index[r["caption"]] for r in rs], dtype=torch.long),
        )

    return TrainingSet(make(parts[False]), make(parts[True]), category_names, category_kinds, captions)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 [B, 4, H, W] -> float [-1, 1], channels_last (fast convolutions on the CPU)."""
    return (images.float() / 127.5 - 1).contiguous(memory_format=torch.channels_last)


class BalancedSampler:
    """Batches balanced by category: coarse categories of very different sizes all get learned."""

    def __init__(self, split: Split, num_categories: int, rng: np.random.Generator) -> None:
        self.split = split
        self.rng = rng  # the trainer's generator, so its checkpointed state covers sampling too
        cats = split.categories.numpy()
        self.members = [np.flatnonzero(cats == c) for c in range(num_categories)]
        self.present = np.array([c for c in range(num_categories) if len(self.members[c])])

    def sample(self, batch: int) -> np.ndarray:
        cats = self.rng.choice(self.present, size=batch)
        return np.array([self.members[c][self.rng.integers(len(self.members[c]))] for c in cats])


def augment_real(images: torch.Tensor, kinds: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Label-preserving data augmentation of real uint8 images: flips for all, and wrap-around
    shifts for textures (they are tileable, so any roll is another valid texture)."""
    out = images.clone()
    flip = torch.from_numpy(rng.random(len(out)) < 0.5)
    out[flip] = out[flip].flip(3)
    for i in torch.nonzero(kinds == KIND_INDEX["texture"]).flatten().tolist():
        dy, dx = (int(v) for v in rng.integers(0, out.shape[2], size=2))
        out[i] = out[i].roll((dy, dx), dims=(1, 2))
    return out
