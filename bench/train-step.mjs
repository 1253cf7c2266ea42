// Seconds per Adam step of a preset on random input: the training thread's cost alone (no data making).
// usage: node bench/train-step.mjs PRESET_JSON_OR_NAME FRAMES BATCH [STEPS]
import * as tf from '@tensorflow/tfjs'
import {selectBackend} from '../dist/src/model/backend.js'
import {buildModel} from '../dist/src/model/build.js'
import {getPreset} from '../dist/src/model/presets.js'

const [spec, frames = '5511', batch = '16', steps = '4'] = process.argv.slice(2)
const preset = spec.startsWith('{') ? JSON.parse(spec) : getPreset(spec)
const backend = await selectBackend(process.env.BACKEND)
const model = buildModel(preset, {fused: true})
const vars = model.trainableWeights.map((w) => w.read())
const opt = tf.train.adam(1e-3)
const x = tf.randomNormal([Number(batch), Number(frames), 101])
const ty = model.predict(tf.zeros([1, Number(frames), 101])).shape[1]
const y = tf.cast(tf.randomUniform([Number(batch), ty, 1]).greater(0.9), 'float32')
const times = []
for (let i = 0; i < Number(steps) + 1; i++) {
  const t = performance.now()
  const loss = opt.minimize(() => tf.losses.logLoss(y, model.apply(x, {training: true})), true, vars)
  await loss.data()
  loss.dispose()
  times.push((performance.now() - t) / 1000)
}
const best = Math.min(...times.slice(1))
const eq = (Number(batch) * Number(frames)) / 5511 / best
console.log(JSON.stringify({preset: preset.name, backend, frames: Number(frames), batch: Number(batch), secPerStep: +best.toFixed(3), examplesPerSec10sEq: +eq.toFixed(2), rssMiB: Math.round(process.resourceUsage().maxRSS / 1024)}))
