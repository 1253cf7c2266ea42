// Real-time factor of streaming detection (processing time / audio time)
// through the same loop as `rnn-wake listen`, and RSS over a long stream.
// Prints a markdown section for bench/RESULTS.md (--write puts it there).
//
// Usage: npm run build && taskset -c 0 node bench/listen-rtf.mjs [--seconds 60] [--repeats 5]
//          [--hours 1] [--rss-preset course] [--write]
//        taskset -c 0 node bench/listen-rtf.mjs --models DIR,DIR,... (trained model directories side by
//          side, e.g. a detector from models/encoder against a default-preset one; no memory run, no --write)
// taskset pins it to one core (the wasm backend is single-threaded under Node anyway).
// Random weights: speed does not depend on what the weights are.
import {execSync} from 'node:child_process'
import os from 'node:os'

import * as tf from '@tensorflow/tfjs'

import {samplesChunks} from '../dist/src/audio/source.js'
import {featurize} from '../dist/src/features/featurize.js'
import {LOG_FEATURES} from '../dist/src/features/transform.js'
import {selectBackend} from '../dist/src/model/backend.js'
import {buildModel} from '../dist/src/model/build.js'
import {courseFeatures} from '../dist/src/model/config.js'
import {loadDetector} from '../dist/src/model/model-dir.js'
import {PRESETS} from '../dist/src/model/presets.js'
import {StreamingInference} from '../dist/src/stream/inference.js'
import {listen} from '../dist/src/stream/listener.js'
import {DetectionSession} from '../dist/src/stream/session.js'
import {machine, writeSection} from './lib/results.mjs'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : fallback
}
const seconds = Number(option('seconds', 60))
const repeats = Number(option('repeats', 5))
const hours = Number(option('hours', 1))
const rssPreset = option('rss-preset', 'course')
const presets = option('presets', ['course', 'default', 'tiny'].filter((p) => PRESETS[p]).join(',')).split(',')
const modelDirs = option('models', undefined)?.split(',')
const RATE = 44_100

const backend = await selectBackend(option('backend', undefined))
tf.env().set('DEBUG', false)
// tfjs warns about the orthogonal initialiser of big matrices; the weights are replaced anyway.
const warn = console.warn
console.warn = () => {}

function randomize(model, seed) {
  const values = model.weights.map((w, i) =>
    tf.tidy(() => {
      const r = tf.randomNormal(w.shape, 0, 0.1, 'float32', seed + i)
      return w.originalName.endsWith('moving_variance') ? tf.add(tf.abs(r), 0.5) : r
    }),
  )
  model.setWeights(values)
  tf.dispose(values)
}

function detectorFor(name) {
  const preset = PRESETS[name]
  const model = buildModel(preset)
  randomize(model, 1)
  const config = {format: 'rnn-wake-model', version: 1, word: 'activate', preset, features: courseFeatures(LOG_FEATURES), trigger: {threshold: 0.5, minSteps: 1, refractorySteps: 75}}
  return {dir: `random ${name}`, model, networks: [model], config}
}

/** Deterministic speech-like audio: noise bursts and gliding tones over a floor, int16 units. */
function makeAudio(from, n) {
  const x = new Float64Array(n)
  let s = (from % 2147483646) + 1
  for (let k = 0; k < n; k++) {
    const i = from + k
    s = (s * 48271) % 2147483647
    const burst = Math.sin(i / 7000) > 0.3 ? 5000 : 80
    x[k] = burst * (s / 2147483647 - 0.5) + 1500 * Math.sin(i / (8 + 4 * Math.sin(i / 40_000)))
  }
  return x
}

async function* generated(totalSamples, chunk, onChunk) {
  for (let at = 0; at < totalSamples; at += chunk) {
    const n = Math.min(chunk, totalSamples - at)
    yield makeAudio(at, n)
    onChunk?.(at + n)
  }
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

// --- Real-time factor -------------------------------------------------------
const audio = makeAudio(0, seconds * RATE)
const rows = []
for (const name of modelDirs ?? presets) {
  const detector = modelDirs ? await loadDetector(name) : detectorFor(name)
  const session = new DetectionSession(new StreamingInference(detector))
  for (const chunk of [4410, 1024]) {
    const rtfs = []
    for (let r = 0; r < repeats + 1; r++) {
      const summary = await listen({chunks: samplesChunks(audio, chunk), session, onEvent: () => {}})
      session.reset()
      if (r > 0) rtfs.push(summary.realTimeFactor) // the first run warms up the JIT
    }
    const steps = Math.floor((seconds * RATE) / (80 * detector.config.preset.conv.strides))
    rows.push({name, chunk, bins: detector.config.preset.features, best: Math.min(...rtfs), median: median(rtfs), msPerStep: (Math.min(...rtfs) * seconds * 1000) / steps})
    process.stderr.write(`${name} chunk ${chunk}: RTF best ${Math.min(...rtfs).toFixed(4)} median ${median(rtfs).toFixed(4)}\n`)
  }
  // The offline path for comparison: model.predict on one 10 s clip.
  const f = featurize(audio.subarray(0, 10 * RATE), detector.config.features)
  const predictTimes = []
  for (let r = 0; r < 3; r++) {
    const t = performance.now()
    tf.tidy(() => {
      const y = detector.model.predict(tf.tensor3d(f.data, [1, f.frames, f.bins]))
      return (Array.isArray(y) ? y[0] : y).dataSync() // a model with a CTC head gives two outputs
    })
    predictTimes.push(performance.now() - t)
  }
  rows.find((x) => x.name === name && x.chunk === 4410).predict10s = Math.min(...predictTimes) / 1000
  session.inference.dispose()
  for (const network of detector.networks) network.dispose()
}

if (modelDirs) {
  const base = rows.filter((r) => r.name === modelDirs[0])
  console.log(`| model | features | chunk (samples) | RTF best | RTF median | best / ${modelDirs[0]}'s |\n| --- | --- | --- | --- | --- | --- |`)
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.bins} bins | ${r.chunk} | ${r.best.toFixed(4)} | ${r.median.toFixed(4)} | ${(r.best / base.find((b) => b.chunk === r.chunk).best).toFixed(2)} |`)
  }
  process.exit(0)
}

// --- Memory over a long stream ---------------------------------------------
const rss = {}
{
  const detector = detectorFor(rssPreset)
  const session = new DetectionSession(new StreamingInference(detector))
  const total = Math.round(hours * 3600 * RATE)
  const mb = (b) => b / 2 ** 20
  let marked = false
  let nextReport = 600 * RATE
  const started = performance.now()
  const summary = await listen({
    chunks: generated(total, 4410, (done) => {
      if (!marked && done >= 60 * RATE) {
        marked = true
        rss.firstMinute = {rss: mb(process.memoryUsage().rss), heap: mb(process.memoryUsage().heapUsed), tensors: tf.memory().numTensors}
      }
      if (done >= nextReport) {
        nextReport += 600 * RATE
        process.stderr.write(`  ${(done / RATE / 60).toFixed(0)} min streamed, RSS ${mb(process.memoryUsage().rss).toFixed(0)} MB\n`)
      }
    }),
    session,
    onEvent: () => {},
  })
  rss.end = {rss: mb(process.memoryUsage().rss), heap: mb(process.memoryUsage().heapUsed), tensors: tf.memory().numTensors}
  rss.audioHours = summary.audioSeconds / 3600
  rss.rtf = summary.realTimeFactor
  rss.wall = (performance.now() - started) / 1000
  session.inference.dispose()
}
console.warn = warn

// --- Report ----------------------------------------------------------------
let affinity = 'not pinned'
try {
  affinity = `cores ${execSync(`taskset -pc ${process.pid}`, {encoding: 'utf8'}).split(':').at(-1).trim()}`
} catch {}
const load = os.loadavg().map((l) => l.toFixed(1)).join(' ')
const course = rows.find((r) => r.name === 'course' && r.chunk === 4410)
const growth = rss.end.rss - rss.firstMinute.rss
const table = rows
  .map((r) => `| ${r.name} | ${r.chunk} (${((r.chunk / RATE) * 1000).toFixed(0)} ms) | ${r.best.toFixed(4)} | ${r.median.toFixed(4)} | ${r.msPerStep.toFixed(3)} | ${r.predict10s === undefined ? '' : r.predict10s.toFixed(2)} |`)
  .join('\n')
const markdown = `## Streaming detection: real-time factor and memory (\`listen\`'s loop)

Command: \`npm run build && taskset -c 0 node bench/listen-rtf.mjs ${args.filter((a) => a !== '--write').join(' ')}\`.
Machine: ${machine()}; backend ${backend}; ${affinity}; load average at the end ${load} (other jobs share the machine: best of ${repeats} is the figure to quote).
Audio: ${seconds} s of generated noise bursts and tones, pushed through \`listen()\` (features, streaming network, trigger) in chunks as a file (100 ms) or a microphone (23 ms) delivers them. Random weights (speed does not depend on them); log features.

| preset | chunk (samples) | RTF best | RTF median | ms per output step (best) | offline predict, 10 s clip (s) |
| --- | --- | --- | --- | --- | --- |
${table}

Goal: RTF <= 0.05 for the course preset, lower for the default: course ${course ? course.best.toFixed(4) : 'n/a'} (${course && course.best <= 0.05 ? 'met' : 'NOT met'}).

Memory over a long stream (${rssPreset} preset, ${rss.audioHours.toFixed(2)} h of audio in 100 ms chunks, ${rss.wall.toFixed(0)} s wall, RTF ${rss.rtf.toFixed(4)}):

| | RSS (MB) | JS heap (MB) | tf tensors |
| --- | --- | --- | --- |
| after the first minute | ${rss.firstMinute.rss.toFixed(1)} | ${rss.firstMinute.heap.toFixed(1)} | ${rss.firstMinute.tensors} |
| at the end | ${rss.end.rss.toFixed(1)} | ${rss.end.heap.toFixed(1)} | ${rss.end.tensors} |

RSS growth ${growth.toFixed(1)} MB (goal < 50 MB: ${growth < 50 ? 'met' : 'NOT met'}); tf tensors ${rss.end.tensors === rss.firstMinute.tensors ? 'unchanged' : 'CHANGED'}.`

console.log(markdown)
if (args.includes('--write')) writeSection('listen-rtf', markdown)
