#!/usr/bin/env bash
# Train the shipped model models/activate with one command (17 minutes on a shared 2-core machine):
#   npm run build && bash bench/train-default.sh [OUT] [WORK]
# Trigger and negative clips come from "rnn-wake tts" (espeak-ng, offline), speaking with every
# voice variant except HELD_OUT, which bench/train-heldout.sh keeps for the held-out test. The
# course recordings (../shared/data/course) are added when present.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-models/activate}
WORK=${2:-${TMPDIR:-/tmp}/rnn-wake-train}
COURSE=${COURSE:-../shared/data/course}
HELD_OUT=${HELD_OUT:-$(cat bench/heldout-voices.txt)}
EPOCHS=${EPOCHS:-18}
rw() { node bin/run.js "$@"; }

mkdir -p "$WORK"
[ -d "$WORK/activates" ] || rw tts activate --count 600 --seed 1 --exclude-voices "$HELD_OUT" --out "$WORK/activates"
[ -d "$WORK/negatives" ] || rw tts --negatives-for activate --count 1200 --seed 2 --exclude-voices "$HELD_OUT" --out "$WORK/negatives"

SOURCES=(--activates "$WORK/activates" --negatives "$WORK/negatives")
if [ -d "$COURSE/activates" ]; then
  SOURCES+=(--activates "$COURSE/activates" --negatives "$COURSE/negatives" --backgrounds "$COURSE/backgrounds")
fi

rw train "${SOURCES[@]}" --procedural-backgrounds 30 --snr 0,20 \
  --preset default --epochs "$EPOCHS" --epoch-size 640 --batch 16 --lr 0.003 --lr-decay 0.85 --crop-around 0.5 --class-weight 1 \
  --val-count 96 --seed 1 --force --out "$OUT"
