#!/usr/bin/env bash
# A newcomer's walk (issue 27), the slow half of what test/readme-commands, test/no-recordings and
# test/exit-codes check quickly: README's quickstart; a custom word from nothing but the embedded TTS
# through synthesize, train (no recordings, no backgrounds), evaluate and detect; then the mistakes a
# newcomer makes, each of which must be one "rnn-wake: " line with the exit code README's table gives.
# Usage: npm run build && bash bench/newcomer-walk.sh [WORK]   (EPOCHS, EPOCH_SIZE to train longer)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/rnn-wake-newcomer}
rm -rf "$WORK"
mkdir -p "$WORK"
rw() { node bin/run.js "$@"; }
step() { echo; echo "== rnn-wake $*"; rw "$@"; }

expect_error() {
  local code=$1
  shift
  local out got
  set +e
  out=$(rw "$@" 2>&1 >/dev/null)
  got=$?
  set -e
  # One error line, the last thing said (a command may have said what it was doing before it).
  local errors last
  errors=$(printf '%s\n' "$out" | grep -c '^rnn-wake: ' || true)
  last=$(printf '%s\n' "$out" | tail -1)
  if [[ $got != "$code" || $errors != 1 || $last != "rnn-wake: "* ]]; then
    echo "FAIL: rnn-wake $* exited $got (expected $code) with: $out"
    exit 1
  fi
  echo "ok ($code): rnn-wake $* -> $last"
}

SECONDS=0
step detect data/demo/activate-demo.wav --chime "$WORK/demo-chime.wav" --plot "$WORK/demo.png"
step tts --engine espeak "hey nova" --count 60 --out "$WORK/clips/trigger" --exclude-voices en-us+f2,en-029
step tts --engine espeak --negatives-for "hey nova" --count 120 --out "$WORK/clips/negatives"
step tts --engine espeak "hey nova" --count 20 --out "$WORK/clips/trigger-unseen" --voices en-us+f2,en-029
step synthesize --activates "$WORK/clips/trigger-unseen" --negatives "$WORK/clips/negatives" --trigger "hey nova" \
  --count 60 --seed 2 --out "$WORK/datasets/test"
step train --activates "$WORK/clips/trigger" --negatives "$WORK/clips/negatives" --trigger "hey nova" \
  --epochs "${EPOCHS:-3}" --epoch-size "${EPOCH_SIZE:-256}" --out "$WORK/models/hey-nova"
step evaluate --model "$WORK/models/hey-nova" --data "$WORK/datasets/test" --plot "$WORK/det.png"
step detect "$WORK/datasets/test/00000.wav" --model "$WORK/models/hey-nova"
echo
echo "== mistakes"
expect_error 2 detect data/demo/activate-demo.wav --thresold 0.5
expect_error 2 detcet data/demo/activate-demo.wav
expect_error 2 train --epochs many --out "$WORK/never"
expect_error 2 evaluate --model "$WORK/models/hey-nova" --data "$WORK/datasets/test" --target-fa 0.5 --write-threshold
expect_error 3 detect "$WORK/no-such.wav"
expect_error 4 detect data/demo/activate-demo.wav --model "$WORK/no-such-model"
expect_error 6 tts activate --count 1 --out "$WORK/clips/trigger"
expect_error 6 synthesize --activates "$WORK/clips/trigger" --negatives "$WORK/clips/negatives" --count 1 --out "$WORK/clips"
echo
echo "newcomer walk passed in ${SECONDS} s; PNGs to look at: $WORK/demo.png $WORK/det.png $WORK/models/hey-nova/training-curve.png"
