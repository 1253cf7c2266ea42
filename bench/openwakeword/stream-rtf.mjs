// Streaming cost side by side, in one run on one thread each: rnn-wake models through the path
// `listen` runs (StreamingInference, 44.1 kHz audio in 100 ms chunks, the front end included)
// against openWakeWord's streaming pipeline (oww.mjs: 16 kHz, 80 ms chunks, mel + embedding +
// one classifier), on the same real speech. The two take turns every SEGMENT seconds of audio,
// so on a shared machine both see the same load; a round streams the whole excerpt through both
// and gives one ratio, and the median ratio over the rounds is the result.
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
/** Seconds of audio each system streams before the other takes its turn. */
const SEGMENT = 4
const file = '../../../shared/data/real/speech/voxlingua-en-000.wav'
await selectBackend('wasm')
const x = (await readAudio(file)).samples.subarray(0, seconds * SAMPLE_RATE)
const audioSec = x.length / SAMPLE_RATE
const x16 = Float32Array.from(resample(x, SAMPLE_RATE, OWW_SAMPLE_RATE))
const oww = await loadOpenWakeWord(['alexa'])
const stream = new OpenWakeWordStream(oww, ['alexa'])
await stream.scoreSignal(x16.subarray(0, OWW_SAMPLE_RATE)) // warm-up

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const rows = []
for (const dir of args) {
  const detector = await loadDetector(dir)
  const inference = new StreamingInference(detector)
  inference.push(x.subarray(0, SAMPLE_RATE)) // warm-up
  const chunk = Math.round(0.1 * SAMPLE_RATE)
  const ours = []
  const theirs = []
  for (let round = 0; round < rounds; round++) {
    inference.reset()
    await stream.reset()
    let oursMs = 0
    let theirsMs = 0
    for (let from = 0; from < audioSec; from += SEGMENT) {
      const end = Math.min(x.length, (from + SEGMENT) * SAMPLE_RATE)
      let t0 = performance.now()
      for (let i = from * SAMPLE_RATE; i < end; i += chunk) inference.push(x.subarray(i, Math.min(end, i + chunk)))
      oursMs += performance.now() - t0
      t0 = performance.now()
      await stream.pushChunks(x16, Math.floor((from * OWW_SAMPLE_RATE) / CHUNK), Math.floor(Math.min(x16.length, (from + SEGMENT) * OWW_SAMPLE_RATE) / CHUNK))
      theirsMs += performance.now() - t0
    }
    ours.push(oursMs / 1000 / audioSec)
    theirs.push(theirsMs / 1000 / audioSec)
  }
  inference.dispose()
  rows.push({dir, ours, theirs, ratio: median(ours.map((r, i) => r / theirs[i]))})
}
const fmt = (values) => values.map((v) => v.toFixed(4)).join(', ')
console.log(`Real-time factor on ${audioSec.toFixed(0)} s of real speech, one thread each, the two systems taking turns every ${SEGMENT} s; ${rounds} rounds (median):\n`)
console.log('| rnn-wake model | rnn-wake RTF per round | openWakeWord (alexa; its resampling to 16 kHz not timed) RTF per round | rnn-wake / openWakeWord (median of rounds) |\n| --- | --- | --- | --- |')
for (const r of rows) console.log(`| ${r.dir} | ${fmt(r.ours)} (median ${median(r.ours).toFixed(4)}) | ${fmt(r.theirs)} (median ${median(r.theirs).toFixed(4)}) | **${r.ratio.toFixed(2)}** |`)
