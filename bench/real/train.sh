#!/usr/bin/env bash
# Train a detector for one word of the real-voice benchmark (bench/real/run.sh scores it).
#   npm run build && bash bench/real/train.sh WORD PROTOCOL [OUT] [WORK]
# WORD: computer, smart-mirror, snowboy, view-glass or happy. PROTOCOL:
# - tts: the model never hears a real recording of its word: its clips come from "rnn-wake tts"
#   (voices of bench/heldout-voices.txt and bench/calibration-voices.txt left out); real recordings
#   of other words (the Speech Commands train half, the other benchmark words' train halves) are
#   negatives and the train files of speech/ are backgrounds, when REAL_NEGATIVES=1 (default).
# - real20: the same plus 20 recordings of the word from its train/ half (what a user has after
#   "rnn-wake record --count 20"), each listed REAL_COPIES times (default 10) so they make about a
#   quarter of the triggers drawn instead of 3%. When the word's tts model exists (INIT, default
#   bench/models/real/WORD-tts), it starts from its weights and trains FINE_EPOCHS (default 15) more
#   epochs at a lower rate: what a user does after recording, minutes instead of a new training.
# The test/ half of every word is never used here. The defaults are the recipe of the models in
# bench/models/real and bench/RESULTS.md (section real-voices: real negatives on, no augmentation,
# 30 epochs; ~15 min on 2 cores, the real20 fine-tune ~6 min). Knobs (environment): EPOCHS, LR_DECAY, AUGMENT
# (train --augment), MAX_HZ (train --max-hz), REAL_NEGATIVES, ENGINE (tts --engine), SEED, TRIGGER_COUNT,
# NEGATIVE_COUNT, FROM (train --from: a pretrained encoder such as models/encoder; the tts protocol, or
# real20 with INIT=none, then trains FROM_EPOCHS, default 10, at lr 0.001), FREEZE=1 (train --freeze) and MINED (a folder of
# hard negatives from bench/real/mine.mjs, listed MINED_COPIES times, default 10); TRAIN_FLAGS are
# added to the train command as they are (e.g. "--speed 0.9,1.1").
set -euo pipefail
cd "$(dirname "$0")/../.."
WORD=$1
PROTOCOL=$2
OUT=${3:-bench/models/real/$WORD-$PROTOCOL}
WORK=${4:-${TMPDIR:-/tmp}/rnn-wake-real}
REAL=${REAL:-../shared/data/real}
NOT_TRAINING="$(cat bench/heldout-voices.txt),$(cat bench/calibration-voices.txt)"
TEXT=${WORD//-/ }
ENGINE_FLAG=()
TTS_DIR="$WORK/tts/$WORD"
if [ -n "${ENGINE:-}" ]; then ENGINE_FLAG=(--engine "$ENGINE"); TTS_DIR="$WORK/tts-${ENGINE//,/+}/$WORD"; fi
rw() { node bin/run.js "$@"; }
case "$PROTOCOL" in tts | real20) ;; *) echo "PROTOCOL must be tts or real20" >&2; exit 2 ;; esac
if [ ! -d "$REAL/words" ]; then echo "bench/real: $REAL is absent; nothing to train for the real-voice benchmark"; exit 0; fi
node bench/real/prepare.mjs "$WORK" "$REAL"

[ -d "$TTS_DIR/trigger" ] || rw tts --engine espeak "$TEXT" --count "${TRIGGER_COUNT:-600}" --seed 1 --exclude-voices "$NOT_TRAINING" "${ENGINE_FLAG[@]}" --out "$TTS_DIR/trigger"
[ -d "$TTS_DIR/negatives" ] || rw tts --engine espeak --negatives-for "$TEXT" --count "${NEGATIVE_COUNT:-1200}" --seed 2 --exclude-voices "$NOT_TRAINING" "${ENGINE_FLAG[@]}" --out "$TTS_DIR/negatives"
SOURCES=(--activates "$TTS_DIR/trigger" --negatives "$TTS_DIR/negatives")
if [ "${REAL_NEGATIVES:-1}" = 1 ]; then SOURCES+=(--negatives "$WORK/negatives/train/$WORD" --backgrounds "$WORK/backgrounds/train"); fi
# weighted SRC COPIES DEST: DEST lists each WAV of SRC COPIES times (links), so a few clips are drawn
# as often as a folder COPIES times their number.
weighted() {
  if [ ! -d "$3" ]; then
    mkdir -p "$3"
    for f in "$1"/*.wav; do
      for i in $(seq 1 "$2"); do ln -s "$(readlink -f "$f")" "$3/$i-$(basename "$f")"; done
    done
  fi
}
if [ "$PROTOCOL" = real20 ]; then
  COPIES=${REAL_COPIES:-10}
  weighted "$WORK/real-20/$WORD" "$COPIES" "$WORK/real-20-x$COPIES/$WORD"
  SOURCES+=(--activates "$WORK/real-20-x$COPIES/$WORD")
fi
if [ -n "${MINED:-}" ]; then
  # Hard negatives cut by bench/real/mine.mjs from the train files of speech/, weighted like the
  # real clips.
  weighted "$MINED" "${MINED_COPIES:-10}" "$MINED-x${MINED_COPIES:-10}"
  SOURCES+=(--negatives "$MINED-x${MINED_COPIES:-10}")
fi
SCHEDULE=(--epochs "${EPOCHS:-30}" --lr 0.003 --lr-decay "${LR_DECAY:-0.93}")
FRONT=(--preset default)
if [ -n "${MAX_HZ:-}" ]; then FRONT+=(--max-hz "$MAX_HZ"); fi
INIT=${INIT:-bench/models/real/$WORD-tts}
if [ "$PROTOCOL" = real20 ] && [ -f "$INIT/rnn-wake.json" ]; then
  # --init-from alone takes the tts model's network and front end.
  SCHEDULE=(--init-from "$INIT" --epochs "${FINE_EPOCHS:-15}" --lr 0.001 --lr-decay 0.9)
  FRONT=()
fi
if [ -n "${FROM:-}" ] && { [ "$PROTOCOL" = tts ] || [ ! -f "$INIT/rnn-wake.json" ]; }; then
  FRONT=(--from "$FROM")
  if [ "${FREEZE:-0}" = 1 ]; then FRONT+=(--freeze); fi
  SCHEDULE=(--epochs "${FROM_EPOCHS:-10}" --lr "${FROM_LR:-0.001}" --lr-decay 0.9)
fi
rw train "${SOURCES[@]}" --trigger "$TEXT" --procedural-backgrounds 30 --snr 0,20 --max-negatives 4 \
  "${FRONT[@]}" "${SCHEDULE[@]}" --epoch-size 640 --batch 16 \
  --crop-around 0.5 --hard-negative-weight "${HARD_NEGATIVE_WEIGHT:-12}" --augment "${AUGMENT:-none}" \
  --val-count 96 --val-every 10 --seed "${SEED:-1}" ${TRAIN_FLAGS:-} --force --out "$OUT"
