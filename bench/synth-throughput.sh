#!/usr/bin/env bash
# Throughput of `rnn-wake synthesize` on the course clips. Issue 3's goal:
# --count 1000 in under 30 s on the 2-core CI machine. Run `npm run build` first.
#   bench/synth-throughput.sh            # 1000 examples, all cores
#   COUNT=200 WORKERS=1 bench/synth-throughput.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/course}
COUNT=${COUNT:-1000}
WORKERS=${WORKERS:-$(nproc)}
OUT=bench/out/synth-throughput
if [ ! -d "$DATA/activates" ]; then echo "no course clips at $DATA (set DATA=...)" >&2; exit 1; fi
if [ ! -f dist/commands/synthesize.js ]; then echo "dist/ is missing: npm run build" >&2; exit 1; fi
rm -rf "$OUT"
cmd=(node bin/run.js synthesize --activates "$DATA/activates" --negatives "$DATA/negatives" --backgrounds "$DATA/backgrounds"
  --count "$COUNT" --seed 1 --workers "$WORKERS" --out "$OUT")
echo "\$ ${cmd[*]}"
start=$(date +%s.%N)
"${cmd[@]}"
end=$(date +%s.%N)
size=$(du -sh "$OUT" | cut -f1)
rm -rf "$OUT"
awk -v s="$start" -v e="$end" -v n="$COUNT" -v w="$WORKERS" -v c="$(nproc)" -v z="$size" -v node="$(node --version)" 'BEGIN {
  t = e - s
  printf "synthesize --count %d: %.1f s wall (%.0f examples/s), %d workers on %d cores, node %s, %s written\n", n, t, n / t, w, c, node, z
}'
