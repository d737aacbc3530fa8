"""Training and evaluation on a tiny synthetic data set: finite, resumable, measurable."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from plugin_service.model.model_dir import load_generator
from plugin_service.training.evaluate import evaluate
from plugin_service.training.train import Trainer, TrainConfig, train

CATEGORIES = [("texture", "stone"), ("texture", "grass"), ("sprite", "orc"), ("sprite", "elf"), ("prop", "sword")]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    rows = []
    for kind, cat in CATEGORIES:
        colour = rng.integers(0, 255, 3)
        for i in range(24):
            if kind == "texture":
                px = np.clip(colour + rng.normal(0, 30, (64, 64, 3)), 0, 255).astype(np.uint8)
                im = Image.fromarray(px, "RGB")
            else:
                px = np.zeros((64, 64, 4), np.uint8)
                px[12:52, 18:46, :3] = colour
                px[12:52, 18:46, 3] = 255
                im = Image.fromarray(px, "RGBA")
            rel = Path("images") / kind / cat / f"synth-{i}.png"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            im.save(root / rel)
            rows.append({"path": rel.as_posix(), "kind": kind, "category": cat, "caption": f"{cat} {i % 3}",
                         "source": "synthetic", "license": "CC0-1.0", "origin": f"{cat}-{i // 2}.png"})
    (root / "index.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def tiny_config(**kw) -> TrainConfig:
    return TrainConfig(config="test", batch=8, size=32, log_every=1, sample_every=10**6, checkpoint_every=10**6, **kw)


def test_training_steps_are_finite_and_resume_exactly(data_dir, tmp_path):
    run = tmp_path / "run"
    t = Trainer(data_dir, run, tiny_config())
    for _ in range(3):
        stats = t.train_step()
        assert all(np.isfinite(v) for v in stats.values()), stats
    t.save_checkpoint()
    assert (run / "checkpoint.safetensors").exists() and json.loads((run / "checkpoint.json").read_text())["step"] == 3

    resumed = Trainer(data_dir, run, tiny_config())
    assert resumed.step == 3 and resumed.images_seen == 24
    for a, b in zip(t.G_ema.state_dict().values(), resumed.G_ema.state_dict().values()):
        assert torch.equal(a, b)
    saved, loaded = t.opt_d.state_dict()["state"], resumed.opt_d.state_dict()["state"]
    assert saved.keys() == loaded.keys()
    for pid in saved:
        assert torch.equal(saved[pid]["exp_avg"], loaded[pid]["exp_avg"])
    # Same RNG state and weights -> the next step is the same on both. The torch RNG is global:
    # the resumed trainer restored it from the checkpoint, so replay that state for each.
    rng = torch.get_rng_state()
    original_step = t.train_step()
    torch.set_rng_state(rng)
    assert resumed.train_step()["loss_d"] == pytest.approx(original_step["loss_d"], rel=1e-4)


def test_train_exports_a_servable_model_and_eval_writes_a_card(data_dir, tmp_path):
    t = train(data_dir, tmp_path / "run", tiny_config(kimg=0.016, lambda_diversity=0.5, lambda_grid=10.0),
              model_name="tiny-test")
    assert t.images_seen >= 16 and list((tmp_path / "run" / "samples").glob("*.png"))
    manifest, g = load_generator(tmp_path / "run" / "model")
    assert manifest.name == "tiny-test" and manifest.data["categories"] == sorted(c for _, c in CATEGORIES)

    report = evaluate(tmp_path / "run" / "model", data_dir, per_category=4, classifier_path=tmp_path / "clf.safetensors")
    s = report["summary"]
    assert s["categories"] == len(CATEGORIES)
    assert 0 <= s["generated_accuracy"] <= 1 and 0 <= s["real_held_out_accuracy"] <= 1
    assert set(s["texture_seam_ratio"]) == {"64", "256", "512"} and all(v < 1.3 for v in s["texture_seam_ratio"].values())
    assert 0 <= s["sprite_prop_transparent_border"] <= 1
    card = (tmp_path / "run" / "model" / "MODEL_CARD.md").read_text()
    assert "held-out real images" in card and "stone" in card
    assert (tmp_path / "run" / "model" / "samples.png").exists()
    assert json.loads((tmp_path / "run" / "model" / "manifest.json").read_text())["quality"] == s
