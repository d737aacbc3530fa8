"""Precision modes for the generator: fp32, bf16, int8 and fp8 weight-only, and the quality gate.

Handlers follow gpt-fast's two verbs: `quantized_state_dict(model)` makes the quantized weights
(offline-able), `convert(model)` swaps Conv2d/Linear for modules that hold those weights and
dequantize them inside forward. Dequantizing inside forward keeps the swap capture-friendly: the
CUDA graph records the dequant kernels with the convolutions.

What each mode is, honestly:
- bf16: weights and activations bf16 (tensor cores on CUDA; AVX512_BF16/AMX on CPUs that have it).
- int8 / fp8: weight-only, per-output-channel symmetric scales, compute in bf16 on CUDA (fp32 on
  the CPU). They save weight memory and bandwidth, not convolution FLOPs: PyTorch has no eager
  int8/fp8 convolution kernels, and this generator is conv-bound, so they are not expected to beat
  bf16 here. They exist so the bench can measure that instead of assuming it.

Every mode is accepted only with its measured PSNR against the fp32 reference on a fixed seed
set (`MIN_PSNR_DB`); `resolve_precision` never defaults to a mode below it.

CPU measurements behind the `auto` choice (tiny config, 64 px sprite, 1 thread, AMD EPYC with
AVX512_BF16, 2 cores shared with a training job using ~1.6 of them, 2026-11-29, best of 5):
  batch 1:  fp32 NCHW 7.0 ms, fp32 channels_last 6.2 ms, bf16 channels_last 4.8 ms,
            torch.compile fp32 channels_last 9.7 ms (after a 50 s compile)
  batch 16: fp32 NCHW 101 ms, fp32 channels_last 76 ms, bf16 channels_last 44 ms
  (a second, more contended run: 230 / 270 / 119 ms; 2 threads were 2-6x slower than 1 here).
  int8 weight-only on the CPU dequantizes to fp32 and then runs the same fp32 convolution, so
  it is never faster (see `assetgen bench` for its numbers); real int8 convolutions need static
  activation quantization (PT2E + x86 inductor), not done. So on the CPU: bf16 channels_last
  when the CPU has native bf16 (avx512_bf16 / amx_bf16), else fp32 channels_last; compile is off.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..vocabulary import PRECISIONS
MIN_PSNR_DB = 35.0  # below this a mode changes what players see; it may be asked for, never defaulted


@dataclass(frozen=True)
class PrecisionPlan:
    """How one precision runs on one device."""
    name: str                   # fp32, bf16, int8, fp8
    dtype: torch.dtype          # activation/compute dtype (the noise and text buffers use it)
    weight_format: str | None   # None = plain weights in `dtype`; "int8" / "fp8" = weight-only


def plan_for(name: str, device: torch.device) -> PrecisionPlan:
    if name not in PRECISIONS or name == "auto":
        raise ValueError(f"precision {name!r} is not one of {', '.join(p for p in PRECISIONS if p != 'auto')}")
    if name == "fp8" and not fp8_supported(device):
        raise ValueError("precision fp8 needs a CUDA GPU with compute capability 8.9+ (Ada, Hopper); "
                         "use bf16 or int8 on this device")
    # Weight-only modes compute in bf16 on CUDA; on the CPU in fp32 (bf16 dequant there only adds work).
    low = torch.bfloat16 if device.type == "cuda" else torch.float32
    return {
        "fp32": PrecisionPlan("fp32", torch.float32, None),
        "bf16": PrecisionPlan("bf16", torch.bfloat16, None),
        "int8": PrecisionPlan("int8", low, "int8"),
        "fp8": PrecisionPlan("fp8", low, "fp8"),
    }[name]


def fp8_supported(device: torch.device) -> bool:
    return device.type == "cuda" and torch.cuda.get_device_capability(device) >= (8, 9)


def cpu_has_native_bf16() -> bool:
    """avx512_bf16 or amx_bf16 in /proc/cpuinfo: without them bf16 is emulated and slower than fp32."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def auto_candidates(device: torch.device) -> list[str]:
    """Preferred order for `auto`; the runner takes the first that passes MIN_PSNR_DB.
    CUDA: bf16 first (tensor cores; weight-only int8/fp8 add dequant work to a conv-bound model);
    scripts/gpu_check.sh measures all of them so this order can be revisited with numbers."""
    if device.type == "cuda":
        return ["bf16", "fp32"]
    return ["bf16", "fp32"] if cpu_has_native_bf16() else ["fp32"]


# ---- weight-only quantization -------------------------------------------------------------------

_QMAX = {"int8": 127.0, "fp8": 448.0}  # 448 = largest finite float8_e4m3fn


def quantize_weight(weight: torch.Tensor, fmt: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-output-channel symmetric: weight [Cout, ...] -> (q [Cout, ...] int8/fp8, scale [Cout, 1, ...] fp32)."""
    w = weight.detach().float()
    amax = w.abs().flatten(1).amax(dim=1).clamp(min=1e-12)           # [Cout]
    scale = (amax / _QMAX[fmt]).view(-1, *([1] * (w.dim() - 1)))     # [Cout, 1, 1, 1] or [Cout, 1]
    if fmt == "int8":
        q = (w / scale).round().clamp(-127, 127).to(torch.int8)
    elif fmt == "fp8":
        q = (w / scale).to(torch.float8_e4m3fn)
    else:
        raise ValueError(f"unknown weight format {fmt!r}")
    return q, scale


class WeightOnlyLinear(nn.Module):
    def __init__(self, q: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        self.register_buffer("q", q)
        self.register_buffer("scale", scale)
        self.register_buffer("bias", bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.q.to(x.dtype) * self.scale.to(x.dtype)                  # [out, in]
        return F.linear(x, w, None if self.bias is None else self.bias.to(x.dtype))


class WeightOnlyConv2d(nn.Module):
    """Conv2d with quantized weights; keeps the original's padding mode (circular = seamless)."""

    def __init__(self, conv: nn.Conv2d, q: torch.Tensor, scale: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("q", q)
        self.register_buffer("scale", scale)
        self.register_buffer("bias", None if conv.bias is None else conv.bias.detach().clone())
        self.stride, self.dilation, self.groups = conv.stride, conv.dilation, conv.groups
        self.padding, self.padding_mode = conv.padding, conv.padding_mode
        self._pad = conv._reversed_padding_repeated_twice

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.q.to(x.dtype) * self.scale.to(x.dtype)                  # [Cout, Cin, k, k]
        bias = None if self.bias is None else self.bias.to(x.dtype)
        if self.padding_mode != "zeros":
            x = F.pad(x, self._pad, mode=self.padding_mode)
            return F.conv2d(x, w, bias, self.stride, 0, self.dilation, self.groups)
        return F.conv2d(x, w, bias, self.stride, self.padding, self.dilation, self.groups)


class WeightOnlyHandler:
    """gpt-fast style: quantized_state_dict (offline) + convert (module swap for runtime)."""

    def __init__(self, fmt: str) -> None:
        if fmt not in _QMAX:
            raise ValueError(f"unknown weight format {fmt!r}; choose int8 or fp8")
        self.fmt = fmt

    def quantized_state_dict(self, model: nn.Module) -> dict[str, torch.Tensor]:
        state = {}
        for name, module in model.named_modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                q, scale = quantize_weight(module.weight, self.fmt)
                state[f"{name}.q"], state[f"{name}.scale"] = q, scale
                if module.bias is not None:
                    state[f"{name}.bias"] = module.bias.detach().clone()
        return state

    def convert(self, model: nn.Module) -> nn.Module:
        """Swap every Conv2d/Linear in place for its weight-only twin; returns `model`."""
        state = self.quantized_state_dict(model)
        for name, module in list(model.named_modules()):
            for child_name, child in list(module.named_children()):
                full = f"{name}.{child_name}" if name else child_name
                if isinstance(child, nn.Conv2d):
                    setattr(module, child_name, WeightOnlyConv2d(child, state[f"{full}.q"], state[f"{full}.scale"]))
                elif isinstance(child, nn.Linear):
                    bias = state.get(f"{full}.bias")
                    setattr(module, child_name, WeightOnlyLinear(state[f"{full}.q"], state[f"{full}.scale"], bias))
        return model


def prepare_generator(generator: nn.Module, plan: PrecisionPlan, device: torch.device) -> nn.Module:
    """fp32 generator -> the module that runs `plan` on `device` (a converted deep copy for
    weight-only modes). channels_last everywhere: on the CPU it is 1.2-8.6x faster than NCHW
    (runner.py), on CUDA it is what cuDNN's tensor-core convolutions want."""
    import copy

    module = copy.deepcopy(generator).eval()
    if plan.weight_format is not None:
        WeightOnlyHandler(plan.weight_format).convert(module)
        # Embedding and non-quantized params follow the compute dtype; q stays int8/fp8.
        for name, p in list(module.named_parameters()):
            p.data = p.data.to(plan.dtype)
        return module.to(device, memory_format=torch.channels_last)
    return module.to(device, dtype=plan.dtype, memory_format=torch.channels_last)


def use_exact_fp32() -> None:
    """fp32 means fp32: no TF32 in CUDA matmuls and convolutions, process-wide. cuDNN's default
    rounds fp32 convolution inputs to TF32 (10 mantissa bits), so the fp32 reference, the 35 dB
    gate, fp32 serving and the material maps would all be measured against TF32. The one place
    these settings are made, through torch's fp32_precision API (mixing it with the legacy
    allow_tf32 flags raises). A no-op for CPU kernels."""
    torch.backends.fp32_precision = "ieee"


# ---- quality --------------------------------------------------------------------------------------

def visible(pixels: np.ndarray | torch.Tensor) -> torch.Tensor:
    """[..., 4] uint8 RGBA -> float64 premultiplied (RGB x alpha / 255, alpha): what a user can see.
    The colour under alpha 0 is bled from the nearest visible pixel (formats/alpha.py), so it moves
    whenever a precision shifts which pixels are visible; it must not count as a visible difference."""
    p = torch.as_tensor(np.asarray(pixels), dtype=torch.float64)
    return torch.cat((p[..., :3] * p[..., 3:] / 255.0, p[..., 3:]), dim=-1)


def psnr_visible_db(a, b) -> float:
    """PSNR (peak 255) of two RGBA uint8 images as they are seen (premultiplied)."""
    return psnr_db(visible(a), visible(b))


def psnr_db(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> float:
    """PSNR of two images of values in 0..255 (uint8, or float), any equal shape. Identical -> inf."""
    a = torch.as_tensor(np.asarray(a) if not torch.is_tensor(a) else a, dtype=torch.float64)
    b = torch.as_tensor(np.asarray(b) if not torch.is_tensor(b) else b, dtype=torch.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}")
    mse = (a - b).pow(2).mean().item()
    return math.inf if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)
