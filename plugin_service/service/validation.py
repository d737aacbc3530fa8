"""AssetRequest -> Job, or a ServiceError whose message says exactly what to change.

Pure: no grpc, no torch, no clock (the caller passes `now`), so every rule is unit-tested.
Model-dependent limits (kinds, sizes) come from the manifest; server limits from ServiceConfig.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable

from .catalog import ModelCatalog
from .config import ServiceConfig
from .jobs import FORMATS, FORMATS_WITHOUT_ALPHA, KIND_NAMES, MAP_NAMES, PRIORITIES, AssetRequest, Job, ServiceError

SEED_BITS = 32  # server-picked seeds stay short enough to read aloud and type back

# Code points the model cannot see: controls, spaces, zero-width and other format characters,
# Hangul and Braille fillers, variation selectors, tags (inclusive ranges). A prompt made only of
# these is refused; a prompt that also has visible text is used as sent, byte for byte. The C#
# validator holds the same list; tests/golden/invisible_prompts.json checks both.
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x0020), (0x007F, 0x00A0), (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C),
    (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x1680, 0x1680), (0x2000, 0x200F),
    (0x2028, 0x202F), (0x205F, 0x206F), (0x2800, 0x2800), (0x3000, 0x3000), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF9, 0xFFFB), (0x1D173, 0x1D17A),
    (0xE0000, 0xE007F), (0xE0100, 0xE01EF),
)


def is_invisible(char: str) -> bool:
    cp = ord(char)
    return any(lo <= cp <= hi for lo, hi in INVISIBLE_RANGES)


def has_visible_text(prompt: str) -> bool:
    return any(not is_invisible(c) for c in prompt)


def _invalid(message: str) -> ServiceError:
    return ServiceError("INVALID_ARGUMENT", message)


def validate(request: AssetRequest, catalog: ModelCatalog, config: ServiceConfig, now: float,
             sees: Callable[[str], bool] | None = None) -> Job:
    """`sees(prompt)`: whether the text encoder reads anything in it it knows (what only the
    server can tell: model/text_encoder.PromptTokenizer); None skips that check."""
    prompt = request.prompt.strip()
    if not prompt:
        raise _invalid("prompt is empty: describe the asset in words, e.g. 'mossy cobblestone wall'")
    if not has_visible_text(prompt):
        first = next(c for c in prompt if not c.isspace())
        raise _invalid(f"prompt has no visible text (only invisible characters such as U+{ord(first):04X}); "
                       "describe the asset in words, e.g. 'mossy cobblestone wall'")
    if len(request.prompt) > config.max_prompt_chars:
        raise _invalid(
            f"prompt is {len(request.prompt)} characters; shorten it to at most {config.max_prompt_chars}"
        )
    if sees is not None and not sees(prompt):
        raise _invalid(f"prompt {prompt[:40]!r} has nothing the model can read (its text encoder knows no word or "
                       "symbol in it, e.g. emoji alone); describe the asset in words, e.g. 'mossy cobblestone wall'")

    entry = catalog.get(request.model)
    manifest = entry.manifest

    if request.kind not in KIND_NAMES:
        raise _invalid(f"kind {request.kind!r} is unknown; choose one of: {', '.join(KIND_NAMES)}")
    spec = manifest.kinds.get(request.kind)
    if spec is None:
        raise _invalid(
            f"model {manifest.name!r} does not make {request.kind}s; it makes: {', '.join(manifest.kinds)}"
        )

    width = request.width or spec.native_size
    height = request.height or spec.native_size
    if not manifest.allows_size(request.kind, width, height):
        allowed = ", ".join(str(s) for s in spec.sizes)
        raise _invalid(
            f"size {width}x{height} is not allowed for {request.kind} on model {manifest.name!r}; "
            f"width and height must each be one of: {allowed} (0 = native {spec.native_size})"
        )

    count = request.count or 1
    if not 1 <= count <= config.max_count:
        raise _invalid(
            f"count {request.count} is out of range; ask for 1..{config.max_count} assets per request "
            f"(send several requests for more)"
        )

    if request.format not in FORMATS:
        raise _invalid(f"format {request.format!r} is unknown; choose one of: {', '.join(FORMATS)}")
    if spec.channels == 4 and request.format in FORMATS_WITHOUT_ALPHA:
        with_alpha = ", ".join(f for f in FORMATS if f not in FORMATS_WITHOUT_ALPHA and f.startswith("dds_"))
        raise _invalid(f"format {request.format} has no alpha channel, but a {request.kind} is a cut-out with "
                       f"transparency; use {with_alpha} (block-compressed with alpha), or png / rgba8")

    tileable = spec.tileable if request.tileable is None else request.tileable
    if tileable and not spec.tileable:
        raise _invalid(f"{request.kind}s cannot tile on model {manifest.name!r}; leave tileable unset or false")

    if request.priority not in PRIORITIES:
        raise _invalid(f"priority {request.priority!r} is unknown; choose one of: {', '.join(PRIORITIES)}")

    deadline = None
    if request.timeout_s is not None:
        if request.timeout_s <= 0:
            raise ServiceError("DEADLINE_EXCEEDED", "the deadline passed before the request was queued; allow more time")
        deadline = now + request.timeout_s

    seed = request.seed if request.seed is not None else secrets.randbits(SEED_BITS)
    if not 0 <= seed < 2**64:
        raise _invalid(f"seed {seed} does not fit in an unsigned 64-bit integer")

    maps = _check_maps(request, width, height)
    _check_noise(request, count)

    return Job(
        tag=request.tag,
        model=manifest.name,
        model_version=manifest.version,
        kind=request.kind,
        prompt=prompt,
        width=width,
        height=height,
        count=count,
        seed=seed,
        format=request.format,
        tileable=tileable,
        priority=request.priority,
        deadline=deadline,
        maps=maps,
        vary_seed=request.vary_seed,
        vary_strength=request.vary_strength,
        interpolate_seed=request.interpolate_seed,
        interpolate_t=request.interpolate_t,
    )


def _check_maps(request: AssetRequest, width: int, height: int) -> tuple[str, ...]:
    """Material maps and block-compressed formats: () = albedo only."""
    if request.format.startswith("dds_") and (width % 4 or height % 4):
        raise _invalid(f"format {request.format} needs a width and height that are multiples of 4, got {width}x{height}")
    maps = tuple(request.maps) or ("albedo",)
    unknown = [m for m in maps if m not in MAP_NAMES]
    if unknown:
        raise _invalid(f"maps {unknown} unknown; choose from: {', '.join(MAP_NAMES)}")
    if len(set(maps)) != len(maps):
        raise _invalid(f"maps {list(maps)} name a map twice; list each at most once")
    if maps != ("albedo",) and request.kind != "texture":
        raise _invalid(f"material maps are for textures; a {request.kind} has only its albedo (leave maps empty)")
    return maps


def _check_noise(request: AssetRequest, count: int) -> None:
    """Variations and interpolation: one at a time, bounded, reproducible."""
    if request.vary_seed is not None and request.interpolate_seed is not None:
        raise _invalid("vary and interpolate are exclusive; ask for one of them")
    if request.vary_seed is not None:
        strength = request.vary_strength
        if strength is None or not 0.0 < strength <= 1.0:
            raise _invalid(f"vary.strength {strength} is out of range; use (0, 1] (0.1-0.3 for close variations)")
        if not 0 <= request.vary_seed < 2**64:
            raise _invalid(f"vary.seed {request.vary_seed} does not fit in an unsigned 64-bit integer")
    if request.interpolate_seed is not None:
        if not 0 <= request.interpolate_seed < 2**64:
            raise _invalid(f"interpolate.seed_b {request.interpolate_seed} does not fit in an unsigned 64-bit integer")
        t = request.interpolate_t
        if t is not None:
            if not 0.0 <= t <= 1.0:
                raise _invalid(f"interpolate.t {t} is out of range; use [0, 1]")
            if count != 1:
                raise _invalid(f"interpolate.t pins one frame, but count is {count}; use count 1, or leave t "
                               f"unset for {count} frames from t = 0 to 1")
