#!/usr/bin/env bash
# The rnn-wake side of the openWakeWord comparison: one model per phrase,
# trained by our own recipe from clips the project makes itself, never hearing
# the held-out voices the benchmark's triggers are spoken by
# (heldout-voices.txt: espeak variants, excluded in every accent).
#
#   bash bench/openwakeword/train.sh            # both phrases
#   bash bench/openwakeword/train.sh alexa      # one
#   EPOCHS=4 bash bench/openwakeword/train.sh   # a shorter run
#
# Writes bench/out/openwakeword/train/<phrase>/{triggers,negatives} (clips) and
# bench/out/openwakeword/models/<phrase> (the model directories run.mjs loads by
# default). Budget: about 25 minutes of training per phrase on a shared
# 2-core machine (EPOCHS x EPOCH_SIZE examples): the recipe of models/activate
# (bench/train-default.sh: more negative words per example, hard negatives
# weighted 5x) without its CTC head. Same commands, same models:
# every step is seeded (training wall time varies, the result does not).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
HELDOUT="$(cat bench/openwakeword/heldout-voices.txt)"
OUT=bench/out/openwakeword
EPOCHS="${EPOCHS:-24}"
HARD_NEGATIVE_WEIGHT="${HARD_NEGATIVE_WEIGHT:-5}"
CLASS_WEIGHT="${CLASS_WEIGHT:-1}"
LR_DECAY="${LR_DECAY:-0.9}"
SPEED="${SPEED-0.9,1.1}"
MODELS="${MODELS:-$OUT/models}"
EPOCH_SIZE="${EPOCH_SIZE:-640}"
COURSE_BG=../shared/data/course/backgrounds
BG=()
[ -d "$COURSE_BG" ] && BG=(--backgrounds "$COURSE_BG")
RUN=(nice -n 10 node bin/run.js)

train_phrase() {
  local phrase="$1" slug="$2" seed="$3"
  local clips="$OUT/train/$slug"
  "${RUN[@]}" tts "$phrase" --count 1500 --exclude-voices "$HELDOUT" --seed "$seed" --out "$clips/triggers" --force
  "${RUN[@]}" tts --negatives-for "$phrase" --count 2000 --exclude-voices "$HELDOUT" --seed "$((seed + 1))" --out "$clips/negatives" --force
  "${RUN[@]}" train --trigger "$phrase" \
    --activates "$clips/triggers" --negatives "$clips/negatives" "${BG[@]}" --procedural-backgrounds 20 \
    --snr=0,20 ${SPEED:+--speed "$SPEED"} --max-negatives 4 --class-weight "$CLASS_WEIGHT" --hard-negative-weight "$HARD_NEGATIVE_WEIGHT" \
    --preset default --epochs "$EPOCHS" --epoch-size "$EPOCH_SIZE" --batch 16 --lr 0.003 --lr-decay "$LR_DECAY" \
    --val-count 64 --target-fa 0.5 --seed "$seed" --workers 1 \
    --out "$MODELS/$slug" --force
}

want="${1:-all}"
if [ "$want" = all ] || [ "$want" = hey-jarvis ]; then train_phrase "hey jarvis" hey-jarvis 101; fi
if [ "$want" = all ] || [ "$want" = alexa ]; then train_phrase "alexa" alexa 201; fi
