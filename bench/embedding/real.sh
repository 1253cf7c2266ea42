#!/usr/bin/env bash
# The real-voice benchmark (bench/real/run.sh) for the default recipe (speech-embedding):
#   npm run build && bash bench/embedding/real.sh [MODELS] [WORK]
# Per word and seed, two models, as bench/real/train.sh defines the protocols:
# - <word>-s<seed>-tts: TTS clips of the word only (voices of bench/heldout-voices.txt and
#   calibration-voices.txt left out), TTS and real other words as negatives (the word's own
#   recordings never);
# - <word>-s<seed>-real20: the same plus 20 recordings of the word from its train/ half, listed
#   REAL_COPIES times (default 10).
# Both also train on the shipped real-speech bank and set their threshold on its calibration
# part (data/speech-bank). The examples of a word are embedded once (--data-seed 1, cached), so
# seeds differ in initial weights, batches and dropout. Each model is one network of 1,200 steps
# (NETWORKS, STEPS: train --networks, --steps), as the tables in bench/RESULTS.md were made; train's
# own default (three networks of 400 steps, averaged) is the ensemble of seeds s, s+1, s+2 at STEPS=400.
# Knobs: WORDS, SEEDS (default "1 2 3"), PROTOCOLS (default "tts real20"), TRAIN_FLAGS, ENSEMBLE=1 (below),
# MINE and WORD_HEAD (train --mine, --word-head; default 0 as the tables were made, train's own defaults are 2 and 20;
# a flag in TRAIN_FLAGS wins: bench/lib/pins.sh), REAL_NEGATIVES=0 (no real other words among the negatives: TTS other words and the bank only),
# NAMED_WORDS=all|commands (the word-head lever, with TRAIN_FLAGS="--word-head 20": the real other words named by
# bench/embedding/name-negatives.mjs, every one or the Speech Commands words only, and 30 TTS clips of each of those
# words, seed 3, in $TTS_ROOT/words, among the negatives),
# TTS_ROOT (default $WORK/tts; TTS_ENGINES=all makes its clips with every engine, not only espeak;
# TRIGGER_COUNT clips of the word, default 600, in a TTS_ROOT of its own).
# The feature cache (RNN_WAKE_FEATURE_CACHE, default $WORK/features) lets every model reuse the
# test audio's embeddings.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/pins.sh
MODELS=${1:-bench/models/embedding}
WORK=${2:-${TMPDIR:-/tmp}/rnn-wake-real}
REAL=${REAL:-../shared/data/real}
WORDS=${WORDS:-computer smart-mirror snowboy view-glass happy}
SEEDS=${SEEDS:-1 2 3}
PROTOCOLS=${PROTOCOLS:-tts real20}
export RNN_WAKE_FEATURE_CACHE=${RNN_WAKE_FEATURE_CACHE:-$WORK/features}
NOT_TRAINING="$(cat bench/heldout-voices.txt),$(cat bench/calibration-voices.txt)"
rw() { node bin/run.js "$@"; }
if [ ! -d "$REAL/words" ]; then echo "bench/embedding: $REAL is absent; skipped"; exit 0; fi
node bench/real/prepare.mjs "$WORK" "$REAL" > /dev/null
COPIES=${REAL_COPIES:-10}
for word in $WORDS; do
  TTS_DIR="${TTS_ROOT:-$WORK/tts}/$word"
  [ -d "$TTS_DIR/trigger" ] || rw tts "${word//-/ }" --count "${TRIGGER_COUNT:-600}" --seed 1 --engine "${TTS_ENGINES:-espeak}" --exclude-voices "$NOT_TRAINING" --out "$TTS_DIR/trigger" > /dev/null
  [ -d "$TTS_DIR/negatives" ] || rw tts --negatives-for "${word//-/ }" --count 1200 --seed 2 --engine "${TTS_ENGINES:-espeak}" --exclude-voices "$NOT_TRAINING" --out "$TTS_DIR/negatives" > /dev/null
  REAL20="$WORK/real-20-x$COPIES/$word"
  if [ ! -d "$REAL20" ]; then
    mkdir -p "$REAL20"
    for f in "$WORK/real-20/$word"/*.wav; do for i in $(seq 1 "$COPIES"); do ln -s "$(readlink -f "$f")" "$REAL20/$i-$(basename "$f")"; done; done
  fi
  for protocol in $PROTOCOLS; do
    for seed in $SEEDS; do
      out="$MODELS/$word-s$seed-$protocol"
      [ -f "$out/rnn-wake.json" ] && continue
      SOURCES=(--activates "$TTS_DIR/trigger" --negatives "$TTS_DIR/negatives")
      if [ -n "${NAMED_WORDS:-}" ]; then
        # The real other words named (for train --word-head), and TTS clips of the same words beside them.
        NAMED="$WORK/named-$NAMED_WORDS/$word"
        [ -f "$NAMED/manifest.jsonl" ] || node bench/embedding/name-negatives.mjs "$WORK" "$word" "$NAMED_WORDS" "$NAMED" > /dev/null
        SOURCES+=(--negatives "$NAMED")
        AUX_WORDS="down go left no off on right stop up yes"
        [ "$NAMED_WORDS" = all ] && AUX_WORDS="$AUX_WORDS happy smart-mirror snowboy view-glass"
        for aux in $(printf '%s\n' $AUX_WORDS | LC_ALL=C sort); do
          [ "$aux" = "$word" ] && continue
          AUX="${TTS_ROOT:-$WORK/tts}/words/$aux"
          [ -d "$AUX" ] || rw tts "${aux//-/ }" --count 30 --seed 3 --engine "${TTS_ENGINES:-espeak}" --exclude-voices "$NOT_TRAINING" --out "$AUX" > /dev/null
          SOURCES+=(--negatives "$AUX")
        done
      elif [ "${REAL_NEGATIVES:-1}" != 0 ]; then
        SOURCES+=(--negatives "$WORK/negatives/train/$word")
      fi
      [ "$protocol" = real20 ] && SOURCES+=(--activates "$REAL20")
      echo "bench/embedding: training $out"
      # shellcheck disable=SC2207
      PINNED=($(pinned_train_flags))
      rw train "${SOURCES[@]}" --trigger "${word//-/ }" --seed "$seed" --data-seed 1 --networks "${NETWORKS:-1}" --steps "${STEPS:-1200}" "${PINNED[@]}" ${TRAIN_FLAGS:-} --out "$out" 2> "$out.log" || { cat "$out.log"; exit 1; }
      mv "$out.log" "$out/train.log"
    done
  done
done
# ENSEMBLE=1: the seeds of each word and protocol averaged ("rnn-wake ensemble"), as <word>-ens<N>-<protocol>.
if [ "${ENSEMBLE:-0}" = 1 ]; then
  for word in $WORDS; do for protocol in $PROTOCOLS; do
    members=(); for seed in $SEEDS; do members+=("$MODELS/$word-s$seed-$protocol"); done
    out="$MODELS/$word-ens${#members[@]}-$protocol"
    # One seed has nothing to average.
    [ "${#members[@]}" -ge 2 ] || continue
    [ -f "$out/rnn-wake.json" ] || rw ensemble "${members[@]}" --out "$out" > /dev/null
  done; done
fi
bash bench/real/run.sh "$MODELS" "$WORK"
