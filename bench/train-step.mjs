// Seconds per Adam step of a preset on random input: the training thread's cost alone (no data making).
// usage: node bench/train-step.mjs PRESET_JSON_OR_NAME FRAMES BATCH [STEPS] [--threads N]
// With --threads (1 included) the step is the trainer's own (src/train/parallel.ts: BCE loss, batch split
// over N threads); without it, the plain optimizer.minimize on logLoss that earlier results were measured with.
import * as tf from '@tensorflow/tfjs'
import {selectBackend} from '../dist/src/model/backend.js'
import {buildModel} from '../dist/src/model/build.js'
import {getPreset} from '../dist/src/model/presets.js'
import {createStepper} from '../dist/src/train/parallel.js'

const argv = process.argv.slice(2)
const at = argv.indexOf('--threads')
const threads = at === -1 ? undefined : Number(argv[at + 1])
if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new Error(`--threads must be a whole number >= 1, not ${argv[at + 1]}`)
const [spec, frames = '5511', batch = '16', steps = '4'] = at === -1 ? argv : [...argv.slice(0, at), ...argv.slice(at + 2)]
const preset = spec.startsWith('{') ? JSON.parse(spec) : getPreset(spec)
const backend = await selectBackend(process.env.BACKEND)
const model = buildModel(preset, {fused: true})
const opt = tf.train.adam(1e-3)
const ty = model.predict(tf.zeros([1, Number(frames), 101])).shape[1]

let step
let close = async () => {}
if (threads === undefined) {
  const vars = model.trainableWeights.map((w) => w.read())
  const x = tf.randomNormal([Number(batch), Number(frames), 101])
  const y = tf.cast(tf.randomUniform([Number(batch), ty, 1]).greater(0.9), 'float32')
  step = async () => {
    const loss = opt.minimize(() => tf.losses.logLoss(y, model.apply(x, {training: true})), true, vars)
    await loss.data()
    loss.dispose()
  }
} else {
  const examples = Array.from({length: Number(batch)}, () => ({
    features: tf.randomNormal([Number(frames) * 101]).dataSync(),
    frames: Number(frames),
    labels: Uint8Array.from({length: ty}, () => (Math.random() < 0.1 ? 1 : 0)),
    truthsSec: [],
  }))
  const stepper = await createStepper({model, optimizer: opt, loss: {classWeight: 1}, threads, preset, ctcTokens: 0, backend})
  step = () => stepper.step(examples)
  close = () => stepper.close()
}

const times = []
try {
  for (let i = 0; i < Number(steps) + 1; i++) {
    const t = performance.now()
    await step()
    times.push((performance.now() - t) / 1000)
  }
} finally {
  await close()
}
const timed = times.slice(1)
const best = Math.min(...timed)
const mean = timed.reduce((a, b) => a + b, 0) / timed.length
const eq = (Number(batch) * Number(frames)) / 5511 / best
console.log(
  JSON.stringify({
    preset: preset.name,
    backend,
    frames: Number(frames),
    batch: Number(batch),
    ...(threads === undefined ? {} : {threads, meanSecPerStep: +mean.toFixed(3)}),
    secPerStep: +best.toFixed(3),
    examplesPerSec10sEq: +eq.toFixed(2),
    // maxRSS is the whole process's peak, worker threads included.
    rssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
)
