"""The generator contract: shapes, ranges, tileability, alpha, determinism, safetensors round trip."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from plugin_service.model.config import KIND_INDEX, KINDS, GeneratorConfig, get_config
from plugin_service.model.generator import Generator, make_noise, upsample2x
from plugin_service.model.model_dir import (Manifest, default_kinds, discover_models, load_generator,
                                            read_manifest, resolve_model_dir, save_model_dir)


@pytest.fixture(scope="module")
def generator() -> Generator:
    torch.manual_seed(0)
    g = Generator(get_config("test")).eval()
    # Random FiLM weights (they start at zero) so conditioning really changes the output.
    with torch.no_grad():
        for b in g.blocks:
            b.film.weight.normal_(0, 0.05)
    return g


def run(g: Generator, kind: str, size: int, seeds=(1, 2), text=None) -> torch.Tensor:
    cfg = g.config
    noise = torch.stack([make_noise(s, cfg.noise_channels, size // cfg.stride, size // cfg.stride) for s in seeds])
    emb = text if text is not None else torch.nn.functional.normalize(torch.ones(len(seeds), cfg.text_dim), dim=1)
    with torch.inference_mode():
        return g(emb, noise, torch.full((len(seeds),), KIND_INDEX[kind]))


def seam_ratio(img: np.ndarray) -> float:
    inner = np.concatenate([np.abs(np.diff(img, axis=1)).ravel(), np.abs(np.diff(img, axis=0)).ravel()]).mean()
    seam = np.concatenate([np.abs(img[:, 0] - img[:, -1]).ravel(), np.abs(img[0] - img[-1]).ravel()]).mean()
    return float(seam / inner)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("size", [16, 32, 64])
def test_shapes_and_ranges(generator, kind, size):
    out = run(generator, kind, size)
    assert out.shape == (2, 4, size, size)
    assert torch.isfinite(out).all()
    assert out.min() >= -1 and out.max() <= 1
    if kind == "texture":
        assert torch.equal(out[:, 3], torch.ones_like(out[:, 3])), "textures are opaque"
    else:
        assert out[:, 3].min() >= -1 and out[:, 3].max() <= 1 and out[:, 3].std() > 0, "alpha is learned, not constant"


@pytest.mark.parametrize("size", [16, 28, 48, 96])
def test_textures_wrap_seamlessly_at_any_multiple_of_the_stride(generator, size):
    img = run(generator, "texture", size, seeds=(3,))[0, :3].permute(1, 2, 0).numpy()
    # Circular padding + wrap-around upsampling: the wrap seam is statistically an interior edge.
    assert seam_ratio(img) < 1.3


@pytest.mark.parametrize("upsample", ["nearest", "bilinear"])
def test_texture_is_a_function_on_the_torus(upsample):
    # Rolling the noise grid by one cell rolls the image by exactly `stride` pixels: every layer is
    # translation-equivariant with wrap-around, so no position (the wrap seam included) is special.
    torch.manual_seed(0)
    g = Generator(dataclasses.replace(get_config("test"), upsample=upsample)).eval()
    cfg = g.config
    noise = make_noise(5, cfg.noise_channels, 6, 4)[None]
    emb = torch.nn.functional.normalize(torch.randn(1, cfg.text_dim), dim=1)
    kind = torch.tensor([KIND_INDEX["texture"]])
    with torch.inference_mode():
        out = g(emb, noise, kind)
        rolled = g(emb, torch.roll(noise, (1, 2), (2, 3)), kind)
    torch.testing.assert_close(rolled, torch.roll(out, (cfg.stride, 2 * cfg.stride), (2, 3)), atol=1e-5, rtol=0)


def test_bilinear_upsample_is_interpolate_of_the_periodic_image():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, 7)
    tiled = F.interpolate(x.repeat(1, 1, 3, 3), scale_factor=2.0, mode="bilinear", align_corners=False)
    torch.testing.assert_close(upsample2x(x, "bilinear"), tiled[:, :, 10:20, 14:28], atol=1e-6, rtol=0)
    cl = x.contiguous(memory_format=torch.channels_last)  # the runner's layout gives the same numbers
    torch.testing.assert_close(upsample2x(cl, "bilinear"), tiled[:, :, 10:20, 14:28], atol=1e-6, rtol=0)


def test_upsample_mode_is_checked_and_old_manifests_keep_nearest():
    with pytest.raises(ValueError, match="upsample"):
        dataclasses.replace(get_config("test"), upsample="bicubic")
    legacy = {k: v for k, v in get_config("tiny").to_dict().items() if k != "upsample"}
    assert GeneratorConfig.from_dict(legacy).upsample == "nearest"


def test_same_seed_same_pixels_whatever_the_batch(generator):
    alone = run(generator, "sprite", 32, seeds=(42,))
    batched = run(generator, "sprite", 32, seeds=(7, 42, 9))
    assert torch.allclose(alone[0], batched[1], atol=1e-5)
    assert not torch.allclose(batched[0], batched[1])


def test_text_changes_the_output(generator):
    a = torch.nn.functional.normalize(torch.randn(1, 384, generator=torch.Generator().manual_seed(1)), dim=1)
    b = torch.nn.functional.normalize(torch.randn(1, 384, generator=torch.Generator().manual_seed(2)), dim=1)
    assert not torch.allclose(run(generator, "prop", 32, (5,), a), run(generator, "prop", 32, (5,), b))


def test_safetensors_round_trip(generator, tmp_path):
    cfg = generator.config
    save_model_dir(tmp_path / "m", generator, Manifest("m", "1.2.3", cfg, default_kinds(cfg)))
    manifest, loaded = load_generator(tmp_path / "m")
    assert manifest.version == "1.2.3" and manifest.config == cfg
    for (k, v), (k2, v2) in zip(generator.state_dict().items(), loaded.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    assert torch.equal(run(generator, "sprite", 32), run(loaded, "sprite", 32))
    assert discover_models(tmp_path) == {"m": tmp_path / "m"}


def test_model_directory_refuses_pickle_and_escapes(generator, tmp_path):
    cfg = generator.config
    d = save_model_dir(tmp_path / "m", generator, Manifest("m", "1", cfg, default_kinds(cfg), weights="generator.pt"))
    with pytest.raises(ValueError, match="safetensors"):
        load_generator(d)
    for bad in ("../etc", "a/b", "", ".hidden"):
        with pytest.raises(ValueError):
            resolve_model_dir(tmp_path, bad)
    with pytest.raises(FileNotFoundError, match="manifest"):
        read_manifest(tmp_path)


def test_v1_networks_still_load_and_upgrade_to_v2_with_the_same_pixels(tmp_path):
    """0.4.0's architecture (version 1) keeps loading; upgrade_v1_state gives a version 2 network
    that computes the same images until its mapping network is trained."""
    from plugin_service.model.generator import upgrade_v1_state

    torch.manual_seed(0)
    v2cfg = get_config("test")
    v1 = Generator(dataclasses.replace(v2cfg, version=1)).eval()
    with torch.no_grad():
        for p in v1.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    save_model_dir(tmp_path / "old", v1, Manifest("old", "0.4.0", v1.config, default_kinds(v1.config, native=32)))
    assert read_manifest(tmp_path / "old").to_dict()["architecture"] == "film-gan-v1"
    _, loaded = load_generator(tmp_path / "old")
    v2 = Generator(v2cfg).eval()
    v2.load_state_dict(upgrade_v1_state(loaded.state_dict(), v2cfg))
    for kind in KINDS:
        torch.testing.assert_close(run(v2, kind, 32, seeds=(1, 2, 3)), run(v1, kind, 32, seeds=(1, 2, 3)), atol=1e-6, rtol=0)
    save_model_dir(tmp_path / "new", v2, Manifest("new", "0.5.0", v2cfg, default_kinds(v2cfg, native=32)))
    assert read_manifest(tmp_path / "new").to_dict()["architecture"] == "film-gan-v2"


def test_v2_seed_reaches_every_film_layer_through_the_global_latent():
    """Two noise grids with the same per-cell pattern up to a constant offset differ only in their
    pooled latent: with a trained (non-zero) mapping network the images differ everywhere, and
    with the mapping network at its zero start they do not differ through it."""
    torch.manual_seed(0)
    g = Generator(get_config("test")).eval()
    cfg = g.config
    base = make_noise(3, cfg.noise_channels, 2, 2)[None]
    latent_only = base - base.mean(dim=(2, 3), keepdim=True) + torch.randn(1, cfg.noise_channels, 1, 1)
    emb = torch.nn.functional.normalize(torch.ones(1, cfg.text_dim), dim=1)
    kind = torch.tensor([KIND_INDEX["sprite"]])
    with torch.no_grad():
        for b in g.blocks:
            b.film.weight.normal_(0, 0.05)
        cond_a = g.cond(torch.cat((emb, g.kind_embed(kind)), 1))
        assert torch.equal(g.mapping(torch.cat((torch.zeros(1, cfg.noise_channels), cond_a), 1)), torch.zeros_like(cond_a))
        g.mapping[-1].weight.normal_(0, 0.5)
        a, b = g(emb, base, kind), g(emb, latent_only, kind)
    assert (a - b).abs().mean() > 1e-3
