#!/usr/bin/env bash
# Item 3's levers at a small fixed budget: one word, TTS only, three seeds each, scored by the
# real-voice benchmark (bench/real/run.sh) beside held-out TTS voices.
#   npm run build && bash bench/embedding/ablation.sh [OUT] [WORK]
# Each lever is the default recipe with one change (LEVERS picks them, default all):
#   base      the default recipe (context words 0-2, the 2.85 h bank, no mining, espeak clips)
#   mine2     train --mine 2 (two rounds of hard-negative mining on the bank)
#   ctx0      train --context-words 0 (the word alone in its example, no other words before it)
#   nobank    train --bank none (no real speech: crops and prefixes from the negative examples)
#   engines   clips of the word and of other words from espeak, svox and gnuspeech (tts --engine all)
#   augment   train --augment all (speed, eq and reverb on every example's audio)
#   speed     train --augment speed (speed perturbation only)
# Models go to OUT/<lever>/<word>-s<seed>-tts, results to OUT/<lever>/results; then
# node bench/embedding/report.mjs OUT/<lever>/results for each.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-${TMPDIR:-/tmp}/rnn-wake-ablation}
WORK=${2:-${TMPDIR:-/tmp}/rnn-wake-real}
export WORDS=${WORDS:-computer} SEEDS=${SEEDS:-1 2 3} PROTOCOLS=tts ENSEMBLE=1
for lever in ${LEVERS:-base mine2 ctx0 nobank engines augment}; do
  flags=''; root="$WORK/tts"; engines=espeak
  case $lever in
    base) ;;
    mine2) flags='--mine 2' ;;
    ctx0) flags='--context-words 0' ;;
    nobank) flags='--bank none' ;;
    engines) root="$WORK/tts-all"; engines=all ;;
    augment) flags='--augment all' ;;
    speed) flags='--augment speed' ;;
    *) echo "bench/embedding/ablation: unknown lever $lever" >&2; exit 2 ;;
  esac
  mkdir -p "$OUT/$lever"
  echo "bench/embedding/ablation: $lever"
  TRAIN_FLAGS="$flags" TTS_ROOT="$root" TTS_ENGINES="$engines" RESULTS="$OUT/$lever/results" bash bench/embedding/real.sh "$OUT/$lever" "$WORK"
done
