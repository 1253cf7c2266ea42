// How the trigger's post-processing changes real-voice figures: each network of a model scored once
// over the real-voice benchmark's sets and long speech (the per-step probabilities cached), then FRR at
// <= 0.5 / 1 / 2 FA/h for several run lengths (minSteps: consecutive steps above the threshold) and
// moving-average widths over the probabilities, longer refractory periods, and for ensembles combined
// by mean or geometric mean (and each network alone).
//
// Usage: npm run build && node bench/real/postprocess.mjs --model DIR --work WORK --word WORD [--cache FILE]
//   WORK is bench/real/run.sh's work folder (its test/ sets and speech/test must exist).
//   --sets DIR,DIR instead of the word's two sets (e.g. WORK/test/activate-course, bench/real/activate.sh's);
//   --long no leaves out the long real speech, --long DIR,DIR names other long non-trigger audio.
import {existsSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {readAudio} from '../../dist/src/audio/read.js'
import {readDataset} from '../../dist/src/dataset/manifest.js'
import {listWavs} from '../../dist/src/metrics/evaluate-model.js'
import {DEFAULT_MATCH_WINDOW, detCurve, pointForTargetFA} from '../../dist/src/metrics/events.js'
import {selectBackend} from '../../dist/src/model/backend.js'
import {outputStepSeconds} from '../../dist/src/model/config.js'
import {loadDetector} from '../../dist/src/model/model-dir.js'
import {predictClip, predictLong} from '../../dist/src/model/predict.js'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : fallback
}
const modelDir = option('model')
const work = option('work', '/tmp/rw-real')
const word = option('word')
const realspeech = option('realspeech', '../shared/data/realspeech')
const cache = option('cache', join(modelDir, `.postprocess-${word}.json`))
const sets = option('sets', undefined)?.split(',') ?? ['5-10', '10-20'].map((band) => join(work, 'test', `${word}-snr${band}`))

async function score() {
  await selectBackend(undefined)
  const detector = await loadDetector(modelDir)
  const stepSec = outputStepSeconds(detector.config)
  const rate = detector.config.features.sampleRate
  const singles = detector.networks.map((net) => ({...detector, model: net, networks: [net]}))
  const items = []
  for (const set of sets) {
    const dataset = await readDataset(set)
    for (const entry of dataset.entries) {
      const audio = await readAudio(join(dataset.dir, entry.file))
      items.push({
        name: entry.file,
        stepSec,
        durationSec: audio.samples.length / rate,
        truthsSec: entry.clips.filter((c) => c.trigger).map((c) => c.end / rate),
        members: singles.map((d) => Array.from(predictClip(d, audio.samples).trigger, (v) => Math.round(v * 1e5) / 1e5)),
      })
    }
  }
  const longOption = option('long', 'yes')
  const longDirs = longOption === 'no' ? [] : longOption === 'yes' ? [join(work, 'speech', 'test'), ...(existsSync(realspeech) ? [realspeech] : [])] : longOption.split(',')
  const long = (await Promise.all(longDirs.map((d) => listWavs(d)))).flat()
  for (const file of long) {
    const audio = await readAudio(file)
    items.push({
      name: file,
      stepSec,
      durationSec: audio.samples.length / rate,
      truthsSec: [],
      members: singles.map((d) => Array.from(predictLong(d, audio.samples).trigger, (v) => Math.round(v * 1e5) / 1e5)),
    })
    process.stderr.write('.')
  }
  await writeFile(cache, JSON.stringify({stepSec, trigger: detector.config.trigger, items}))
  return {trigger: detector.config.trigger, items}
}

const {trigger, items} = existsSync(cache) ? JSON.parse(await readFile(cache, 'utf8')) : await score()
const members = items[0].members.length

function combine(item, how, which) {
  const ms = which.map((i) => item.members[i])
  const n = ms[0].length
  const out = new Float32Array(n)
  for (let t = 0; t < n; t++) {
    if (how === 'mean') {
      let s = 0
      for (const m of ms) s += m[t]
      out[t] = s / ms.length
    } else {
      let s = 0
      for (const m of ms) s += Math.log(Math.max(m[t], 1e-6))
      out[t] = Math.exp(s / ms.length)
    }
  }
  return out
}

function movingAverage(p, width) {
  if (width <= 1) return p
  const out = new Float32Array(p.length)
  let sum = 0
  for (let t = 0; t < p.length; t++) {
    sum += p[t]
    if (t >= width) sum -= p[t - width]
    out[t] = sum / Math.min(t + 1, width)
  }
  return out
}

const thresholds = Array.from({length: 999}, (_, i) => (i + 1) / 1000)

function figures(scored, minSteps, refractorySteps = trigger.refractorySteps) {
  const curve = detCurve(scored, {...trigger, minSteps, refractorySteps}, thresholds, DEFAULT_MATCH_WINDOW)
  return [0.5, 1, 2].map((fa) => {
    const p = pointForTargetFA(curve, fa)
    return p ? `${(100 * p.frr).toFixed(1)}%` : 'n/a'
  })
}

const all = [...Array(members).keys()]
const variants = [['mean', all]]
if (members > 1) {
  variants.push(['geomean', all])
  for (const i of all) variants.push([`member ${i}`, [i]])
}
console.log(`${modelDir} (${word}): ${members} network(s), ${items.length} items; FRR at <= 0.5 / 1 / 2 FA/h`)
console.log('| combine | moving average | minSteps | refractory steps | FRR |')
console.log('| --- | --- | --- | --- | --- |')
for (const [how, which] of variants) {
  const combined = items.map((it) => combine(it, how === 'geomean' ? 'geomean' : 'mean', which))
  for (const width of [1, 5, 9]) {
    const scored = items.map((it, k) => ({...it, probabilities: movingAverage(combined[k], width)}))
    for (const minSteps of [1, 3, 6, 10]) {
      if (width > 1 && minSteps > 1 && minSteps !== 6) continue
      console.log(`| ${how} | ${width} | ${minSteps} | ${trigger.refractorySteps} | ${figures(scored, minSteps).join(' / ')} |`)
    }
  }
  if (how !== 'mean') continue
  // A longer refractory period drops a second detection of one word, but also a second word said within it.
  const scored = items.map((it, k) => ({...it, probabilities: combined[k]}))
  for (const seconds of [1, 1.5, 2]) {
    const steps = Math.round(seconds / items[0].stepSec)
    console.log(`| ${how} | 1 | 1 | ${steps} (${seconds} s) | ${figures(scored, 1, steps).join(' / ')} |`)
  }
}
