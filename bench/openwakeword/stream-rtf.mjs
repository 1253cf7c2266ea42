// Streaming cost side by side, in one run on one thread each: rnn-wake models through the path
// `listen` runs (StreamingInference, 44.1 kHz audio in 100 ms chunks, the front end included)
// against openWakeWord's streaming pipeline (oww.mjs: 16 kHz, 80 ms chunks, mel + embedding +
// one classifier), on the same real speech.
//   cd bench/openwakeword && node stream-rtf.mjs [--seconds 60] MODEL_DIR ...
import {readAudio, SAMPLE_RATE} from '../../dist/src/audio/read.js'
import {resample} from '../../dist/src/audio/resample.js'
import {selectBackend} from '../../dist/src/model/backend.js'
import {loadDetector} from '../../dist/src/model/model-dir.js'
import {StreamingInference} from '../../dist/src/stream/inference.js'
import {OpenWakeWordStream, loadOpenWakeWord} from './oww.mjs'

const args = process.argv.slice(2)
const at = args.indexOf('--seconds')
const seconds = at >= 0 ? Number(args.splice(at, 2)[1]) : 60
const file = '../../../shared/data/real/speech/voxlingua-en-000.wav'
await selectBackend('wasm')
const x = (await readAudio(file)).samples.subarray(0, seconds * SAMPLE_RATE)
const audioSec = x.length / SAMPLE_RATE
const rows = []
for (const dir of args) {
  const detector = await loadDetector(dir)
  const inference = new StreamingInference(detector)
  inference.push(x.subarray(0, SAMPLE_RATE)) // warm-up
  inference.reset()
  const chunk = Math.round(0.1 * SAMPLE_RATE)
  const t0 = performance.now()
  for (let i = 0; i < x.length; i += chunk) inference.push(x.subarray(i, i + chunk))
  rows.push({system: `rnn-wake ${dir}`, rtf: (performance.now() - t0) / 1000 / audioSec})
  inference.dispose()
}
const oww = await loadOpenWakeWord(['alexa'])
const stream = new OpenWakeWordStream(oww, ['alexa'])
const x16 = Float32Array.from(resample(x, SAMPLE_RATE, 16_000))
await stream.scoreSignal(x16.subarray(0, 16_000)) // warm-up
const t0 = performance.now()
await stream.scoreSignal(x16)
rows.push({system: 'openWakeWord (alexa; resampling to 16 kHz not timed)', rtf: (performance.now() - t0) / 1000 / audioSec})
console.log(`| system | real-time factor (${audioSec.toFixed(0)} s of real speech, one thread) |\n| --- | --- |`)
for (const r of rows) console.log(`| ${r.system} | ${r.rtf.toFixed(4)} |`)
