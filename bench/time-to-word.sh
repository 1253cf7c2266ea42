#!/usr/bin/env bash
# Time to a new word from TTS alone, with train's defaults (issue 26's goal: <= 5 minutes on 2 cores):
#   npm run build && bash bench/time-to-word.sh [WORK]
# ENGINES (default espeak; "all" as the README recommends) goes to tts --engine. The examples are
# embedded afresh (--no-cache), as on a first run.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-${TMPDIR:-/tmp}/rnn-wake-time-to-word}
rm -rf "$WORK/clips" "$WORK/model"
mkdir -p "$WORK"
now() { date +%s.%N; }
rw() { node bin/run.js "$@"; }
s=$(now)
rw tts "hey nova" --count 600 --engine "${ENGINES:-espeak}" --out "$WORK/clips/trigger" > /dev/null
t1=$(now)
rw tts --negatives-for "hey nova" --count 1200 --engine "${ENGINES:-espeak}" --out "$WORK/clips/negatives" > /dev/null
t2=$(now)
rw train --activates "$WORK/clips/trigger" --negatives "$WORK/clips/negatives" --trigger "hey nova" --no-cache --out "$WORK/model" 2> "$WORK/train.log"
t3=$(now)
node -e 'const [s, a, b, c] = process.argv.slice(1).map(Number); console.log(`tts ${(a - s).toFixed(0)} s, negatives ${(b - a).toFixed(0)} s, train ${(c - b).toFixed(0)} s: ${(c - s).toFixed(0)} s in all`)' "$s" "$t1" "$t2" "$t3"
grep -E '^threshold' "$WORK/train.log"
