#!/usr/bin/env bash
# Held-out test of a trained model: 200 synthesized 10 s examples spoken only by the voice
# variants bench/train-default.sh leaves out of training, over backgrounds it never saw
# (procedural ones with another seed, babble from held-out voices without trigger-like words,
# plus the course backgrounds), scored at the model's own threshold by bench/train-eval.mjs.
#   npm run build && bash bench/train-heldout.sh [MODEL] [WORK]
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-models/activate}
WORK=${2:-${TMPDIR:-/tmp}/rnn-wake-heldout}
COURSE=${COURSE:-../shared/data/course}
HELD_OUT=${HELD_OUT:-f2,m3,m7,klatt3,Andy,belinda,john,steph2,zac,victor,Annie,max}
REAL=${REAL:-../shared/data/realspeech/asterisk-allison}
rw() { node bin/run.js "$@"; }

mkdir -p "$WORK"
[ -d "$WORK/activates" ] || rw tts activate --count 150 --seed 101 --voices "$HELD_OUT" --out "$WORK/activates"
[ -d "$WORK/negatives" ] || rw tts --negatives-for activate --count 300 --seed 102 --voices "$HELD_OUT" --out "$WORK/negatives"
if [ ! -d "$WORK/backgrounds" ]; then
  node bench/make-backgrounds.mjs "$WORK/backgrounds" 10 777 "$WORK/negatives" activate
  [ -d "$COURSE/backgrounds" ] && cp "$COURSE"/backgrounds/*.wav "$WORK/backgrounds/"
fi
[ -d "$WORK/set" ] || rw synthesize --activates "$WORK/activates" --negatives "$WORK/negatives" --backgrounds "$WORK/backgrounds" \
  --snr 0,20 --count 200 --seed 4242 --out "$WORK/set"
node bench/train-eval.mjs "$MODEL" "$WORK/set" $([ -d "$REAL" ] && echo "$REAL")
