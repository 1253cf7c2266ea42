// One line on an "activate" model from the JSON bench/real/activate.sh left.
// usage: node bench/real/report-activate.mjs RESULT.json
import {readFileSync} from 'node:fs'
import {pointForTargetFA} from '../../dist/src/metrics/events.js'

const r = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const pct = (p) => (p ? `${(100 * p.frr).toFixed(1)}%` : 'n/a')
const a = r.atThreshold
console.log(
  `${r.model}: ${r.data.triggers} real "activate" (course recordings), ${(a.nonTriggerHours * 60).toFixed(0)} min non-trigger: ` +
    `FRR at <= 0.5 / 1 / 2 FA/h ${[0.5, 1, 2].map((f) => pct(pointForTargetFA(r.det, f))).join(' / ')}; ` +
    `at its threshold ${r.trigger.threshold}: FRR ${(100 * a.frr).toFixed(1)}%, ${a.faPerHour.toFixed(2)} FA/h`,
)
// The model's named thresholds (rnn-wake.json "thresholds", e.g. real-speech), as evaluate reports them.
for (const n of r.named ?? []) console.log(`  at its "${n.name}" threshold ${n.threshold}: FRR ${(100 * n.frr).toFixed(1)}%, ${n.faPerHour.toFixed(2)} FA/h (${n.falseAccepts} false accepts)`)
