#!/usr/bin/env bash
# Compare preset candidates for accuracy per CPU-second: each trains for the same budget of
# training-step CPU time (all threads) on the same clips (fresh synthesized examples), then is validated on the
# same 64 held-out-clip 10 s examples. Writes bench/out/presets/<name>.log and prints a table.
#   npm run build && bash bench/presets.sh CLIPS_DIR [BUDGET_MINUTES]
# CLIPS_DIR holds activates/ and negatives/ from "rnn-wake tts" (see bench/train-default.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
CLIPS=$1
BUDGET=${2:-3}
COURSE=${COURSE:-../shared/data/course}
OUTDIR=bench/out/presets
mkdir -p "$OUTDIR"
SOURCES=(--activates "$CLIPS/activates" --negatives "$CLIPS/negatives" --procedural-backgrounds 30 --snr 0,20)
[ -d "$COURSE/activates" ] && SOURCES+=(--activates "$COURSE/activates" --negatives "$COURSE/negatives" --backgrounds "$COURSE/backgrounds")
COMMON=(--epochs 1 --epoch-size 100000 --batch 16 --lr 0.003 --class-weight 1 --crop-around 0.5 --val-count 64 --seed 1 --force --budget-cpu-minutes "$BUDGET")

run() {
  local name=$1; shift
  /usr/bin/time -v node bin/run.js train "${SOURCES[@]}" "${COMMON[@]}" --out "$OUTDIR/model-$name" "$@" > "$OUTDIR/$name.log" 2>&1 || true
  grep -E '^epoch|^Saved|Maximum resident' "$OUTDIR/$name.log" | sed "s/^/$name: /"
}
run course-raw-full --preset course --features raw --crop 0
[ -n "${ALL:-}" ] && run course-log-full --preset course --features log --crop 0
run course-log-crop3 --preset course --features log --crop 3
run default --preset default
