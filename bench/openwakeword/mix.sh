#!/usr/bin/env bash
# The comparison models as the shipped models/activate is made: a full-band network (train.sh with
# REAL_NEGATIVES=1, the recipe of models/activate's full-band members) and the network built on the
# speech encoder (FROM=models/encoder, bench/models/openwakeword) as one ensemble, its threshold set
# on voices and speech the benchmark does not use.
#   npm run build && bash bench/openwakeword/mix.sh PHRASE FULL_BAND ENCODER OUT
# e.g. (the committed ones; sources beside the ensemble, so its rnn-wake.json names them and run.mjs
#   checks their clips for held-out voices):
#      bash bench/openwakeword/mix.sh "hey jarvis" bench/models/openwakeword/hey-jarvis-full-band \
#        bench/models/openwakeword/hey-jarvis-encoder bench/models/openwakeword/hey-jarvis-mixed
# Threshold: the lowest whose false accepts stay within TARGET_FA (default 0.5) per hour over 200
# examples of the phrase said by bench/calibration-voices.txt (none of the benchmark's held-out voices)
# planted in the train backgrounds of bench/real/prepare.mjs (real speech and noise), plus the train
# files of ../shared/data/real's speech/ (8 min). Needs ../shared/data/real.
set -euo pipefail
cd "$(dirname "$0")/../.."
PHRASE=$1
FULL=$2
ENCODER=$3
OUT=$4
SLUG=${PHRASE// /-}
WORK=${WORK:-bench/out/openwakeword/calibration/$SLUG}
REAL_WORK=${REAL_WORK:-${TMPDIR:-/tmp}/rnn-wake-real}
CALIBRATION=$(cat bench/calibration-voices.txt)
rw() { node bin/run.js "$@"; }
if [ ! -d ../shared/data/real/words ]; then echo "bench/openwakeword/mix.sh: ../shared/data/real is absent; skipped"; exit 0; fi
node bench/real/prepare.mjs "$REAL_WORK" ../shared/data/real
rw ensemble "$FULL" "$ENCODER" --out "$OUT" --force
[ -d "$WORK/triggers" ] || rw tts --engine espeak "$PHRASE" --count 100 --voices "$CALIBRATION" --seed 7301 --out "$WORK/triggers"
[ -d "$WORK/negatives" ] || rw tts --engine espeak --negatives-for "$PHRASE" --count 300 --voices "$CALIBRATION" --seed 7302 --out "$WORK/negatives"
[ -d "$WORK/set" ] || rw synthesize --activates "$WORK/triggers" --negatives "$WORK/negatives" --trigger "$PHRASE" \
  --backgrounds "$REAL_WORK/backgrounds/train" --max-negatives 4 --snr 5,20 --count 200 --seed 7303 --out "$WORK/set"
# --force: this audio is shorter than the 3 / TARGET_FA hours --write-threshold asks for (README, Measuring a detector).
rw evaluate --model "$OUT" --data "$WORK/set" --negatives "$REAL_WORK/speech/train" --target-fa "${TARGET_FA:-0.5}" --write-threshold --force
