"""Colour words in training: recolouring real images (hue_rotate) and the generator's hue loss."""
from __future__ import annotations

import pytest
import torch

from plugin_service.model.config import KIND_INDEX, get_config
from plugin_service.model.generator import Generator
from plugin_service.training.colour import HUE_CENTRES, centre_loss, colour_name, dominant_hue, hue_loss, hue_rotate


def red_figure() -> torch.Tensor:
    """[1, 4, 16, 16] uint8: a red square with a grey band on transparent black."""
    x = torch.zeros(1, 4, 16, 16, dtype=torch.uint8)
    x[0, :3, 4:12, 4:12] = torch.tensor([200, 40, 30], dtype=torch.uint8).view(3, 1, 1)
    x[0, :3, 10:12, 4:12] = 120
    x[0, 3, 4:12, 4:12] = 255
    return x


def test_hue_rotate_gives_every_colour_word_its_colour_and_keeps_alpha_and_grey():
    image = red_figure()
    hue, _ = dominant_hue(image[0].permute(1, 2, 0).numpy())
    for word, centre in HUE_CENTRES.items():
        out = hue_rotate(image, torch.tensor([centre - hue]))
        assert colour_name(out[0].permute(1, 2, 0).numpy()) == word
        assert abs((dominant_hue(out[0].permute(1, 2, 0).numpy())[0] - centre + 180) % 360 - 180) < 1.0
        assert torch.equal(out[:, 3], image[:, 3])
        assert torch.equal(out[0, :3, 10:12], image[0, :3, 10:12])   # grey has no hue to move
    assert torch.equal(hue_rotate(image, torch.tensor([360.0])), image)


def test_hue_loss_is_zero_on_target_and_pushes_grey_towards_colour():
    image = red_figure().float() / 127.5 - 1
    image[:, :3, 10:12] = torch.tensor([200 / 127.5 - 1, 40 / 127.5 - 1, 30 / 127.5 - 1]).view(3, 1, 1)  # all red
    assert hue_loss(image, torch.tensor([0.0])).item() < 0.01
    assert hue_loss(image, torch.tensor([180.0])).item() > 1.9
    grey = torch.zeros(1, 4, 8, 8)
    grey[:, 3] = 1
    assert hue_loss(grey, torch.tensor([0.0])).item() > 1.5


def test_the_centre_loss_counts_a_neighbouring_colour_word_as_wrong():
    """Asked for red, an orange image is named orange by the evaluation: centre_loss charges that like a
    wrong word, where hue_loss charges the 30 degrees little."""
    red = red_figure()
    red[:, :3, 10:12] = torch.tensor([200, 40, 30], dtype=torch.uint8).view(3, 1, 1)
    orange = hue_rotate(red, torch.tensor([HUE_CENTRES["orange"] - dominant_hue(red[0].permute(1, 2, 0).numpy())[0]]))
    assert colour_name(orange[0].permute(1, 2, 0).numpy()) == "orange"
    red_f, orange_f = red.float() / 127.5 - 1, orange.float() / 127.5 - 1
    asked_red = torch.tensor([HUE_CENTRES["red"]])
    assert centre_loss(red_f, asked_red).item() < 0.2   # the floor on a centre is -log 0.94 = 0.07
    assert centre_loss(orange_f, asked_red).item() > 2.0 > 0.2 > hue_loss(orange_f, asked_red).item()
    assert centre_loss(orange_f, torch.tensor([HUE_CENTRES["orange"]])).item() < 0.2
    grey = torch.zeros(1, 4, 8, 8)
    grey[:, 3] = 1
    assert centre_loss(grey, asked_red).item() > 1.0


@pytest.mark.parametrize("loss_fn", [hue_loss, centre_loss])
def test_the_hue_loss_teaches_a_generator_a_colour(loss_fn):
    """A few steps on a hue loss alone turn a generator's texture to the asked colour word (a texture:
    an untrained generator's sprites have no pixel at alpha >= 0.5 for colour_name to read)."""
    torch.manual_seed(0)
    cfg = get_config("test")
    g = Generator(cfg)
    opt = torch.optim.Adam(g.parameters(), lr=3e-3)
    emb = torch.nn.functional.normalize(torch.randn(4, 384), dim=1)
    kinds = torch.full((4,), KIND_INDEX["texture"])
    noise = torch.randn(4, cfg.noise_channels, 32 // cfg.stride, 32 // cfg.stride)
    target = torch.full((4,), HUE_CENTRES["blue"])
    before = loss_fn(g(emb, noise, kinds), target).mean().item()
    for _ in range(40):
        loss = loss_fn(g(emb, noise, kinds), target).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        out = g(emb, noise, kinds)
    after = loss_fn(out, target).mean().item()
    rgba = ((out.permute(0, 2, 3, 1) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
    assert after < before / 4, (before, after)
    assert all(colour_name(im[..., :3]) == "blue" for im in rgba), [dominant_hue(im[..., :3]) for im in rgba]
