"""`assetgen average`: the weight average of a model and its fine-tune is a servable model directory."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from plugin_service.cli import main
from plugin_service.model.config import KIND_INDEX, get_config
from plugin_service.model.model_dir import DISCRIMINATOR_FILE, load_generator
from plugin_service.model.random_model import make_random_model_dir
from plugin_service.training.average import average_models
from tests.conftest import build_test_model


def _image(model_dir, seed: int = 3) -> torch.Tensor:
    manifest, g = load_generator(model_dir)
    gen = torch.Generator().manual_seed(seed)
    s = 64 // manifest.config.stride
    emb = torch.nn.functional.normalize(torch.randn(2, 384, generator=gen), dim=1)
    noise = torch.randn(2, manifest.config.noise_channels, s, s, generator=gen)
    with torch.no_grad():
        return g(emb, noise, torch.full((2,), KIND_INDEX["sprite"]))


def test_the_average_is_the_lerp_of_every_weight_and_serves_like_its_ends(tmp_path):
    base, tuned = build_test_model(tmp_path / "base", seed=0), build_test_model(tmp_path / "tuned", seed=1)
    (tuned / DISCRIMINATOR_FILE).write_bytes(b"discriminator state")
    out = average_models(base, tuned, 0.25, tmp_path / "avg", "1.0.0", note="a test.")

    a, b, m = (load_file(str(d / "generator.safetensors")) for d in (base, tuned, out))
    assert m.keys() == a.keys()
    for k in a:
        assert torch.allclose(m[k], 0.75 * a[k] + 0.25 * b[k], atol=1e-6), k
    assert any(not torch.equal(a[k], b[k]) for k in a)  # the two ends differ, so the check above means something
    assert (out / DISCRIMINATOR_FILE).read_bytes() == b"discriminator state"

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["version"] == "1.0.0" and manifest["quality"] == {}
    assert manifest["extra"]["derived_from"] == {"name": "base", "version": "test-0"}
    assert manifest["extra"]["averaged_with"] == {"name": "tuned", "version": "test-1", "alpha": 0.25}
    assert manifest["extra"]["history"][-1].startswith("- 1.0.0: the weight average (1 - 0.25) x base test-0 + 0.25 x tuned test-1")
    assert manifest["extra"]["history"][-1].endswith("a test.")

    # alpha 0 and 1 give back each end exactly, and the middle draws something between them.
    assert torch.equal(_image(average_models(base, tuned, 0.0, tmp_path / "a0", "0")), _image(base))
    assert torch.equal(_image(average_models(base, tuned, 1.0, tmp_path / "a1", "1")), _image(tuned))
    mid = _image(out)
    assert torch.isfinite(mid).all() and not torch.equal(mid, _image(base)) and not torch.equal(mid, _image(tuned))


def test_models_of_different_configs_are_refused_with_the_field_that_differs(tmp_path):
    base = build_test_model(tmp_path / "base")
    other = make_random_model_dir(tmp_path / "other", get_config("tiny"))
    with pytest.raises(ValueError, match="different generator configs .*own fine-tune"):
        average_models(base, other, 0.5, tmp_path / "avg", "1.0.0")
    assert not (tmp_path / "avg").exists()


def test_the_command_reports_bad_arguments_without_a_traceback(tmp_path, capsys):
    base, tuned = build_test_model(tmp_path / "base"), build_test_model(tmp_path / "tuned", seed=1)
    assert main(["average", str(base), str(tuned), "--alpha", "1.5", "--out", str(tmp_path / "x"), "--model-version", "1"]) == 2
    assert "alpha must be in [0, 1]" in capsys.readouterr().err
    assert main(["average", str(base), str(tuned), "--alpha", "0.5", "--out", str(tuned), "--model-version", "1"]) == 2
    assert "write the average to a new folder" in capsys.readouterr().err
    assert main(["average", str(base), str(tuned), "--alpha", "0.5", "--out", str(tmp_path / "avg"), "--model-version", "2.0"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert json.loads((tmp_path / "avg" / "manifest.json").read_text())["version"] == "2.0"
