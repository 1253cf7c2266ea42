// The real-voice table from what bench/real/run.sh left in RESULTS (<model>.json: real voices,
// <model>.tts.json: held-out TTS voices): markdown on stdout.
// usage: node bench/real/report.mjs RESULTS
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pointForTargetFA} from '../../dist/src/metrics/events.js'

const dir = process.argv[2]
const pct = (p) => (p ? `${(100 * p.frr).toFixed(1)}%` : 'n/a')
const rows = []
const byProtocol = new Map()
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.tts.json')).sort()) {
  const name = file.slice(0, -5)
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8'))
  const tts = JSON.parse(readFileSync(join(dir, `${name}.tts.json`), 'utf8'))
  const ttsAt = pointForTargetFA(tts.det, 1)
  const at = [0.5, 1, 2].map((fa) => pointForTargetFA(r.det, fa))
  const a = r.atThreshold
  const s = r.negatives
  const protocol = name.slice(name.lastIndexOf('-') + 1)
  if (!byProtocol.has(protocol)) byProtocol.set(protocol, [])
  byProtocol.get(protocol).push([...at, ttsAt].map((p) => (p ? p.frr : 1)))
  rows.push(
    `| ${name} | ${r.data.triggers} | ${at.map(pct).join(' | ')} | ${r.trigger.threshold} | ${(100 * a.frr).toFixed(1)}% / ${a.faPerHour.toFixed(2)} | ${s.faPerHour.toFixed(2)} (${s.falseAccepts} in ${(s.seconds / 60).toFixed(0)} min) | ${pct(ttsAt)} |`,
  )
}
console.log('| model | real triggers | real voices: FRR at <= 0.5 FA/h | at <= 1 | at <= 2 | threshold | at threshold: FRR / FA/h | real speech alone: FA/h at threshold | held-out TTS voices: FRR at <= 1 FA/h |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
for (const row of rows) console.log(row)
for (const [protocol, list] of byProtocol) {
  const mean = [0, 1, 2, 3].map((i) => `${((100 * list.reduce((s, v) => s + v[i], 0)) / list.length).toFixed(1)}%`)
  console.log(`| **mean, ${protocol}** (${list.length} words) | | ${mean.slice(0, 3).join(' | ')} | | | | ${mean[3]} |`)
}
