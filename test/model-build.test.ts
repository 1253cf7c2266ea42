import {mkdtemp, readFile, rm, truncate, unlink} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {selectBackend} from '../src/model/backend.js'
import {buildModel} from '../src/model/build.js'
import {MODEL_JSON, WEIGHTS_BIN, loadModel, saveModel} from '../src/model/io.js'
import {COURSE, TINY, getPreset, outputSteps} from '../src/model/presets.js'
import {ModelError, UserError} from '../src/util/errors.js'

let dir: string

beforeAll(async () => {
  await selectBackend()
  dir = await mkdtemp(join(tmpdir(), 'rnn-wake-model-'))
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape)
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])
}

/** Every weight random, BatchNorm variances positive, so a wrong mapping cannot hide behind zeros/ones. */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const values = model.weights.map((w, i) =>
    tf.tidy(() => {
      const r = tf.randomNormal(w.shape, 0, 0.3, 'float32', seed + i)
      return w.originalName.endsWith('moving_variance') ? tf.add(tf.abs(r), 0.5) : r
    }),
  )
  model.setWeights(values)
  tf.dispose(values)
}

describe('presets', () => {
  it('course preset has the 522,561 parameters of the course model with Keras-2 GRUs', () => {
    expect(buildModel(COURSE, {fused: true}).countParams()).toBe(522_561)
    expect(buildModel(COURSE, {fused: false}).countParams()).toBe(522_561)
  })

  it('course preset maps a 10 s clip (5511 frames) to 1375 output steps', () => {
    expect(outputSteps(COURSE, 5511)).toBe(1375)
    const model = buildModel(COURSE, {fused: true})
    const y = tf.tidy(() => model.predict(tf.zeros([1, 5511, 101])) as tf.Tensor)
    expect(y.shape).toEqual([1, 1375, 1])
    y.dispose()
  })

  it('accepts any number of frames (crops, streaming chunks)', () => {
    const model = buildModel(TINY, {fused: true})
    for (const frames of [15, 100, 333]) {
      const y = tf.tidy(() => model.predict(tf.zeros([2, frames, 101])) as tf.Tensor)
      expect(y.shape).toEqual([2, outputSteps(TINY, frames), 1])
      y.dispose()
    }
  })

  it('unknown preset names are a usage error listing the choices', () => {
    expect(() => getPreset('huge')).toThrow(UserError)
    expect(() => getPreset('huge')).toThrow(/course, tiny/)
  })
})

describe('training', () => {
  it('tiny preset drives a per-step BCE loss down in a few Adam steps', () => {
    // Toy task: a loud band in some clips; label 1 on the output steps that see it.
    const batch = 4
    const frames = 160
    const steps = outputSteps(TINY, frames)
    const xs = tf.buffer([batch, frames, 101])
    const ys = tf.buffer([batch, steps, 1])
    for (let b = 0; b < batch; b++) {
      const start = 20 + 30 * b
      for (let t = 0; t < frames; t++) {
        for (let f = 0; f < 101; f++) xs.set(Math.sin(t * 0.37 + f * 1.3) * 0.3, b, t, f)
        if (b % 2 === 0 && t >= start && t < start + 40) for (let f = 10; f < 40; f++) xs.set(2, b, t, f)
      }

      for (let s = 0; s < steps; s++) {
        const t = s * TINY.conv.strides
        ys.set(b % 2 === 0 && t >= start && t < start + 40 ? 1 : 0, b, s, 0)
      }
    }

    const x = xs.toTensor()
    const y = ys.toTensor()
    const model = buildModel(TINY, {fused: true})
    const optimizer = tf.train.adam(0.01)
    const losses: number[] = []
    const started = Date.now()
    for (let i = 0; i < 25; i++) {
      const loss = optimizer.minimize(
        () => tf.losses.logLoss(y, model.apply(x, {training: true}) as tf.Tensor) as tf.Scalar,
        true,
      )!
      losses.push(loss.dataSync()[0])
      loss.dispose()
    }

    const seconds = (Date.now() - started) / 1000
    console.log(`tiny preset, ${tf.getBackend()}: 25 Adam steps in ${seconds.toFixed(1)} s, loss ${losses[0].toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}`)
    expect(losses.every(Number.isFinite)).toBe(true)
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0])
    tf.dispose([x, y])
    optimizer.dispose()
  })
})

describe('save and load', () => {
  const x = () => tf.randomNormal([2, 120, 101], 0, 1, 'float32', 7)

  it('round-trips a fused model to identical predictions', async () => {
    const model = buildModel(TINY, {fused: true})
    randomizeWeights(model, 100)
    const input = x()
    const before = model.predict(input) as tf.Tensor
    await saveModel(model, join(dir, 'roundtrip'))
    const loaded = await loadModel(join(dir, 'roundtrip'), {fused: true})
    expect(loaded.layers.map((l) => l.getClassName())).toContain('FusedGRU')
    expect(maxAbsDiff(loaded.predict(input) as tf.Tensor, before)).toBe(0)
    tf.dispose([input, before])
  })

  it('writes a standard Layers model (stock class names, Keras weight names) that loads into stock tf.layers', async () => {
    const model = buildModel(TINY, {fused: true})
    randomizeWeights(model, 200)
    const input = x()
    const fusedOut = model.predict(input) as tf.Tensor
    await saveModel(model, join(dir, 'stock'))

    const json = JSON.parse(await readFile(join(dir, 'stock', MODEL_JSON), 'utf8'))
    const classes = json.modelTopology.config.layers.map((l: {class_name: string}) => l.class_name)
    expect(classes).toEqual(expect.arrayContaining(['Conv1D', 'GRU', 'TimeDistributed']))
    expect(JSON.stringify(json.modelTopology)).not.toMatch(/Fused/)
    const names = json.weightsManifest[0].weights.map((w: {name: string}) => w.name)
    expect(names).toEqual(expect.arrayContaining(['conv1d_1/kernel', 'gru_1/kernel', 'gru_1/recurrent_kernel', 'gru_1/bias', 'time_distributed_1/kernel']))
    expect(json.weightsManifest[0].paths).toEqual([WEIGHTS_BIN])

    // Straight through tfjs' own loader, no rnn-wake code involved.
    const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => [
      manifest[0].weights,
      new Uint8Array(await readFile(join(dir, 'stock', WEIGHTS_BIN))).buffer,
    ])
    const stock = await tf.loadLayersModel(tf.io.fromMemory(artifacts))
    expect(stock.layers.map((l) => l.getClassName())).toEqual(expect.arrayContaining(['GRU', 'TimeDistributed']))
    expect(maxAbsDiff(stock.predict(input) as tf.Tensor, fusedOut)).toBeLessThan(1e-5)

    const viaLoader = await loadModel(join(dir, 'stock'), {fused: false})
    expect(viaLoader.layers.map((l) => l.getClassName())).not.toContain('FusedGRU')
    expect(maxAbsDiff(viaLoader.predict(input) as tf.Tensor, fusedOut)).toBeLessThan(1e-5)
    tf.dispose([input, fusedOut])
  })

  it('loads a model built with stock layers into the fused layers', async () => {
    const model = buildModel(TINY, {fused: false})
    randomizeWeights(model, 300)
    const input = x()
    const stockOut = model.predict(input) as tf.Tensor
    await saveModel(model, join(dir, 'from-stock'))
    const fused = await loadModel(join(dir, 'from-stock'))
    expect(fused.layers.map((l) => l.getClassName())).toEqual(expect.arrayContaining(['FusedGRU', 'FusedTimeDistributed']))
    expect(maxAbsDiff(fused.predict(input) as tf.Tensor, stockOut)).toBeLessThan(1e-5)
    tf.dispose([input, stockOut])
  })

  it('says what is wrong with a broken model directory', async () => {
    const model = buildModel(TINY, {fused: true})
    const broken = join(dir, 'broken')
    await saveModel(model, broken)
    await truncate(join(broken, WEIGHTS_BIN), 1000)
    await expect(loadModel(broken)).rejects.toThrow(ModelError)
    await expect(loadModel(broken)).rejects.toThrow(/weights are 1000 bytes but model.json describes \d+/)
    await unlink(join(broken, MODEL_JSON))
    await expect(loadModel(broken)).rejects.toThrow(/model.json not found/)
  })
})

describe('recurrent initializer', () => {
  it('draws what tfjs orthogonal draws for the same seed, saves as "Orthogonal", and prints no "Slowness may result" warning', () => {
    const warnings: string[] = []
    const warn = console.warn
    console.warn = (...args: unknown[]) => void warnings.push(String(args[0]))
    let model: tf.LayersModel
    try {
      model = buildModel(getPreset('default'), {fused: true, seed: 1})
    } finally {
      console.warn = warn
    }
    expect(warnings.filter((w) => w.includes('Orthogonal'))).toEqual([])
    // Seeds are numbered in build order: conv1d_1 kernel (1), gru_1 kernel (2), gru_1 recurrent kernel (3).
    const recurrent = model.getLayer('gru_1').getWeights()[1]
    const expected = tf.initializers.orthogonal({seed: 64 + 3}).apply(recurrent.shape)
    expect(maxAbsDiff(recurrent, expected)).toBe(0)
    const config = JSON.stringify(model.getLayer('gru_1').getConfig())
    expect(config).toContain('"recurrentInitializer":{"className":"Orthogonal"')
    expected.dispose()
    model.dispose()
  })
})

