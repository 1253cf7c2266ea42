// The speech-embedding recipe's real-voice table from bench/real/run.sh's results
// (<word>-s<seed>-<protocol>.json, <word>-ens<N>-<protocol>.json and their .tts.json):
//   node bench/embedding/report.mjs RESULTS
// Per word and protocol: each seed's FRR at <= 1 FA/h of real speech, their mean and range, the
// ensemble of the seeds; then the mean over words of the seed-1 networks and of the ensembles.
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {pointForTargetFA} from '../../dist/src/metrics/events.js'

const dir = process.argv[2]
const frr = (det, fa) => pointForTargetFA(det, fa)?.frr ?? 1
const runs = []
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.tts.json'))) {
  const m = file.match(/^(.+)-(s\d+|ens\d+)-(tts|real20)\.json$/)
  if (!m) continue
  let r, tts
  try {
    r = JSON.parse(readFileSync(join(dir, file), "utf8"))
    tts = JSON.parse(readFileSync(join(dir, file.replace(/\.json$/, ".tts.json")), "utf8"))
  } catch {
    continue // still being written
  }
  runs.push({word: m[1], run: m[2], protocol: m[3], real: [0.5, 1, 2].map((fa) => frr(r.det, fa)), tts: frr(tts.det, 1), triggers: r.data.triggers})
}
const pct = (v) => `${(100 * v).toFixed(1)}%`
const lines = ['| word | protocol | real voices, FRR at <= 1 FA/h: seeds | mean (range) | ensemble of the seeds | at <= 2 FA/h: seeds mean / ensemble | held-out TTS voices at <= 1 FA/h: seeds mean / ensemble |', '| --- | --- | --- | --- | --- | --- | --- |']
const words = [...new Set(runs.map((r) => r.word))].sort()
const summary = {}
for (const protocol of ['tts', 'real20']) {
  for (const word of words) {
    const seeds = runs.filter((r) => r.word === word && r.protocol === protocol && r.run.startsWith('s')).sort((a, b) => a.run.localeCompare(b.run))
    if (!seeds.length) continue
    const ens = runs.find((r) => r.word === word && r.protocol === protocol && r.run.startsWith('ens'))
    const mean = (f) => seeds.reduce((s, r) => s + f(r), 0) / seeds.length
    const at1 = seeds.map((r) => r.real[1])
    lines.push(`| ${word} | ${protocol} | ${seeds.map((r) => `${r.run} ${pct(r.real[1])}`).join(', ')} | ${pct(mean((r) => r.real[1]))} (${pct(Math.min(...at1))}-${pct(Math.max(...at1))}) | ${ens ? pct(ens.real[1]) : ''} | ${pct(mean((r) => r.real[2]))} / ${ens ? pct(ens.real[2]) : ''} | ${pct(mean((r) => r.tts))} / ${ens ? pct(ens.tts) : ''} |`)
    summary[protocol] ??= []
    summary[protocol].push({word, seed1: seeds[0].real[1], seedMean: mean((r) => r.real[1]), ens: ens?.real[1], ttsMean: mean((r) => r.tts), ensTts: ens?.tts})
  }
}
lines.push('', '| protocol | words | real voices at <= 1 FA/h: one network (mean of seeds and words) | seed 1 only | ensemble of the seeds | held-out TTS voices at <= 1 FA/h: one network / ensemble |', '| --- | --- | --- | --- | --- | --- |')
for (const [protocol, list] of Object.entries(summary)) {
  const m = (f) => list.reduce((s, x) => s + f(x), 0) / list.length
  const ens = list.every((x) => x.ens !== undefined) ? pct(m((x) => x.ens)) : 'n/a'
  const ensTts = list.every((x) => x.ensTts !== undefined) ? pct(m((x) => x.ensTts)) : 'n/a'
  lines.push(`| ${protocol} | ${list.length} (${list.map((x) => x.word).join(', ')}) | ${pct(m((x) => x.seedMean))} | ${pct(m((x) => x.seed1))} | **${ens}** | ${pct(m((x) => x.ttsMean))} / ${ensTts} |`)
}
console.log(lines.join('\n'))
