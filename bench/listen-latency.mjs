// Detection latency of streaming detection: from the end of each trigger word
// (its last sample, from a synthesized dataset's manifest) to the moment the
// event comes out of `listen`'s loop, fed like a microphone (1024-sample
// chunks, 23 ms). Latency = audio consumed when the event is emitted - end of
// the word + the time spent computing that chunk. Prints markdown for
// bench/RESULTS.md (--write puts it there). Goal (issue 6): median <= 400 ms.
//
// Usage: npm run build && node bench/listen-latency.mjs MODEL_DIR DATASET_DIR [--limit 200] [--threshold P] [--write]
// A dataset: rnn-wake synthesize --activates ... --negatives ... --backgrounds ... --count 200 --seed 9 --out DIR
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {readAudio} from '../dist/src/audio/read.js'
import {selectBackend} from '../dist/src/model/backend.js'
import {loadDetector} from '../dist/src/model/model-dir.js'
import {StreamingInference} from '../dist/src/stream/inference.js'
import {DetectionSession} from '../dist/src/stream/session.js'
import {machine, writeSection} from './lib/results.mjs'

const args = process.argv.slice(2)
const valued = ['--limit', '--threshold']
const positional = args.filter((a, i) => !a.startsWith('--') && !valued.includes(args[i - 1]))
const [modelDir, datasetDir] = positional
if (!modelDir || !datasetDir) {
  console.error('usage: node bench/listen-latency.mjs MODEL_DIR DATASET_DIR [--limit N] [--write]')
  process.exit(2)
}
const limitAt = args.indexOf('--limit')
const limit = limitAt >= 0 ? Number(args[limitAt + 1]) : Infinity
const thresholdAt = args.indexOf('--threshold')
const CHUNK = 1024
/** A detection this long after the end of a trigger still counts as that trigger's. */
const MATCH_AFTER = 1.0

const backend = await selectBackend()
const detector = await loadDetector(modelDir)
const trigger = {...detector.config.trigger, ...(thresholdAt >= 0 ? {threshold: Number(args[thresholdAt + 1])} : {})}
const session = new DetectionSession(new StreamingInference(detector), {trigger})
const rate = detector.config.features.sampleRate
const manifest = readFileSync(join(datasetDir, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).slice(0, limit)

const latencies = []
let triggers = 0
let falseAlarms = 0
let audioSeconds = 0
for (const example of manifest) {
  const {samples} = await readAudio(join(datasetDir, example.file))
  audioSeconds += samples.length / rate
  session.reset()
  const emitted = [] // {seconds (detection time), at (seconds of audio consumed + compute)}
  for (let at = 0; at < samples.length; at += CHUNK) {
    const end = Math.min(samples.length, at + CHUNK)
    const t0 = performance.now()
    const {events} = session.push(samples.subarray(at, end))
    const compute = (performance.now() - t0) / 1000
    for (const e of events) if (e.type === 'detection') emitted.push({seconds: e.detection.seconds, at: end / rate + compute})
  }
  const ends = example.clips.filter((c) => c.trigger).map((c) => ({start: c.start / rate, end: c.end / rate}))
  triggers += ends.length
  const used = new Set()
  for (const w of ends) {
    const hit = emitted.findIndex((d, i) => !used.has(i) && d.seconds >= w.start && d.seconds <= w.end + MATCH_AFTER)
    if (hit < 0) continue
    used.add(hit)
    latencies.push(emitted[hit].at - w.end)
  }
  falseAlarms += emitted.length - used.size
}
session.inference.dispose()

const sorted = [...latencies].sort((a, b) => a - b)
const q = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN)
const ms = (s) => `${(s * 1000).toFixed(0)}`
const med = q(0.5)
const markdown = `## Detection latency of streaming detection

Command: \`node bench/listen-latency.mjs ${args.filter((a) => a !== '--write').join(' ')}\`.
Machine: ${machine()}; backend ${backend}.
Model: ${modelDir} (preset ${detector.config.preset.name}, threshold ${trigger.threshold}); data: ${manifest.length} examples of ${datasetDir} (${(audioSeconds / 60).toFixed(1)} min), fed in ${CHUNK}-sample chunks.
Latency: from the last sample of each trigger word to the event leaving the loop (audio consumed + compute time of that chunk).

| triggers | detected | median (ms) | p10 (ms) | p90 (ms) | max (ms) | unmatched detections |
| --- | --- | --- | --- | --- | --- | --- |
| ${triggers} | ${latencies.length} | ${ms(med)} | ${ms(q(0.1))} | ${ms(q(0.9))} | ${ms(sorted.at(-1) ?? NaN)} | ${falseAlarms} |

Goal: median <= 400 ms: ${med <= 0.4 ? 'met' : 'NOT met'}.`
console.log(markdown)
if (args.includes('--write')) writeSection('listen-latency', markdown)
