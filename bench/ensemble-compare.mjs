// What averaging buys: each network of an ensemble model alone, then the mean of the first k networks,
// each calibrated the way the recipe calibrates (threshold for <= TARGET FA/h on the calibration set) and
// then measured on the held-out test at that threshold and over all thresholds.
//
//   npm run build && node bench/ensemble-compare.mjs MODEL CALIBRATION-SET TEST-SET [REAL-SPEECH-DIR] [LOOKALIKE-SET]
//
// e.g. node bench/ensemble-compare.mjs models/activate /tmp/rnn-wake-train/calibration-1200-long \
//        /tmp/rnn-wake-heldout/natural ../shared/data/realspeech /tmp/rnn-wake-heldout/lookalike-set
// Every network is run once over all the audio; the subsets average those outputs (as the detector does).
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {readAudio} from '../dist/src/audio/index.js'
import {readDataset} from '../dist/src/dataset/index.js'
import {defaultThresholds, detCurve, evaluateAt, pointForTargetFA} from '../dist/src/metrics/events.js'
import {listWavs} from '../dist/src/metrics/evaluate-model.js'
import {selectBackend} from '../dist/src/model/backend.js'
import {outputStepSeconds} from '../dist/src/model/config.js'
import {loadDetector} from '../dist/src/model/model-dir.js'
import {meanOf, predictClip, predictLong} from '../dist/src/model/predict.js'

const [modelDir, calDir, testDir, realDir, lookDir] = process.argv.slice(2)
if (!testDir) {
  console.error('usage: node bench/ensemble-compare.mjs MODEL CALIBRATION-SET TEST-SET [REAL-SPEECH-DIR] [LOOKALIKE-SET]')
  process.exit(2)
}
const TARGET = Number(process.env.TARGET_FA ?? 0.5)
await selectBackend('wasm')
const ensemble = await loadDetector(modelDir)
const {config} = ensemble
const stepSec = outputStepSeconds(config)
const names = ['.', ...(config.members ?? [])]
const seeds = (config.training?.ensemble ?? []).map((m) => m.seed)

/** Every network's trigger probabilities over a set of audio: items[i].p[network]. */
async function scoreDataset(dir) {
  const ds = await readDataset(dir)
  const items = []
  for (const e of ds.entries) {
    const {samples} = await readAudio(join(dir, e.file))
    items.push({name: e.file, durationSec: samples.length / config.features.sampleRate, truthsSec: e.clips.filter((c) => c.trigger).map((c) => c.end / config.features.sampleRate), p: each((d) => predictClip(d, samples).trigger)})
  }
  return items
}
async function scoreLong(dir) {
  const items = []
  // The same files evaluate --negatives reads.
  for (const f of await listWavs(dir)) {
    const {samples} = await readAudio(f)
    items.push({name: f, durationSec: samples.length / config.features.sampleRate, truthsSec: [], p: each((d) => predictLong(d, samples).trigger)})
  }
  return items
}
const each = (run) => ensemble.networks.map((model) => run({...ensemble, model, networks: [model]}))

const started = Date.now()
const cal = await scoreDataset(calDir)
const test = [...(await scoreDataset(testDir)), ...(realDir && existsSync(realDir) ? await scoreLong(realDir) : [])]
const look = lookDir && existsSync(lookDir) ? await scoreDataset(lookDir) : []
console.error(`scored ${ensemble.networks.length} networks in ${((Date.now() - started) / 1000).toFixed(0)} s`)

// Calibration on evaluate's grid (what --write-threshold would store); the test's best thresholds on a finer one.
const fine = Array.from({length: 999}, (_, i) => (i + 1) / 1000)
const view = (items, subset) => items.map((it) => ({name: it.name, durationSec: it.durationSec, truthsSec: it.truthsSec, stepSec, probabilities: meanOf(subset.map((k) => it.p[k]))}))
const pct = (v) => `${(100 * v).toFixed(2)}%`
const subsets = [...names.map((_, k) => [k]), ...names.slice(1).map((_, k) => Array.from({length: k + 2}, (_, j) => j))]
const hours = (items) => items.reduce((h, it) => h + it.durationSec, 0) / 3600
console.log(`Model ${modelDir}: ${names.length} networks (seeds ${seeds.join(', ') || 'unknown'}); trigger steps ${config.trigger.minSteps}, refractory ${config.trigger.refractorySteps}.`)
console.log(`Calibration ${calDir}: ${cal.length} examples (${(hours(cal) * 60).toFixed(1)} min); test ${testDir}${realDir ? ` + ${realDir}` : ''}: ${test.length} files (${(hours(test) * 60).toFixed(1)} min)${look.length ? `; look-alikes ${lookDir}: ${look.length} examples` : ''}. Calibrated thresholds on evaluate's grid (0.01), the test's best ones in steps of 0.001.`)
console.log('')
console.log(`| networks averaged | calibrated threshold (<= ${TARGET} FA/h on calibration) | calibration FRR | test FRR at it | test false accepts | test FRR at <= 0.5 FA/h (best threshold) | at <= 2 FA/h | look-alike FRR / false accepts at it |`)
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const subset of subsets) {
  const trig = config.trigger
  const c = pointForTargetFA(detCurve(view(cal, subset), trig, defaultThresholds()), TARGET)
  if (!c) continue
  const at = {...trig, threshold: c.threshold}
  const t = evaluateAt(view(test, subset), at)
  const curve = detCurve(view(test, subset), trig, fine)
  const l = look.length ? evaluateAt(view(look, subset), at) : undefined
  const label = subset.length === 1 ? `${names[subset[0]]} alone (seed ${seeds[subset[0]] ?? '?'})` : `mean of ${subset.map((k) => names[k]).join(' + ')}`
  console.log(`| ${label} | ${c.threshold} | ${pct(c.frr)} | ${pct(t.frr)} (${t.missed}/${t.triggers}) | ${t.falseAccepts} (${t.faPerHour.toFixed(2)}/h) | ${pct(pointForTargetFA(curve, 0.5)?.frr ?? 1)} | ${pct(pointForTargetFA(curve, 2)?.frr ?? 1)} | ${l ? `${pct(l.frr)} / ${l.falseAccepts}` : '-'} |`)
}
