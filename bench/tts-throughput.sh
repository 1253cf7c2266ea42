#!/usr/bin/env bash
# Wall-clock time of `rnn-wake tts activate --count 200` (issue 3: under 30 s on a 2-core machine),
# process start-up and espeak initialisation included. COUNT=N changes the number of clips.
# Usage: bench/tts-throughput.sh   (builds first; prints one line, for bench/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${COUNT:-200}"
npm run build >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
start="$(date +%s.%N)"
node bin/run.js tts --engine espeak activate --count "$count" --out "$work/clips" --seed 1 >/dev/null
end="$(date +%s.%N)"
clips="$(find "$work/clips" -name '*.wav' | wc -l)"
awk -v s="$start" -v e="$end" -v n="$clips" -v cpus="$(nproc)" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
  'BEGIN { printf "rnn-wake tts: %d clips in %.1f s (%.1f clips/s, %d CPUs, load average %s at the end)\n", n, e - s, n / (e - s), cpus, load }'
