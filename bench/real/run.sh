#!/usr/bin/env bash
# The real-voice benchmark: how often a detector misses real people saying its word, against how
# often it fires on real speech that does not say it.
#   npm run build && bash bench/real/run.sh [MODELS] [WORK]
# MODELS (default bench/models/real) holds one model directory per word and protocol, named
# <word>-<protocol> (e.g. computer-tts, computer-real20; bench/real/train.sh makes them); words with
# no model are skipped. Needs ../shared/data/real (REAL=...); without it, says so and exits 0.
# For each word of computer, smart-mirror, snowboy, view-glass and happy:
# - its test/ recordings (never trained on), planted by "rnn-wake synthesize" in 10 s windows of
#   backgrounds made of real speech (the test files of speech/) and noise, among 0-4 real other
#   words (the Speech Commands test half and the other benchmark words' test halves), at a
#   signal-to-background ratio of 5-10 dB and of 10-20 dB (two sets of 100 examples);
# - long real speech that never says it: the test files of speech/ (21 min) and, when present,
#   ../shared/data/realspeech (25 min, one speaker, 8 kHz).
# "rnn-wake evaluate" scores both (FRR against FA/h over thresholds, DET curve; and the FA/h of the
# long speech alone at the model's threshold). Beside them, the same word said by
# held-out TTS voices (bench/heldout-voices.txt, never trained on), planted the same way (100
# examples, 10-20 dB; FA/h over their own non-trigger time). bench/real/report.mjs tabulates.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODELS=${1:-bench/models/real}
WORK=${2:-${TMPDIR:-/tmp}/rnn-wake-real}
REAL=${REAL:-../shared/data/real}
REALSPEECH=${REALSPEECH:-../shared/data/realspeech}
WORDS=${WORDS:-computer smart-mirror snowboy view-glass happy}
RESULTS=${RESULTS:-$WORK/results}
HELD_OUT=${HELD_OUT:-$(cat bench/heldout-voices.txt)}
rw() { node bin/run.js "$@"; }
if [ ! -d "$REAL/words" ]; then echo "bench/real: $REAL is absent; the real-voice benchmark is skipped"; exit 0; fi
node bench/real/prepare.mjs "$WORK" "$REAL"
LONG=(--negatives "$WORK/speech/test")
if [ -d "$REALSPEECH" ]; then LONG+=(--negatives "$REALSPEECH"); fi
mkdir -p "$RESULTS"
seed=7000
for word in $WORDS; do
  SETS=()
  for band in 5,10 10,20; do
    seed=$((seed + 1))
    set="$WORK/test/$word-snr${band/,/-}"
    SETS+=(--data "$set")
    [ -d "$set" ] || rw synthesize --activates "$WORK/clips/$word/test" --negatives "$WORK/negatives/test/$word" \
      --backgrounds "$WORK/backgrounds/test" --trigger "$word" --max-negatives 4 --snr "$band" --count 100 --seed "$seed" --out "$set" > /dev/null
  done
  seed=$((seed + 1))
  tts_set="$WORK/test/$word-tts-heldout"
  [ -d "$WORK/test/$word-tts-clips" ] || rw tts --engine espeak "${word//-/ }" --count 100 --seed 101 --voices "$HELD_OUT" --out "$WORK/test/$word-tts-clips" > /dev/null
  [ -d "$tts_set" ] || rw synthesize --activates "$WORK/test/$word-tts-clips" --negatives "$WORK/negatives/test/$word" \
    --backgrounds "$WORK/backgrounds/test" --trigger "$word" --max-negatives 4 --snr 10,20 --count 100 --seed "$seed" --out "$tts_set" > /dev/null
  for model in "$MODELS/$word"-*; do
    [ -f "$model/rnn-wake.json" ] || continue
    name=$(basename "$model")
    echo "bench/real: $name"
    rw evaluate --model "$model" "${SETS[@]}" "${LONG[@]}" --plot "$RESULTS/$name-det.png" --json > "$RESULTS/$name.json"
    rw evaluate --model "$model" --data "$tts_set" --json > "$RESULTS/$name.tts.json"
  done
done
node bench/real/report.mjs "$RESULTS"
