#!/usr/bin/env bash
# Joint trigger + CTC training against the trigger head alone (issue 5), on the same TTS clips, seed
# and budget, scored on held-out trigger + command phrases spoken by voices not used in training:
#   npm run build && bash bench/ctc-wer.sh [WORK]
# Writes the "ctc" section of bench/RESULTS.md. Steps whose output exists are skipped, so a rerun
# after an interruption continues. EPOCHS and EPOCH_SIZE override the budget; CTC_WEIGHTS lists the
# joint runs' weights (each trained like the --ctc-weight 0 baseline, with the same examples).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-${TMPDIR:-/tmp}/rnn-wake-ctc}
HELD_OUT=${HELD_OUT:-$(cat bench/heldout-voices.txt)}
WORDS="activate lights on off play music stop"
PHRASES=${PHRASES:-"lights on,lights off,play music,stop music,stop"}
EPOCHS=${EPOCHS:-14}
EPOCH_SIZE=${EPOCH_SIZE:-640}
CTC_WEIGHTS=${CTC_WEIGHTS:-"1 0.2"}
rw() { node bin/run.js "$@"; }
finished() { [ -f "$1/training.json" ] && node -e "process.exit(require('$1/training.json').finished?0:1)"; }

mkdir -p "$WORK"
# shellcheck disable=SC2086
[ -d "$WORK/words" ] || rw tts --engine espeak $WORDS --count 150 --seed 1 --exclude-voices "$HELD_OUT" --out "$WORK/words"
# shellcheck disable=SC2086
[ -d "$WORK/heldout-words" ] || rw tts --engine espeak $WORDS --count 40 --seed 9 --voices "$HELD_OUT" --out "$WORK/heldout-words"
[ -d "$WORK/backgrounds" ] || node bench/make-backgrounds.mjs "$WORK/backgrounds" 10 777

# The same data, seed and examples for both; only --ctc-weight differs.
COMMON=(--words "$WORK/words" --trigger activate --phrases "$PHRASES" --phrase-prob 0.8 --procedural-backgrounds 20 --snr 0,20
  --preset default --crop 4 --epochs "$EPOCHS" --epoch-size "$EPOCH_SIZE" --batch 16 --lr 0.003 --lr-decay 0.85 --crop-around 0.5
  --val-count 64 --seed 1 --force)
for weight in $CTC_WEIGHTS 0; do
  name=w$weight
  if ! finished "$WORK/model-$name"; then
    start=$(date +%s)
    rw train "${COMMON[@]}" --ctc-weight "$weight" --out "$WORK/model-$name" 2> "$WORK/train-$name.err" | tee "$WORK/train-$name.log"
    echo $(( $(date +%s) - start )) > "$WORK/train-$name.seconds"
  fi
done

[ -d "$WORK/heldout-set" ] || rw synthesize --words "$WORK/heldout-words" --trigger activate --phrases "$PHRASES" --phrase-prob 1 \
  --backgrounds "$WORK/backgrounds" --count 60 --seed 4242 --out "$WORK/heldout-set"
for weight in $CTC_WEIGHTS 0; do
  rw evaluate --model "$WORK/model-w$weight" --data "$WORK/heldout-set" --json > "$WORK/eval-w$weight.json"
done
# shellcheck disable=SC2086
node bench/ctc-wer-report.mjs "$WORK" "$PHRASES" "$EPOCHS" "$EPOCH_SIZE" $CTC_WEIGHTS 0
