#!/usr/bin/env bash
# "activate" from the speech encoder: the candidate that hears real people better than the shipped
# models/activate, and synthesized voices worse (bench/RESULTS.md, encoder). Not the shipped model.
#   npm run build && bash bench/encoder/activate.sh [OUT] [WORK]
# Per seed (SEEDS, default "1 2 3"): train --from models/encoder on the TTS clips of bench/train-default.sh
# (same voices left out, same commands and CTC head) with real negatives, 10 epochs (TTS_EPOCHS) at lr 0.001; then
# 15 more from that model (--init-from) with the course's 7 recordings of "activate" listed 10 times,
# as the 20-clip protocol of bench/real/train.sh. The networks become one ensemble, whose threshold
# is set on the train files of ../shared/data/real's speech/ at TARGET_FA (default 1) per hour.
# ~13 min per seed on 2 cores (two seeds at once: ~5.5 + 7 min each). Needs ../shared/data/course and
# ../shared/data/real; bench/real/activate.sh and bench/train-heldout.sh score the result.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-bench/models/encoder/activate}
WORK=${2:-${TMPDIR:-/tmp}/rnn-wake-activate-encoder}
COURSE=${COURSE:-../shared/data/course}
REAL=${REAL:-../shared/data/real}
REAL_WORK=${REAL_WORK:-${TMPDIR:-/tmp}/rnn-wake-real}
NOT_TRAINING="$(cat bench/heldout-voices.txt),$(cat bench/calibration-voices.txt)"
COMMANDS="lights on off play music stop"
rw() { node bin/run.js "$@"; }
if [ ! -d "$COURSE/activates" ] || [ ! -d "$REAL/words" ]; then echo "bench/encoder/activate.sh: $COURSE or $REAL is absent; skipped"; exit 0; fi
node bench/real/prepare.mjs "$REAL_WORK" "$REAL"
mkdir -p "$WORK"
[ -d "$WORK/activates" ] || rw tts --engine espeak activate --count 600 --seed 1 --exclude-voices "$NOT_TRAINING" --out "$WORK/activates"
[ -d "$WORK/negatives" ] || rw tts --engine espeak --negatives-for activate --count 1200 --seed 2 --exclude-voices "$NOT_TRAINING" --out "$WORK/negatives"
# shellcheck disable=SC2086
[ -d "$WORK/commands" ] || rw tts --engine espeak $COMMANDS --count 80 --seed 3 --exclude-voices "$NOT_TRAINING" --out "$WORK/commands"
SOURCES=(--activates "$WORK/activates" --negatives "$WORK/negatives")
for word in $COMMANDS; do SOURCES+=(--negatives "$WORK/commands/$word"); done
SOURCES+=(--negatives "$COURSE/negatives" --backgrounds "$COURSE/backgrounds"
  --negatives "$REAL_WORK/negatives/train/happy" --negatives "$REAL_WORK/clips/happy/train" --backgrounds "$REAL_WORK/backgrounds/train")
# The 7 recordings are 1% of 600 clips; listed 10 times they are drawn about as often as a tenth.
COURSE_X10="$WORK/course-x10"
if [ ! -d "$COURSE_X10" ]; then
  mkdir -p "$COURSE_X10.tmp"
  for f in "$COURSE"/activates/*.wav; do
    for i in $(seq 1 10); do ln -s "$(readlink -f "$f")" "$COURSE_X10.tmp/$i-$(basename "$f")"; done
  done
  mv "$COURSE_X10.tmp" "$COURSE_X10"
fi
NETWORKS=()
for SEED in ${SEEDS:-1 2 3}; do
  COMMON=(--procedural-backgrounds 30 --snr 0,20 --max-negatives 4 --phrases "lights on,lights off,play music,stop music,stop"
    --phrase-prob 0.3 --ctc-weight 1 --ctc-vocabulary "activate,${COMMANDS// /,}" --epoch-size 640 --batch 16
    --crop-around 0.5 --hard-negative-weight 12 --val-count 96 --val-every 10 --seed "$SEED" --force)
  TTS_NET="$WORK/tts-s$SEED"
  NET="$WORK/course-s$SEED"
  NETWORKS+=("$NET")
  if grep -q '"finished": true' "$NET/rnn-wake.json" 2>/dev/null; then echo "$NET: trained already"; continue; fi
  grep -q '"finished": true' "$TTS_NET/rnn-wake.json" 2>/dev/null ||
    rw train "${SOURCES[@]}" --from models/encoder "${COMMON[@]}" --epochs "${TTS_EPOCHS:-10}" --lr 0.001 --lr-decay 0.9 --out "$TTS_NET"
  rw train "${SOURCES[@]}" --activates "$COURSE_X10" --init-from "$TTS_NET" "${COMMON[@]}" --epochs 15 --lr 0.001 --lr-decay 0.9 --out "$NET"
done
if [ ${#NETWORKS[@]} -eq 1 ]; then rm -rf "$OUT.tmp"; cp -r "${NETWORKS[0]}" "$OUT.tmp"; rm -rf "$OUT"; mv "$OUT.tmp" "$OUT"
else rw ensemble "${NETWORKS[@]}" --out "$OUT" --force --rearm-ratio 0.5; fi
# --force: the speech is shorter than the 3 / TARGET_FA hours --write-threshold asks for (README, Measuring a detector).
rw evaluate --model "$OUT" --negatives "$REAL_WORK/speech/train" --target-fa "${TARGET_FA:-1}" --write-threshold --force
