#!/usr/bin/env bash
# One-shot GPU check for a session that has a GPU: the tests in tests/gpu/ (graph replay == eager
# per bucket, quantized >= 35 dB, batch invariance, no memory growth), then `assetgen bench
# --device cuda`, and one JSON report. Budget: under 6 minutes in all (each step has a timeout).
#
#   scripts/gpu_check.sh                      # on the GPU machine; report in $OUT, else ./gpu_report
#   DEVICE=cpu scripts/gpu_check.sh           # quick CPU run of the same steps (gpu tests skip)
#
# Env: DEVICE (cuda|cpu, default cuda), OUT (report folder), MODELS/MODEL (bench model; default
# models/assetgen-tiny, or a random tiny model when it is missing), SECONDS_PER_RUN (bench),
# PYTHON (interpreter with torch; default .venv/bin/python, else python).
set -uo pipefail
cd "$(dirname "$0")/.."

DEVICE=${DEVICE:-cuda}
REPORT_DIR=${OUT:-./gpu_report}
MODELS=${MODELS:-models}
MODEL=${MODEL:-assetgen-tiny}
# PYTHON wins; else the checkout's venv; else `python` (on a GPU machine: the one with CUDA torch).
PY=${PYTHON:-}
if [ -z "$PY" ]; then if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python; fi; fi
mkdir -p "$REPORT_DIR"
started=$(date +%s)

if [ "$DEVICE" = cuda ]; then
  SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
  BENCH=(--device cuda --seconds "$SECONDS_PER_RUN" --concurrency 1,8,64 --precisions fp32,bf16,int8,fp8)
  nvidia-smi > "$REPORT_DIR/nvidia-smi.txt" 2>&1 || echo "nvidia-smi not found" > "$REPORT_DIR/nvidia-smi.txt"
else
  SECONDS_PER_RUN=${SECONDS_PER_RUN:-0.5}
  BENCH=(--device cpu --seconds "$SECONDS_PER_RUN" --concurrency 1,4 --precisions fp32,bf16)
fi

echo "== tests/gpu ($DEVICE)"
timeout 180 "$PY" -m pytest -q -m gpu tests/gpu --junitxml="$REPORT_DIR/gpu_tests.xml" 2>&1 | tee "$REPORT_DIR/gpu_tests.log"
tests_rc=${PIPESTATUS[0]}

echo "== assetgen bench ${BENCH[*]}"
timeout 240 "$PY" -m plugin_service.bench --models "$MODELS" --model "$MODEL" --kind sprite --size 64 \
  "${BENCH[@]}" --out "$REPORT_DIR/bench.json" 2>&1 | tee "$REPORT_DIR/bench.log"
bench_rc=${PIPESTATUS[0]}

"$PY" - "$REPORT_DIR" "$DEVICE" "$tests_rc" "$bench_rc" "$(( $(date +%s) - started ))" <<'PYEOF'
import json, sys, xml.etree.ElementTree as ET
from pathlib import Path
out, device, tests_rc, bench_rc, seconds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
tests = {"rc": tests_rc}
try:
    suite = ET.parse(out / "gpu_tests.xml").getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    tests.update({k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")})
except (OSError, ET.ParseError) as e:
    tests["error"] = f"no junit report: {e}"
bench_path = out / "bench.json"
bench = json.loads(bench_path.read_text()) if bench_path.exists() else None
report = {"device": device, "seconds": seconds, "tests": tests, "bench_rc": bench_rc, "bench": bench,
          "targets": bench["targets"] if bench else [],
          # A no-op test run (rc 5: nothing collected) is not a pass on a GPU machine.
          "ok": tests_rc == 0 and bench_rc == 0}
(out / "gpu_report.json").write_text(json.dumps(report, indent=2) + "\n")
print(f"== report {out / 'gpu_report.json'}: ok={report['ok']} in {seconds} s; tests {tests}")
for t in report["targets"]:
    print(f"   {'PASS' if t['met'] else 'MISS'} {t['target']}: {t['value']:.3f}")
sys.exit(0 if report["ok"] else 1)
PYEOF
