"""Training and evaluation on a tiny synthetic data set: finite, resumable, measurable."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from plugin_service.model.model_dir import load_generator, read_manifest
from plugin_service.training.average import average_models
from plugin_service.training.captions import recolour_captions
from plugin_service.training.colour import HUE_CENTRES, clear_hue, colour_name
from plugin_service.training.evaluate import evaluate
from plugin_service.training.model_card import write_model_card
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
                px[12:52, 18:46, :3] = np.clip(colour + rng.normal(0, 25, 3), 0, 255)   # drawings differ a little
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

    before = tmp_path / "before.json"
    before.write_text(json.dumps({"model": "tiny-test 0.0.1", "summary": {"kid_mean": 1.0, "diversity_sprites": 0.2}}))
    report = evaluate(tmp_path / "run" / "model", data_dir, seeds=4, compare=before)
    s = report["summary"]
    assert s["categories"] == len(CATEGORIES) and "efficientnet-lite2" in s["judge"]
    for key in ("plain_accuracy_sprites_props", "held_out_accuracy_sprites_props", "attribute_hue_match", "judge_real_accuracy"):
        assert 0 <= s[key] <= 1, key
    assert s["kid_mean"] is not None and np.isfinite(s["kid_mean"])
    per = report["per_category"]
    assert per["orc"]["kid_n"] == [4, 24] and per["orc"]["real_sources"] == 12
    assert per["orc"]["diversity"] > 0                      # 4 seeds of one prompt differ
    assert any(e.get("structure_diversity", 0) > 0 for e in per.values()) and "grey-scale structure" in (tmp_path / "run" / "model" / "MODEL_CARD.md").read_text()
    assert {a["prompt"] for a in report["attributes"]} == {"green grass", "yellow grass"}
    assert set(s["texture_seam_ratio"]) == {"64", "256", "512"} and all(v < 1.3 for v in s["texture_seam_ratio"].values())
    assert 0 <= s["sprite_prop_transparent_border"] <= 1
    card = (tmp_path / "run" / "model" / "MODEL_CARD.md").read_text()
    assert "held-out phrasings" in card and "| stone |" in card and "tiny-test 0.0.1" in card
    assert (tmp_path / "run" / "model" / "samples.png").exists()
    assert json.loads((tmp_path / "run" / "model" / "manifest.json").read_text())["quality"] == s

    # The card of a weight average (`assetgen average`) names both ends instead of a training run.
    avg = average_models(tmp_path / "run" / "model", tmp_path / "run" / "model", 0.5, tmp_path / "avg", "0.0.2")
    write_model_card(avg, read_manifest(avg), report)
    assert "The weight average (1 - 0.5) x tiny-test 0.1.0 + 0.5 x tiny-test 0.1.0" in (avg / "MODEL_CARD.md").read_text()


def test_v2_recipe_trains_from_a_served_model_with_both_discriminators(data_dir, tmp_path):
    """--init from a model directory, projected discriminator, augmented captions, and the
    exported directory carries the discriminators so the next run starts from them."""
    first = train(data_dir, tmp_path / "a", tiny_config(kimg=0.016, lambda_projected=1.0, augment_captions=True), model_name="a")
    assert (tmp_path / "a" / "model" / "discriminator.safetensors").exists()
    assert len(first.prompts) > len(first.data.captions) + len(first.data.category_names)   # augmented
    second = Trainer(data_dir, tmp_path / "b", tiny_config(lambda_projected=1.0, init=str(tmp_path / "a" / "model")))
    for k, v in first.G_ema.state_dict().items():
        assert torch.equal(second.G.state_dict()[k], v), k
    for k, v in first.D.state_dict().items():
        assert torch.equal(second.D.state_dict()[k], v), k
    stats = second.train_step()
    assert all(np.isfinite(v) for v in stats.values())
    # The fine-tune's manifest names its base and keeps the base's history lines for its card.
    manifest_a = json.loads((tmp_path / "a" / "model" / "manifest.json").read_text())
    manifest_a.setdefault("extra", {})["history"] = ["- 0.1.0: how a came to be."]
    (tmp_path / "a" / "model" / "manifest.json").write_text(json.dumps(manifest_a))
    third = Trainer(data_dir, tmp_path / "c", tiny_config(lambda_projected=1.0, init=str(tmp_path / "a" / "model")))
    extra = read_manifest(third.export(tmp_path / "c" / "model", "c", "0.2.0")).extra
    assert extra == {"derived_from": {"name": "a", "version": "0.1.0"}, "history": ["- 0.1.0: how a came to be."]}


def test_recoloured_items_get_the_colour_word_their_image_has_and_pairs_share_it(data_dir, tmp_path):
    t = Trainer(data_dir, tmp_path / "run", tiny_config(augment_captions=True, recolour_share=1.0, lambda_colour=1.0,
                                                        lambda_diversity=1.0))
    _, _, hues = t.recolour
    assert (~hues.isnan()).sum() > len(hues) // 2          # the synthetic colours are mostly clear hues
    real, emb, kinds, cats, targets, anchors = t._batch()
    asked = ~targets.isnan()
    assert asked.any()
    half = t.cfg.batch // 2
    assert torch.equal(targets[:half].nan_to_num(-1), targets[half:2 * half].nan_to_num(-1))
    rgba = ((real.permute(0, 2, 3, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    names = {v: k for k, v in HUE_CENTRES.items()}
    for i in torch.nonzero(asked).flatten().tolist():
        word = names[float(targets[i])]
        assert colour_name(rgba[i]) == word
        # The caption shown (under the trainer's small embedding noise) is "<word> <category or synonym>".
        nearest = t.prompts[int((t.embeddings @ emb[i]).argmax())]
        assert nearest in recolour_captions(t.data.category_names[int(cats[i])])[word], nearest
    assert anchors.isnan().all()                           # --lambda-hue-anchor off: nothing anchored
    stats = t.train_step()
    assert "colour" in stats and all(np.isfinite(v) for v in stats.values())
    t.cfg.colour_loss = "centres"                          # the colour-word loss runs in the same step
    stats = t.train_step()
    assert stats["colour"] > 0 and all(np.isfinite(v) for v in stats.values())


def test_items_not_recoloured_are_anchored_to_their_own_hue(data_dir, tmp_path):
    """--lambda-hue-anchor: G's image of an item that was not recoloured is pulled to the hue its
    real image shows (a prompt without a colour word keeps its category's colours)."""
    t = Trainer(data_dir, tmp_path / "run", tiny_config(augment_captions=True, recolour_share=0.5, lambda_colour=1.0,
                                                        lambda_hue_anchor=1.0, colour_loss="centres"))
    real, emb, kinds, cats, targets, anchors = t._batch()
    asked, anchored = ~targets.isnan(), ~anchors.isnan()
    assert anchored.any() and asked.any() and not (asked & anchored).any()
    rgba = ((real.permute(0, 2, 3, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    for i in range(len(rgba)):
        hue = clear_hue(rgba[i])
        assert (hue is not None) == bool(asked[i] or anchored[i])   # every clear hue is asked for or kept
        if anchored[i]:
            assert abs(hue - float(anchors[i])) < 1e-3               # kept: the real image's own hue
    stats = t.train_step()
    assert stats["hue_anchor"] > 0 and all(np.isfinite(v) for v in stats.values())
    with pytest.raises(ValueError, match="--lambda-hue-anchor needs --recolour-share"):
        Trainer(data_dir, tmp_path / "run2", tiny_config(augment_captions=True, lambda_hue_anchor=1.0))


def test_recolouring_needs_augmented_captions(data_dir, tmp_path):
    with pytest.raises(ValueError, match="--augment-captions"):
        Trainer(data_dir, tmp_path / "run", tiny_config(recolour_share=0.5))
    with pytest.raises(ValueError, match="--recolour-share"):
        Trainer(data_dir, tmp_path / "run2", tiny_config(augment_captions=True, lambda_colour=1.0))
    with pytest.raises(ValueError, match="colour_loss must be one of"):
        Trainer(data_dir, tmp_path / "run3", tiny_config(augment_captions=True, recolour_share=0.5, colour_loss="hsv"))


def test_trainer_refuses_captions_that_contain_held_out_phrasings(data_dir, tmp_path):
    leaky = tmp_path / "leaky"
    leaky.mkdir()
    rows = [json.loads(line) for line in (data_dir / "index.jsonl").read_text().splitlines()]
    rows[0]["caption"] = "orc with a hatchet"
    rows[0]["path"] = str(data_dir / rows[0]["path"])
    for r in rows[1:]:
        r["path"] = str(data_dir / r["path"])
    (leaky / "index.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ValueError, match="hatchet"):
        Trainer(leaky, tmp_path / "run", tiny_config())


def test_structure_images_ignore_brightness_and_tint_but_keep_pattern_and_alpha():
    from plugin_service.training.evaluate import structure_image

    rng = np.random.default_rng(0)
    pattern = rng.integers(40, 200, (1, 16, 16, 1)).astype(np.float32)
    base = np.concatenate((np.repeat(pattern, 3, -1), np.full((1, 16, 16, 1), 255.0)), -1)
    brighter_and_red = base * [1.2, 0.9, 0.9, 1.0] + [30, 10, 10, 0]   # same pattern, other brightness and tint
    a = structure_image(np.clip(base, 0, 255).astype(np.uint8))
    b = structure_image(np.clip(brighter_and_red, 0, 255).astype(np.uint8))
    assert np.abs(a.astype(int) - b.astype(int)).mean() < 1.0       # rounding of the tinted input only
    other = structure_image(np.clip(base[:, ::-1], 0, 255).astype(np.uint8))   # another pattern
    assert np.abs(a.astype(int) - other.astype(int)).mean() > 10
    assert (a[..., 3] == 255).all()
