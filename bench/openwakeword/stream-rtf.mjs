// Streaming cost side by side, in one run on one thread each: rnn-wake models through the path
// `listen` runs (StreamingInference in 100 ms chunks, the front end included) against
// openWakeWord's streaming pipeline (oww.mjs: 16 kHz, 80 ms chunks, mel + embedding + one
// classifier), on the same real speech. rnn-wake runs at 44.1 kHz (files, stdin) and, for a front
// end that computes at its own rate (speech embedding: 16 kHz), at that rate too: what `listen`
// opens the microphone at for such a model. The systems take turns every SEGMENT seconds of
// audio, so on a shared machine all see the same load; a round streams the whole excerpt through
// each and gives one ratio per rnn-wake path, and the median ratio over the rounds is the result.
//   cd bench/openwakeword && node stream-rtf.mjs [--seconds 60] [--rounds 3] MODEL_DIR ...
import {readAudio, SAMPLE_RATE} from '../../dist/src/audio/read.js'
import {resample} from '../../dist/src/audio/resample.js'
import {selectBackend} from '../../dist/src/model/backend.js'
import {loadDetector} from '../../dist/src/model/model-dir.js'
import {StreamingInference} from '../../dist/src/stream/inference.js'
import {CHUNK, OWW_SAMPLE_RATE, OpenWakeWordStream, loadOpenWakeWord} from './oww.mjs'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(name)
  return at >= 0 ? Number(args.splice(at, 2)[1]) : fallback
}
const seconds = option('--seconds', 60)
const rounds = option('--rounds', 3)
/** Seconds of audio each system streams before the next takes its turn. */
const SEGMENT = 4
const file = '../../../shared/data/real/speech/voxlingua-en-000.wav'
await selectBackend('wasm')
const x = (await readAudio(file)).samples.subarray(0, seconds * SAMPLE_RATE)
const audioSec = x.length / SAMPLE_RATE
const x16 = Float32Array.from(resample(x, SAMPLE_RATE, OWW_SAMPLE_RATE))
const oww = await loadOpenWakeWord(['alexa'])
const stream = new OpenWakeWordStream(oww, ['alexa'])
await stream.scoreSignal(x16.subarray(0, OWW_SAMPLE_RATE)) // warm-up

/** An rnn-wake path: the detector streaming audio at `rate` in 100 ms chunks. */
function rnnWake(detector, rate) {
  const samples = rate === SAMPLE_RATE ? x : resample(x, SAMPLE_RATE, rate)
  const inference = new StreamingInference(detector, {sampleRate: rate})
  inference.push(samples.subarray(0, rate)) // warm-up
  const chunk = Math.round(0.1 * rate)
  return {
    name: `${rate / 1000} kHz`,
    reset: async () => inference.reset(),
    segment: async (from, to) => {
      const end = Math.min(samples.length, Math.round(to * rate))
      for (let i = Math.round(from * rate); i < end; i += chunk) inference.push(samples.subarray(i, Math.min(end, i + chunk)))
    },
    dispose: () => inference.dispose(),
  }
}

const openWakeWord = {
  reset: () => stream.reset(),
  segment: (from, to) => stream.pushChunks(x16, Math.floor((from * OWW_SAMPLE_RATE) / CHUNK), Math.floor(Math.min(x16.length, to * OWW_SAMPLE_RATE) / CHUNK)),
}

/** Milliseconds of CPU this process used, all threads (onnxruntime runs its sessions on a worker thread). */
const cpuNow = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const rows = []
for (const dir of args) {
  const detector = await loadDetector(dir)
  const ours = [rnnWake(detector, SAMPLE_RATE)]
  if (detector.frontEnd.nativeRate !== undefined) ours.push(rnnWake(detector, detector.frontEnd.nativeRate))
  const systems = [...ours, openWakeWord]
  const rtf = systems.map(() => [])
  const cpuRtf = systems.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (const s of systems) await s.reset()
    const ms = systems.map(() => 0)
    const cpuMs = systems.map(() => 0)
    for (let from = 0; from < audioSec; from += SEGMENT) {
      for (const [i, s] of systems.entries()) {
        const t0 = performance.now()
        const c0 = cpuNow()
        await s.segment(from, from + SEGMENT)
        ms[i] += performance.now() - t0
        cpuMs[i] += cpuNow() - c0
      }
    }
    for (const [i, v] of ms.entries()) rtf[i].push(v / 1000 / audioSec)
    for (const [i, v] of cpuMs.entries()) cpuRtf[i].push(v / 1000 / audioSec)
  }
  const ratio = (a, b) => median(a.map((r, k) => r / b[k]))
  for (const [i, s] of ours.entries()) rows.push({dir, path: s.name, ours: rtf[i], theirs: rtf.at(-1), ratio: ratio(rtf[i], rtf.at(-1)), cpu: ratio(cpuRtf[i], cpuRtf.at(-1)), oursCpu: cpuRtf[i], theirsCpu: cpuRtf.at(-1)})
  for (const s of ours) s.dispose()
}
const fmt = (values) => `${values.map((v) => v.toFixed(4)).join(', ')} (median ${median(values).toFixed(4)})`
console.log(`Real-time factor (wall time) on ${audioSec.toFixed(0)} s of real speech, one thread each, the systems taking turns every ${SEGMENT} s; ${rounds} rounds:\n`)
console.log('| rnn-wake model | audio in | rnn-wake RTF per round | openWakeWord (alexa, 16 kHz in) RTF per round | rnn-wake / openWakeWord, wall time (median of the rounds\' ratios) | same, CPU time (RTFs: rnn-wake / openWakeWord, medians) |\n| --- | --- | --- | --- | --- | --- |')
for (const r of rows) console.log(`| ${r.dir} | ${r.path} | ${fmt(r.ours)} | ${fmt(r.theirs)} | **${r.ratio.toFixed(2)}** | ${r.cpu.toFixed(2)} (${median(r.oursCpu).toFixed(4)} / ${median(r.theirsCpu).toFixed(4)}) |`)
