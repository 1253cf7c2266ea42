// Held-out evaluation of a trained model directory, at its own threshold (rnn-wake.json), with
// src/metrics/events.ts: FRR, false accepts and FA/h on a synthesized dataset (made with voices the
// model never saw), and false accepts on real non-trigger speech when a folder of it is given.
// usage: node bench/train-eval.mjs MODEL_DIR DATASET_DIR [REAL_SPEECH_DIR]
import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {readAudio} from '../dist/src/audio/index.js'
import {readDataset} from '../dist/src/dataset/index.js'
import {selectBackend} from '../dist/src/model/backend.js'
import {outputStepSeconds} from '../dist/src/model/config.js'
import {loadDetector} from '../dist/src/model/model-dir.js'
import {predictClip} from '../dist/src/model/predict.js'
import {detCurve, detectionTimes, evaluateAt, matchEvents, percentile} from '../dist/src/metrics/events.js'
import {soundsLike} from '../dist/src/dataset/backgrounds.js'

const [modelDir, datasetDir, realDir] = process.argv.slice(2)
const backend = await selectBackend(process.env.BACKEND)
const detector = await loadDetector(modelDir)
const {config} = detector
const stepSec = outputStepSeconds(config)

/** The trigger head's probabilities over a whole file (predictClip also handles models with a CTC head). */
function score(samples) {
  return predictClip(detector, samples).trigger
}

const ds = await readDataset(datasetDir)
const items = []
const started = performance.now()
for (const e of ds.entries) {
  const {samples} = await readAudio(join(datasetDir, e.file))
  const probabilities = score(samples)
  items.push({name: e.file, probabilities, stepSec, durationSec: samples.length / 44100, truthsSec: e.clips.filter((c) => c.trigger).map((c) => c.endMs / 1000)})
}
const seconds = (performance.now() - started) / 1000

// Where the false accepts fall: on a negative word like the trigger (deactivate, captivate), on
// another word, or on background alone. Words come from the "rnn-wake tts" manifest of the
// dataset's negatives folder when there is one.
let spoken = new Map()
try {
  const dir = ds.info.inputs?.negatives
  spoken = new Map((await readFile(join(dir, 'manifest.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).map((m) => [m.file, m.text]))
} catch {}
const where = {likeTrigger: 0, otherWord: 0, background: 0}
// Which kind of background the false accepts sat on (procedural noise, babble, or a recording).
const byBackground = {}
const likeWords = {}
const otherWords = {}
ds.entries.forEach((e, k) => {
  const m = matchEvents(detectionTimes(items[k], config.trigger), items[k].truthsSec)
  for (const t of m.falseAcceptSec) {
    const kind = (e.background?.source ?? '').split('/').at(-1).replace(/[-_]?\d.*$/, '') || 'none'
    byBackground[kind] = (byBackground[kind] ?? 0) + 1
    const near = e.clips.find((c) => !c.trigger && t >= c.start / 44100 - 0.2 && t <= c.end / 44100 + 1.0)
    if (!near) where.background++
    else {
      const word = spoken.get(near.source.split('/').at(-1)) ?? ''
      if (word && soundsLike(word, config.word)) {
        where.likeTrigger++
        likeWords[word] = (likeWords[word] ?? 0) + 1
      } else {
        where.otherWord++
        otherWords[word] = (otherWords[word] ?? 0) + 1
      }
    }
  }
})
const at = evaluateAt(items, config.trigger)
const fmt = (p) => ({threshold: p.threshold, triggers: p.triggers, missed: p.missed, frr: +p.frr.toFixed(4), falseAccepts: p.falseAccepts, nonTriggerHours: +p.nonTriggerHours.toFixed(3), faPerHour: +p.faPerHour.toFixed(2)})
const result = {
  model: modelDir,
  backend,
  dataset: datasetDir,
  examples: items.length,
  audioHours: +(items.reduce((a, i) => a + i.durationSec, 0) / 3600).toFixed(3),
  atModelThreshold: {...fmt(at), minSteps: config.trigger.minSteps, latencyMedianSec: +percentile(at.latenciesSec, 0.5).toFixed(3)},
  falseAcceptsOn: {...where, likeTriggerWords: likeWords, otherWords, byBackground},
  curve: detCurve(items, config.trigger, [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]).map(fmt),
  secondsPerClip: +(seconds / items.length).toFixed(3),
}
if (realDir) {
  const files = (await readdir(realDir)).filter((n) => n.endsWith('.wav')).sort()
  const real = []
  for (const name of files) {
    const {samples} = await readAudio(join(realDir, name))
    if (samples.length < 44100) continue
    real.push({name, probabilities: score(samples), stepSec, durationSec: samples.length / 44100, truthsSec: []})
  }
  const p = evaluateAt(real, config.trigger)
  result.realSpeech = {dir: realDir, files: real.length, hours: +p.nonTriggerHours.toFixed(3), falseAccepts: p.falseAccepts, faPerHour: +p.faPerHour.toFixed(2)}
}
console.log(JSON.stringify(result, null, 2))
