#!/usr/bin/env bash
# One-shot GPU check for a session that has a GPU, in one try with a report whatever happens:
# environment first (stops with exit 2 and says why when DEVICE=cuda and torch sees no GPU), then
# tests/gpu (every test under a 60 s timeout), then `assetgen bench --device cuda`; the JSON report
# is rewritten after every step. Whole run: under 5 minutes (150 s tests + 120 s bench + setup).
#
# Here, once:   python scripts/gpu_prepare.py --out runs/gpu_site
#               (wheels the lent machine lacks, unpacked, and the bench's prompt embeddings)
# There:        the device tool's run: command "bash scripts/gpu_check.sh", carry ["runs/gpu_site"],
#               timeout_s 330. It runs with that machine's python3 and torch, code from PYTHONPATH,
#               nothing installed.
# On the CPU:   DEVICE=cpu scripts/gpu_check.sh (a quick run of the same steps; the GPU tests skip)
#
# Env: DEVICE (cuda|cpu, default cuda), OUT (report folder; default $OUT or ./gpu_report), SITE
# (runs/gpu_site), MODELS/MODEL (bench model; default models/assetgen-tiny), SECONDS_PER_RUN
# (bench), PYTHON (default python3 there; here the checkout's .venv when it exists).
set -uo pipefail
cd "$(dirname "$0")/.."

DEVICE=${DEVICE:-cuda}
REPORT_DIR=${OUT:-./gpu_report}
SITE=${SITE:-runs/gpu_site}
MODELS=${MODELS:-models}
MODEL=${MODEL:-assetgen-tiny}
PY=${PYTHON:-}
if [ -z "$PY" ]; then if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi; fi
started=$(date +%s)

# Old reports never pass for this run's.
mkdir -p "$REPORT_DIR"
rm -f "$REPORT_DIR"/gpu_report.json "$REPORT_DIR"/gpu_tests.xml "$REPORT_DIR"/gpu_tests.log \
      "$REPORT_DIR"/bench.json "$REPORT_DIR"/bench.log "$REPORT_DIR"/nvidia-smi.txt
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
[ -d "$SITE/site" ] && export PYTHONPATH="$SITE/site:$PYTHONPATH"
[ -f "$SITE/embeddings.safetensors" ] && export ASSETGEN_TEXT_ENCODER="$SITE/embeddings.safetensors"

timeout 60 "$PY" scripts/gpu_report.py env "$REPORT_DIR" "$DEVICE" || exit $?

if [ "$DEVICE" = cuda ]; then
  SECONDS_PER_RUN=${SECONDS_PER_RUN:-2}
  BENCH=(--device cuda --seconds "$SECONDS_PER_RUN" --concurrency 1,8,64 --precisions fp32,bf16,int8,fp8)
  nvidia-smi > "$REPORT_DIR/nvidia-smi.txt" 2>&1 || echo "nvidia-smi not found" > "$REPORT_DIR/nvidia-smi.txt"
else
  SECONDS_PER_RUN=${SECONDS_PER_RUN:-0.5}
  BENCH=(--device cpu --seconds "$SECONDS_PER_RUN" --concurrency 1,4 --precisions fp32,bf16)
fi

echo "== tests/gpu ($DEVICE)"
timeout -k 5 150 "$PY" -m pytest -q -p no:cacheprovider -m gpu tests/gpu -o timeout=60 \
  --junitxml="$REPORT_DIR/gpu_tests.xml" 2>&1 | tee "$REPORT_DIR/gpu_tests.log"
"$PY" scripts/gpu_report.py tests "$REPORT_DIR" "${PIPESTATUS[0]}"

echo "== assetgen bench ${BENCH[*]}"
timeout -k 5 120 "$PY" -m plugin_service.tools.bench --models "$MODELS" --model "$MODEL" --kind sprite --size 64 \
  "${BENCH[@]}" --rounds 1 --out "$REPORT_DIR/bench.json" 2>&1 | tee "$REPORT_DIR/bench.log"
"$PY" scripts/gpu_report.py bench "$REPORT_DIR" "${PIPESTATUS[0]}"

"$PY" scripts/gpu_report.py final "$REPORT_DIR" "$(( $(date +%s) - started ))"
