"""The texture grid penalty: zero for stationary images, large for a grid of the cell period."""
from __future__ import annotations

import torch

from plugin_service.training.regularizers import grid_penalty, step_profile


def test_grid_penalty_sees_a_cell_grid_and_not_stationary_noise():
    torch.manual_seed(0)
    noise = torch.rand(8, 3, 64, 64)
    assert grid_penalty(noise, 16) < 1e-3
    # Same noise, plus hard steps on every 16th column and row: the grid a noise-cell generator makes.
    gridded = noise.clone()
    gridded[..., :, ::16] += 2.0
    gridded[..., ::16, :] += 2.0
    assert grid_penalty(gridded, 16) > 100 * grid_penalty(noise, 16)
    profile = step_profile(gridded, 16)
    assert profile.shape == (2, 16) and profile[:, 0].min() > 1.5 and profile[:, 15].min() > 1.5  # into and out of the line


def test_grid_penalty_has_gradients_and_handles_no_textures():
    x = torch.rand(2, 3, 32, 32, requires_grad=True)
    grid_penalty(x, 16).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert grid_penalty(torch.rand(0, 3, 32, 32), 16).item() == 0.0
