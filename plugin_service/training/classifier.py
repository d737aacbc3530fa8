"""The fidelity judge: a small CNN trained on real images of the training categories.

It is trained on real images only, on a split held out by source file (a sprite's flips and
rotations never sit on both sides), and never sees generated images or the GAN's discriminator.
Its accuracy on held-out real images says how separable the categories are; its accuracy on
generated images says whether the generator makes what was asked for.
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from .dataset import load_image, read_index, to_float


def premultiplied(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] RGBA -> colour premultiplied by alpha: hidden colour under alpha 0 is invisible."""
    a = (x[:, 3:] + 1) / 2
    return torch.cat(((x[:, :3] + 1) * a - 1, x[:, 3:]), dim=1)


GUIDE_CHANNELS = (24, 48, 96, 192)  # the training guide differs from the judge in width and seed


def guide_held_out(row: dict, share: float) -> bool:
    """The GAN's own split (dataset.is_held_out): a guide sees only the GAN's training images."""
    from .dataset import is_held_out

    return is_held_out(row["path"], share)


class Classifier(nn.Module):
    def __init__(self, num_categories: int, channels: tuple[int, ...] = (32, 64, 128, 256)) -> None:
        super().__init__()
        # Strided stem: full-resolution 3x3 convs would cost most of the compute for little accuracy.
        layers, cin = [nn.Conv2d(4, channels[0], 4, stride=2, padding=1), nn.BatchNorm2d(channels[0]), nn.ReLU()], channels[0]
        for c in channels:
            layers += [nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1, stride=2), nn.BatchNorm2d(c), nn.ReLU()]
            cin = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin, num_categories)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: [B, 4, 64, 64] RGBA in [-1, 1] -> logits [B, C]
        return self.head(self.features(premultiplied(x)).mean(dim=(2, 3)))


def group_held_out(row: dict, share: float) -> bool:
    """Held out by source file for sprites and props (their augmentations stay together); by
    image for textures, whose crops of one tile are different views of the same material."""
    key = row["path"] if row["kind"] == "texture" else f"{row['source']}:{row.get('origin', row['path'])}"
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def load_split(data_dir: Path, share: float = 0.15, size: int = 64, held_out=group_held_out):
    rows = read_index(data_dir)
    categories = sorted({r["category"] for r in rows})
    idx = {c: i for i, c in enumerate(categories)}
    out = {}
    for held in (False, True):
        rs = [r for r in rows if held_out(r, share) == held]
        imgs = torch.from_numpy(np.stack([load_image(Path(data_dir) / r["path"], size) for r in rs])).permute(0, 3, 1, 2).contiguous()
        out[held] = (imgs, torch.tensor([idx[r["category"]] for r in rs]), rs)
    return categories, out[False], out[True]


def _augment(x: torch.Tensor) -> torch.Tensor:
    flip = torch.rand(x.shape[0]) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    dy, dx = (int(v) for v in torch.randint(-6, 7, (2,)))
    return x.roll((dy, dx), dims=(2, 3))


def train_classifier(data_dir: Path, epochs: int = 8, batch: int = 64, seed: int = 0, log=print,
                     channels: tuple[int, ...] = (32, 64, 128, 256), held_out=group_held_out, share: float = 0.15):
    torch.manual_seed(seed)
    categories, (xtr, ytr, _), (xte, yte, rte) = load_split(data_dir, share=share, held_out=held_out)
    model = Classifier(len(categories), channels).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = max(1, epochs * (len(xtr) // batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    # Balanced sampling: small categories count as much as large ones.
    weights = 1.0 / torch.bincount(ytr, minlength=len(categories)).float()[ytr]
    t0 = time.time()
    model.train()
    for step in range(steps):
        i = torch.multinomial(weights, batch, replacement=True)
        logits = model(_augment(to_float(xtr[i])))
        loss = F.cross_entropy(logits, ytr[i], label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0:
            log(f"classifier step {step}/{steps} loss {loss.item():.3f} ({time.time() - t0:.0f}s)")
    model.eval()
    pred = predict(model, xte)
    return model, categories, pred, yte, rte


@torch.inference_mode()
def predict(model: Classifier, images_uint8: torch.Tensor, batch: int = 256) -> torch.Tensor:
    out = [model(to_float(images_uint8[i:i + batch])).argmax(1) for i in range(0, len(images_uint8), batch)]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


def save_classifier(path: Path, model: Classifier, categories: list[str], info: dict) -> None:
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    channels = [m.out_channels for m in model.features if isinstance(m, nn.Conv2d)][1::2]
    Path(path).with_suffix(".json").write_text(json.dumps({"categories": categories, "channels": channels, **info}, indent=1))


def load_classifier(path: Path) -> tuple[Classifier, list[str], dict]:
    meta = json.loads(Path(path).with_suffix(".json").read_text())
    model = Classifier(len(meta["categories"]), tuple(meta.get("channels", (32, 64, 128, 256))))
    model.load_state_dict(load_file(str(path)))
    return model.eval().to(memory_format=torch.channels_last), meta["categories"], meta
