#!/usr/bin/env bash
# Train the shipped model models/activate with one command:
#   npm run build && bash bench/train-default.sh [OUT] [WORK]
# The default recipe (speech-embedding, src/train/embedding) with a CTC token head for the command
# phrases, from synthesized speech and real non-trigger audio only (no real recording of "activate"):
# - "rnn-wake tts" clips (ENGINES, default espeak: espeak-ng; "all" adds SVOX Pico and GnuSpeech in
#   turn, which on "activate" missed more real recordings, bench/RESULTS.md): the trigger (600),
#   negatives made for it (1,200: look-alike words such as deactivate and captivate, and common
#   words) and the command words (80 each). The voices of bench/heldout-voices.txt and
#   bench/calibration-voices.txt stay out.
# - When ../shared/data/real is present: real people saying other words, from its training halves
#   (bench/real/prepare.mjs; the "happy" list, which holds every other word's train half).
# - The shipped real-speech bank (data/speech-bank) as negatives, and its calibration part to set
#   the threshold (both inside "train" by default).
# SEEDS networks (default 1 2 3; MINE rounds of hard-negative mining each, default 2) are averaged by
# "rnn-wake ensemble", which sets the ensemble's threshold on the calibration bank again.
# A network already trained in WORK/networks is kept (delete it to retrain).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-models/activate}
WORK=${2:-${TMPDIR:-/tmp}/rnn-wake-train-default}
REAL=${REAL:-../shared/data/real}
REAL_WORK=${REAL_WORK:-${TMPDIR:-/tmp}/rnn-wake-real}
SEEDS=${SEEDS:-1 2 3}
ENGINES=${ENGINES:-espeak}
MINE=${MINE-2}
COMMANDS="lights on off play music stop"
PHRASES="lights on,lights off,play music,stop music,stop"
NOT_TRAINING="$(cat bench/heldout-voices.txt),$(cat bench/calibration-voices.txt)"
rw() { node bin/run.js "$@"; }

mkdir -p "$WORK/networks"
[ -d "$WORK/activates" ] || rw tts activate --count 600 --seed 1 --engine "$ENGINES" --exclude-voices "$NOT_TRAINING" --out "$WORK/activates"
[ -d "$WORK/negatives" ] || rw tts --negatives-for activate --count 1200 --seed 2 --engine "$ENGINES" --exclude-voices "$NOT_TRAINING" --out "$WORK/negatives"
# shellcheck disable=SC2086
[ -d "$WORK/commands" ] || rw tts $COMMANDS --count 80 --seed 3 --engine "$ENGINES" --exclude-voices "$NOT_TRAINING" --out "$WORK/commands"
SOURCES=(--activates "$WORK/activates" --negatives "$WORK/negatives")
for word in $COMMANDS; do SOURCES+=(--negatives "$WORK/commands/$word"); done
if [ -d "$REAL/words" ]; then
  node bench/real/prepare.mjs "$REAL_WORK" "$REAL" > /dev/null
  SOURCES+=(--negatives "$REAL_WORK/negatives/train/happy")
fi
NETWORKS=()
for seed in $SEEDS; do
  net="$WORK/networks/seed-$seed"
  NETWORKS+=("$net")
  [ -f "$net/rnn-wake.json" ] && { echo "$net: trained already"; continue; }
  rw train "${SOURCES[@]}" --trigger activate --phrases "$PHRASES" --seed "$seed" --data-seed 1 --mine "${MINE:-0}" --networks 1 --steps "${STEPS:-1200}" --out "$net"
done
rw ensemble "${NETWORKS[@]}" --out "$OUT" --force
