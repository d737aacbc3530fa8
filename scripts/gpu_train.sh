#!/usr/bin/env bash
# Train a larger generator on the lent GPU machine, in one short run that reports whatever happens.
#
# Here, once (needs the data folder and the training extra):
#   python -m plugin_service.training.data_pack --data data/v4 --out runs/gpu_pack --augment-captions --backbone --guide
# (about 43 MiB: images, caption embeddings, the projected discriminator's backbone in bf16 and its
# code, the guide classifier; under the device tool's 64 MiB carry limit). It trains with the shipped
# default's loss weights (gpu_train.RECIPE). Then the device tool's `run`:
#   command "bash scripts/gpu_train.sh", carry ["runs/gpu_pack"], timeout_s 420
# It uses the machine's own python3 and torch (nothing is installed there), code from PYTHONPATH,
# no text encoder; training takes MINUTES (default 4) of wall time, then export (bf16, every file
# under 16 MiB) and a first evaluation, about 5 minutes in all. Results: $OUT/gpu_train/
# (gpu_train.json, model/). Exit 0 = trained and exported; 2 = no CUDA (the report says so).
# Afterwards, here: assetgen eval <returned>/model --data data/v4
#
# Environment: PACK (runs/gpu_pack), OUT ($OUT or ./gpu_report), MINUTES (4), PYTHON (python3).
# Extra arguments go to plugin_service.training.gpu_train (e.g. --smoke --max-steps 2 for the CPU check).
set -u
cd "$(dirname "$0")/.."
PACK=${PACK:-runs/gpu_pack}
OUT=${OUT:-gpu_report}
MINUTES=${MINUTES:-4}
PY=${PYTHON:-python3}
if [ ! -f "$PACK/pack.json" ]; then
  echo "no training pack at $PACK: make it here with python -m plugin_service.training.data_pack (see this script's header)" >&2
  exit 2
fi
rm -rf "$OUT/gpu_train"          # never report an earlier run's files as this one's
mkdir -p "$OUT/gpu_train"
# Setup, export and evaluation take about a minute on top of the training time.
LIMIT=$("$PY" -c "import math,sys; print(int(math.ceil(float(sys.argv[1]) * 60)) + 90)" "$MINUTES")
PYTHONPATH="$PWD:$PACK/site${PYTHONPATH:+:$PYTHONPATH}" timeout -k 10 "$LIMIT" \
  "$PY" -m plugin_service.training.gpu_train --pack "$PACK" --out "$OUT/gpu_train" --minutes "$MINUTES" "$@"
rc=$?
[ $rc -eq 124 ] && echo "gpu_train: stopped after ${LIMIT}s; $OUT/gpu_train/gpu_train.json has what finished" >&2
exit $rc
