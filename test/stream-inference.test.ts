import {spectrogramFrontEnd} from '../src/features/front-end.js'
import type {FeatureConfig} from '../src/features/featurize.js'
import * as tf from '@tensorflow/tfjs'
import {beforeAll, describe, expect, it} from 'vitest'

import {featurize} from '../src/features/featurize.js'
import {LOG_FEATURES, RAW_FEATURES, type FeatureTransform} from '../src/features/transform.js'
import {selectBackend} from '../src/model/backend.js'
import {buildModel} from '../src/model/build.js'
import {CONFIG_FORMAT, CONFIG_VERSION, type ModelConfig, courseFeatures} from '../src/model/config.js'
import {COURSE, type ModelPreset, PRESETS, TINY} from '../src/model/presets.js'
import {StreamingInference} from '../src/stream/inference.js'
import {StreamingNetwork} from '../src/stream/network.js'
import {SPEECH_EMBEDDING_PRESET} from '../src/train/embedding/stages.js'
import {COURSE_TRIGGER} from '../src/stream/trigger.js'
import {ModelError} from '../src/util/errors.js'
import {buildToyModel, toyConfig} from './helpers/toy-detector.js'

beforeAll(async () => {
  await selectBackend()
})

function configFor(preset: ModelPreset, transform: FeatureTransform = LOG_FEATURES): ModelConfig {
  return {format: CONFIG_FORMAT, version: CONFIG_VERSION, word: 'activate', preset, features: courseFeatures(transform), trigger: COURSE_TRIGGER}
}

/** Seeded LCG, so every run streams the same audio in the same chunks. */
function rng(seed: number): () => number {
  let s = seed
  return () => (s = (s * 48271) % 2147483647) / 2147483647
}

/** Speech-like test audio: noise bursts and tones over a quiet floor, in int16 units. */
function audio(seconds: number, seed: number): Float64Array {
  const r = rng(seed)
  const n = Math.round(seconds * 44_100)
  const x = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const burst = Math.sin((2 * Math.PI * i) / 20_000) > 0.3 ? 6000 : 60
    x[i] = Math.round(burst * (r() - 0.5) + 2000 * Math.sin(i / (9 + 5 * Math.sin(i / 30_000))))
  }
  return x
}

/** Random weights everywhere, BatchNorm statistics included (variances positive). */
function randomize(model: tf.LayersModel, seed: number, scale = 0.3): void {
  const values = model.weights.map((w, i) =>
    tf.tidy(() => {
      const r = tf.randomNormal(w.shape, 0, scale, 'float32', seed + i)
      return w.originalName.endsWith('moving_variance') ? tf.add(tf.abs(r), 0.5) : r
    }),
  )
  model.setWeights(values)
  tf.dispose(values)
}

function offline(model: tf.LayersModel, samples: Float64Array, config: ModelConfig): Float32Array {
  const f = featurize(samples, config.features)
  return tf.tidy(() => (model.predict(tf.tensor3d(f.data, [1, f.frames, f.bins])) as tf.Tensor).dataSync() as Float32Array)
}

function streamed(inference: StreamingInference, samples: Float64Array, nextChunk: () => number): Float32Array {
  const parts: Float32Array[] = []
  let expectedStep = 0
  for (let at = 0; at < samples.length; ) {
    const n = Math.min(samples.length - at, nextChunk())
    const block = inference.push(samples.subarray(at, at + n))
    expect(block.firstStep).toBe(expectedStep)
    expectedStep += block.steps
    parts.push(block.probabilities)
    at += n
  }
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0))
  let o = 0
  for (const p of parts) out.set(p, (o += p.length) - p.length)
  return out
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('streaming inference', () => {
  it('tiny preset: streamed in random chunk sizes equals model.predict within 1e-4, also after reset()', () => {
    const model = buildModel(TINY)
    randomize(model, 1)
    const config = configFor(TINY)
    const samples = audio(3, 7)
    const expected = offline(model, samples, config)
    const inference = new StreamingInference({dir: 'mem', model, networks: [model], config, frontEnd: spectrogramFrontEnd(config.features as FeatureConfig)})
    const r = rng(3)
    // From single samples to whole seconds: chunk edges land at every phase of the hop and the conv stride.
    const sizes = [() => 1 + Math.floor(r() * 300), () => 1 + Math.floor(r() * 20_000), () => 4410]
    for (const size of sizes) {
      const got = streamed(inference, samples, size)
      expect(got.length).toBe(expected.length)
      expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4)
      inference.reset()
    }
    inference.dispose()
    model.dispose()
  })

  it('course preset, 2 s with random weights: equal to model.predict within 1e-4', () => {
    const model = buildModel(COURSE)
    randomize(model, 11, 0.3)
    const config = configFor(COURSE)
    const samples = audio(2, 5)
    const expected = offline(model, samples, config)
    const inference = new StreamingInference({dir: 'mem', model, networks: [model], config, frontEnd: spectrogramFrontEnd(config.features as FeatureConfig)})
    const r = rng(9)
    const got = streamed(inference, samples, () => 1 + Math.floor(r() * 6000))
    expect(got.length).toBe(expected.length)
    // Not saturated everywhere, so the comparison means something.
    expect(Math.max(...got) - Math.min(...got)).toBeGreaterThan(0.05)
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4)
    inference.dispose()
    model.dispose()
  })

  // The default preset (conv stride 8) where the tree has one; tiny's shape otherwise.
  const defaultPreset = PRESETS.default ?? {...TINY, name: 'stride-8', conv: {...TINY.conv, strides: 8}}

  it(`${defaultPreset.name} preset: equal to model.predict within 1e-4 for random chunk sizes`, () => {
    const model = buildModel(defaultPreset)
    randomize(model, 31, 0.3)
    const config = configFor(defaultPreset)
    const samples = audio(2, 8)
    const expected = offline(model, samples, config)
    const inference = new StreamingInference({dir: 'mem', model, networks: [model], config, frontEnd: spectrogramFrontEnd(config.features as FeatureConfig)})
    const r = rng(12)
    const got = streamed(inference, samples, () => 1 + Math.floor(r() * 8000))
    expect(Math.max(...got) - Math.min(...got)).toBeGreaterThan(0.05)
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4)
    inference.dispose()
    model.dispose()
  })

  it('raw (untransformed) features and sigmoid gates stream too', () => {
    const preset: ModelPreset = {...TINY, name: 'tiny-sigmoid', recurrentActivation: 'sigmoid'}
    const model = buildModel(preset)
    randomize(model, 21, 0.3)
    // Raw PSD values reach 1e7: scale the conv down so the GRUs are not all saturated.
    const conv = model.getLayer('conv1d_1')
    const [k, b] = conv.getWeights()
    conv.setWeights([tf.mul(k, 1e-6), b])
    const config = configFor(preset, RAW_FEATURES)
    const samples = audio(1.5, 2)
    const expected = offline(model, samples, config)
    const inference = new StreamingInference({dir: 'mem', model, networks: [model], config, frontEnd: spectrogramFrontEnd(config.features as FeatureConfig)})
    const r = rng(4)
    expect(maxAbsDiff(streamed(inference, samples, () => 1 + Math.floor(r() * 5000)), expected)).toBeLessThan(1e-4)
    inference.dispose()
    model.dispose()
  })

  it('a CTC head (second output, softmax) streams too: both outputs equal model.predict', () => {
    const model = buildToyModel(true)
    randomize(model, 51, 0.5)
    const config = toyConfig(true)
    const samples = audio(1.5, 6)
    const f = featurize(samples, config.features)
    const [p, c] = tf.tidy(() => (model.predict(tf.tensor3d(f.data, [1, f.frames, f.bins])) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array))
    const inference = new StreamingInference({dir: 'mem', model, networks: [model], config, frontEnd: spectrogramFrontEnd(config.features as FeatureConfig)})
    expect(inference.classes).toBe(4)
    const probs: number[] = []
    const tokens: number[] = []
    const r = rng(8)
    for (let at = 0; at < samples.length; ) {
      const n = 1 + Math.floor(r() * 7000)
      const block = inference.push(samples.subarray(at, at + n))
      probs.push(...block.probabilities)
      tokens.push(...block.tokens!)
      at += n
    }
    expect(maxAbsDiff(Float32Array.from(probs), p)).toBeLessThan(1e-4)
    expect(maxAbsDiff(Float32Array.from(tokens), c)).toBeLessThan(1e-4)
    inference.dispose()
    model.dispose()
  })

  it('the speech-embedding head (96 -> 64 -> GRU 64) runs a step at a time without a tf kernel, a long block in tf, both equal to model.predict within 1e-4', async () => {
    const model = buildModel(SPEECH_EMBEDDING_PRESET, {fused: true})
    randomize(model, 51, 0.3)
    const steps = 150
    const r = rng(17)
    const frames = Float32Array.from({length: steps * 96}, () => 2 * r() - 1)
    const expected = tf.tidy(() => (model.predict(tf.tensor3d(frames, [1, steps, 96])) as tf.Tensor).dataSync() as Float32Array)
    const network = StreamingNetwork.fromModel(model)
    const parts: number[] = []
    const profile = await tf.profile(() => {
      for (let t = 0; t < steps; t += 2) parts.push(...network.push({data: frames.subarray(t * 96, (t + 2) * 96), frames: 2}).probabilities)
    })
    expect(profile.kernels).toHaveLength(0)
    expect(Math.max(...parts) - Math.min(...parts)).toBeGreaterThan(0.05)
    expect(maxAbsDiff(Float32Array.from(parts), expected)).toBeLessThan(1e-4)
    network.reset()
    expect(maxAbsDiff(network.push({data: frames, frames: steps}).probabilities, expected)).toBeLessThan(1e-4)
    network.dispose()
    model.dispose()
  })

  it('tf tensor count stays flat over many chunks', () => {
    const model = buildModel(TINY)
    randomize(model, 2)
    const inference = new StreamingInference({dir: 'mem', model, networks: [model], config: configFor(TINY), frontEnd: spectrogramFrontEnd(configFor(TINY).features as FeatureConfig)})
    const chunk = audio(0.1, 3)
    for (let i = 0; i < 20; i++) inference.push(chunk)
    const before = tf.memory().numTensors
    for (let i = 0; i < 300; i++) inference.push(chunk)
    expect(tf.memory().numTensors).toBe(before)
    inference.dispose()
    model.dispose()
  })

  it('stock tf.layers GRU / TimeDistributed (a model loaded unfused) streams the same way', () => {
    const model = buildModel(TINY, {fused: false})
    randomize(model, 41)
    const config = configFor(TINY)
    const samples = audio(1, 4)
    const expected = offline(model, samples, config)
    const inference = new StreamingInference({dir: 'mem', model, networks: [model], config, frontEnd: spectrogramFrontEnd(config.features as FeatureConfig)})
    expect(maxAbsDiff(streamed(inference, samples, () => 3000), expected)).toBeLessThan(1e-4)
    inference.dispose()
    model.dispose()
  })

  it('a layer it cannot stream is a ModelError naming the layer', () => {
    const input = tf.input({shape: [null, 101]})
    const conv = tf.layers.conv1d({filters: 4, kernelSize: 15, strides: 4}).apply(input) as tf.SymbolicTensor
    const lstm = tf.layers.lstm({units: 4, returnSequences: true, name: 'my_lstm'}).apply(conv) as tf.SymbolicTensor
    const out = tf.layers.timeDistributed({layer: tf.layers.dense({units: 1, activation: 'sigmoid'})}).apply(lstm) as tf.SymbolicTensor
    const model = tf.model({inputs: input, outputs: out})
    expect(() => new StreamingInference({dir: 'lstm-model', model, networks: [model], config: configFor(TINY), frontEnd: spectrogramFrontEnd(configFor(TINY).features as FeatureConfig)})).toThrow(/Cannot load model lstm-model: cannot run it as a stream: layer my_lstm \(LSTM\) cannot be streamed/)
    model.dispose()
  })

  it('a network that does not match rnn-wake.json is a ModelError', () => {
    const model = buildModel(TINY)
    const config = configFor({...TINY, conv: {...TINY.conv, strides: 3}})
    expect(() => new StreamingInference({dir: 'somewhere', model, networks: [model], config, frontEnd: spectrogramFrontEnd(config.features as FeatureConfig)})).toThrow(ModelError)
    model.dispose()
  })
})
