#!/usr/bin/env bash
# End-to-end training throughput of the course preset on whole 10 s clips (issue 4: goal >= 4
# examples/s on this 2-core machine, peak RSS < 3 GiB): "rnn-wake train --preset course" with the
# gradient computed on 1 and on 2 threads (--threads, data-parallel), example making in its worker
# thread (--workers 1) in both. The second epoch's rate is reported (the first holds the warm-up).
#   npm run build && bash bench/train-course-throughput.sh CLIPS_DIR
# CLIPS_DIR holds activates/ and negatives/ from "rnn-wake tts" (bench/train-default.sh makes them).
set -euo pipefail
cd "$(dirname "$0")/.."
CLIPS=$1
OUT=${TMPDIR:-/tmp}/rnn-wake-course-throughput
mkdir -p "$OUT"
for threads in 1 2; do
  /usr/bin/time -v node bin/run.js train --activates "$CLIPS/activates" --negatives "$CLIPS/negatives" --procedural-backgrounds 4 \
    --preset course --epochs 2 --epoch-size 128 --batch 16 --val-count 4 --seed 1 --force --threads "$threads" \
    --out "$OUT/model-$threads" > "$OUT/threads-$threads.log" 2>&1
  rate=$(grep -E '^epoch 2/2' "$OUT/threads-$threads.log" | sed -E 's/.* ([0-9.]+) ex\/s.*/\1/')
  rss=$(grep 'Maximum resident' "$OUT/threads-$threads.log" | awk '{printf "%.2f", $NF/1048576}')
  echo "| course preset, whole 10 s clips, batch 16, --threads $threads, end to end (epoch 2) | \`bash bench/train-course-throughput.sh\` | $rate | $rss GiB |"
done
