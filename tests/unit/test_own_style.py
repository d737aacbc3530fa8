"""Your own art style: a studio's folder -> a training set (data/folder.py) -> a fine-tune of a
served model (`assetgen train --init`) that moves toward the folder, served beside the base."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from plugin_service.data.folder import build_from_folder
from plugin_service.model.config import get_config
from plugin_service.model.random_model import make_random_model_dir


def blob(rng: np.random.Generator, size: int = 48) -> np.ndarray:
    """A magenta, green-eyed slime: the studio's 'style'."""
    yy, xx = np.mgrid[:size, :size]
    r = rng.uniform(0.3, 0.45) * size
    mask = ((yy - size * 0.6) / r) ** 2 + ((xx - size / 2) / (r * rng.uniform(0.9, 1.3))) ** 2 < 1
    px = np.zeros((size, size, 4), np.uint8)
    px[mask] = (220, 40, 200, 255)
    px[(np.abs(yy - size * 0.5) < 3) & (np.abs(np.abs(xx - size / 2) - 6) < 3) & mask] = (40, 230, 60, 255)
    return px


def studio_folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for i in range(24):
        path = root / "sprites" / "slimes" / f"slime_{i}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(blob(rng), "RGBA").save(path)
    (root / "sprites" / "slimes" / "slime_0.txt").write_text("pink slime with green eyes\n")
    tex = root / "textures" / "tiles"
    tex.mkdir(parents=True)
    yy, xx = np.mgrid[:32, :32]
    Image.fromarray(((((yy // 8) + (xx // 8)) % 2) * 200 + 30).astype(np.uint8), "L").save(tex / "checker.png")
    Image.fromarray(np.full((32, 32, 3), 120, np.uint8)).convert("CMYK").save(tex / "cmyk.jpg")
    Image.fromarray((yy * 2000 + xx * 50).astype(np.uint16)).save(tex / "deep.png")   # 16-bit grey
    Image.fromarray(np.zeros((32, 32), np.uint8), "L").convert("P").save(tex / "palette.png")
    (root / "props").mkdir()
    (root / "props" / "broken.png").write_bytes(b"\x89PNG not really")
    Image.fromarray(np.zeros((8, 8, 4), np.uint8)).save(root / "props" / "tiny.png")
    frames = [Image.fromarray(blob(rng)) for _ in range(3)]
    frames[0].save(root / "props" / "wobble.png", save_all=True, append_images=frames[1:])
    Image.fromarray(blob(rng)).save(root / "loose.png")
    return root


def test_a_folder_becomes_a_training_set_and_bad_files_are_reported(tmp_path):
    src = studio_folder(tmp_path / "art")
    summary = build_from_folder(src, tmp_path / "data", log=lambda _: None)
    assert summary["kinds"].keys() == {"sprite", "texture"} and summary["categories"]["slimes"]["kind"] == "sprite"
    report = (tmp_path / "data" / "report.txt").read_text()
    for name, why in (("broken.png", "cannot be read"), ("tiny.png", "smaller than"), ("wobble.png", "animated"),
                      ("loose.png", "no kind")):
        assert any(name in line and why in line for line in report.splitlines()), name
    assert "checker.png: seam ratio" in report and summary["skipped_files"] == 4
    rows = [json.loads(line) for line in (tmp_path / "data" / "index.jsonl").read_text().splitlines()]
    assert {r["caption"] for r in rows if r["origin"] == "sprites/slimes/slime_0.png"} == {"pink slime with green eyes"}
    assert "slimes slime" in {r["caption"] for r in rows}
    assert {r["origin"] for r in rows if r["kind"] == "texture"} == {"textures/tiles/" + n for n in
                                                                   ("checker.png", "cmyk.jpg", "deep.png", "palette.png")}
    sprite = np.asarray(Image.open(tmp_path / "data" / rows[0]["path"]))
    assert sprite.shape == (64, 64, 4) and sprite[0, 0, 3] == 0          # centred on a transparent canvas
    # With --kind the loose file counts too; an empty folder is a clear error.
    assert build_from_folder(src, tmp_path / "data2", kind="sprite", log=lambda _: None)["skipped_files"] == 3
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no usable image"):
        build_from_folder(tmp_path / "empty", tmp_path / "data3")


@pytest.mark.slow
def test_fine_tuning_moves_a_served_model_toward_the_folder(tmp_path):
    from plugin_service.model.model_dir import discover_models, load_generator
    from plugin_service.training.features import EVAL_BACKBONE, load_efficientnet, pooled_features
    from plugin_service.training.samples import generate
    from plugin_service.training.train import TrainConfig, train
    from plugin_service.service.postprocess import to_rgba8

    src = tmp_path / "art"
    studio_folder(src)
    build_from_folder(src, tmp_path / "data", log=lambda _: None)
    models = tmp_path / "models"
    base = make_random_model_dir(models / "base", get_config("test"), native=64, seed=3, license="MIT (test base)")
    cfg = TrainConfig(config="test", batch=8, kimg=2.0, init=str(base), freeze_blocks=1, d_warmup_kimg=0.4,
                      log_every=1000, sample_every=10**6, checkpoint_every=10**6, lr_g=1e-3, lr_d=1e-3)
    run = train(tmp_path / "data", tmp_path / "run", cfg, model_name="studio-slimes", model_version="0.1.0")
    assert all(not p.requires_grad for p in run.G.blocks[0].parameters())   # the early block stayed frozen
    tuned = run.run_dir / "model"
    manifest, _ = load_generator(tuned)
    assert manifest.name == "studio-slimes" and manifest.extra["derived_from"]["name"] == "base"
    assert "derived from base" in manifest.license and "MIT (test base)" in manifest.license

    net = load_efficientnet(EVAL_BACKBONE)
    rng = np.random.default_rng(1)
    real = torch.from_numpy(np.stack([np.asarray(Image.fromarray(blob(rng)).resize((64, 64))) for _ in range(16)]))
    target = pooled_features(net, real.permute(0, 3, 1, 2)).mean(0)

    def distance(model_dir: Path) -> float:
        _, g = load_generator(model_dir)
        images = to_rgba8(generate(g, ["slimes slime"] * 16, [1] * 16, list(range(16)), 64), False)
        return float((pooled_features(net, images.permute(0, 3, 1, 2)).mean(0) - target).norm())

    assert distance(tuned) < 0.8 * distance(base)

    import shutil

    shutil.copytree(tuned, models / "studio")                                   # served beside the base
    assert set(discover_models(models)) == {"base", "studio-slimes"}
    shutil.copytree(base, models / "base-copy")                                 # the same name twice: refused
    with pytest.raises(ValueError, match="both named 'base'"):
        discover_models(models)
