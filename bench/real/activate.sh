#!/usr/bin/env bash
# "activate" said by real people: the course's 7 recordings of the word (2-3 speakers), planted like
# the real-voice benchmark's words (bench/real/run.sh): in backgrounds of real speech and noise plus
# the course's two background recordings, among the course's other words and real words (the test
# halves), at 5-20 dB, 200 examples; with the test files of speech/ and ../shared/data/realspeech
# as long non-trigger speech. The recordings are few, so the figure is coarse; it only means
# something for a model that did not train on them (bench/train-default.sh with COURSE_ACTIVATES=0).
#   npm run build && bash bench/real/activate.sh [MODEL] [WORK]
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${1:-models/activate}
WORK=${2:-${TMPDIR:-/tmp}/rnn-wake-real}
REAL=${REAL:-../shared/data/real}
COURSE=${COURSE:-../shared/data/course}
REALSPEECH=${REALSPEECH:-../shared/data/realspeech}
rw() { node bin/run.js "$@"; }
if [ ! -d "$REAL/words" ] || [ ! -d "$COURSE/activates" ]; then echo "bench/real/activate.sh: $REAL or $COURSE is absent; skipped"; exit 0; fi
node bench/real/prepare.mjs "$WORK" "$REAL"
# merge DIR OURS COURSE_DIR: a folder of links to OURS' WAVs and COURSE_DIR's (prefixed "course-"), made once.
merge() {
  [ -d "$1" ] && return
  mkdir -p "$1.tmp"
  for f in "$2"/*.wav; do ln -s "$(readlink -f "$f")" "$1.tmp/$(basename "$f")"; done
  for f in "$3"/*.wav; do ln -s "$(readlink -f "$f")" "$1.tmp/course-$(basename "$f")"; done
  mv "$1.tmp" "$1"
}
BG="$WORK/backgrounds/test-course"
merge "$BG" "$WORK/backgrounds/test" "$COURSE/backgrounds"
NEG="$WORK/negatives/test/activate"
merge "$NEG" "$WORK/negatives/test/happy" "$COURSE/negatives"
SET="$WORK/test/activate-course"
[ -d "$SET" ] || rw synthesize --activates "$COURSE/activates" --negatives "$NEG" \
  --backgrounds "$BG" --max-negatives 4 --snr 5,20 --count 200 --seed 7100 --out "$SET" > /dev/null
LONG=(--negatives "$WORK/speech/test")
if [ -d "$REALSPEECH" ]; then LONG+=(--negatives "$REALSPEECH"); fi
mkdir -p "$WORK/results-activate"
name=$(basename "$MODEL")
rw evaluate --model "$MODEL" --data "$SET" "${LONG[@]}" --plot "$WORK/results-activate/$name-det.png" --json > "$WORK/results-activate/$name.json"
node bench/real/report-activate.mjs "$WORK/results-activate/$name.json"
