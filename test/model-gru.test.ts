import * as tf from '@tensorflow/tfjs'
import {beforeAll, describe, expect, it} from 'vitest'

import {selectBackend} from '../src/model/backend.js'
import {FusedGRU, type RecurrentActivation, gruSequence, gruStep, projectInput} from '../src/model/gru.js'

const B = 2
const T = 7
const D = 5
const H = 4

beforeAll(async () => {
  await selectBackend()
})

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape)
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])
}

/** Large enough weights that the hard sigmoid clips for some units and not others. */
function randomWeights(seed: number) {
  return {
    x: tf.randomNormal([B, T, D], 0, 1, 'float32', seed) as tf.Tensor3D,
    kernel: tf.randomNormal([D, 3 * H], 0, 0.8, 'float32', seed + 1) as tf.Tensor2D,
    recurrent: tf.randomNormal([H, 3 * H], 0, 0.8, 'float32', seed + 2) as tf.Tensor2D,
    bias: tf.randomNormal([3 * H], 0, 0.5, 'float32', seed + 3) as tf.Tensor1D,
    h0: tf.randomNormal([B, H], 0, 0.5, 'float32', seed + 4) as tf.Tensor2D,
    // A random weighting of the outputs, so every step and unit gets its own dL/dy.
    probe: tf.randomNormal([B, T, H], 0, 1, 'float32', seed + 5) as tf.Tensor3D,
  }
}

function stockGru(w: ReturnType<typeof randomWeights>, recurrentActivation: RecurrentActivation, returnSequences = true) {
  const layer = tf.layers.gru({units: H, returnSequences, recurrentActivation})
  tf.dispose(layer.apply(w.x)) // builds the layer (a second build() would re-create its weights)
  layer.setWeights([w.kernel, w.recurrent, w.bias])
  return layer
}

describe.each<RecurrentActivation>(['hardSigmoid', 'sigmoid'])('fused GRU with %s recurrent activation', (act) => {
  it('gives the same outputs as tf.layers.gru with the same weights', () => {
    const w = randomWeights(11)
    const stock = stockGru(w, act)
    const expected = stock.apply(w.x) as tf.Tensor
    const actual = gruSequence(w.x, w.kernel, w.recurrent, w.bias, undefined, {recurrentActivation: act})
    expect(actual.shape).toEqual([B, T, H])
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5)
  })

  it('gives the same outputs as tf.layers.gru from an initial state', () => {
    const w = randomWeights(21)
    const stock = stockGru(w, act)
    const expected = stock.apply(w.x, {initialState: [w.h0]}) as tf.Tensor
    const actual = gruSequence(w.x, w.kernel, w.recurrent, w.bias, w.h0, {recurrentActivation: act})
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5)
  })

  it('gives the same gradients as autodiff through tf.layers.gru (x, kernel, recurrent kernel, bias, h0)', () => {
    const w = randomWeights(31)
    const stock = stockGru(w, act)
    const [kernelVar, recurrentVar, biasVar] = stock.trainableWeights.map((v) => v.read() as tf.Variable)
    const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, w.probe)) as tf.Scalar

    const stockWeightGrads = tf.variableGrads(() => loss(stock.apply(w.x, {initialState: [w.h0]}) as tf.Tensor), [
      kernelVar,
      recurrentVar,
      biasVar,
    ]).grads
    const [stockDx, stockDh0] = tf.grads((x, h0) => loss(stock.apply(x, {initialState: [h0]}) as tf.Tensor))([w.x, w.h0])

    const fused = tf.grads((x, k, u, b, h0) =>
      loss(
        gruSequence(x as tf.Tensor3D, k as tf.Tensor2D, u as tf.Tensor2D, b as tf.Tensor1D, h0 as tf.Tensor2D, {
          recurrentActivation: act,
        }),
      ),
    )([w.x, w.kernel, w.recurrent, w.bias, w.h0])

    expect(maxAbsDiff(fused[0], stockDx)).toBeLessThan(1e-4)
    expect(maxAbsDiff(fused[1], stockWeightGrads[kernelVar.name])).toBeLessThan(1e-4)
    expect(maxAbsDiff(fused[2], stockWeightGrads[recurrentVar.name])).toBeLessThan(1e-4)
    expect(maxAbsDiff(fused[3], stockWeightGrads[biasVar.name])).toBeLessThan(1e-4)
    expect(maxAbsDiff(fused[4], stockDh0)).toBeLessThan(1e-4)
    // Guard against a vacuous pass (e.g. all-zero gradients on both sides).
    expect(tf.tidy(() => tf.max(tf.abs(fused[2])).dataSync()[0])).toBeGreaterThan(1e-3)
  })
})

describe('fused GRU op', () => {
  it('gives gradients without h0 that match the zero-state stock layer', () => {
    const w = randomWeights(41)
    const stock = stockGru(w, 'hardSigmoid')
    const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, w.probe)) as tf.Scalar
    const stockDx = tf.grad((x) => loss(stock.apply(x) as tf.Tensor))(w.x)
    const [dx] = tf.grads((x, k, u, b) => loss(gruSequence(x as tf.Tensor3D, k as tf.Tensor2D, u as tf.Tensor2D, b as tf.Tensor1D)))([
      w.x,
      w.kernel,
      w.recurrent,
      w.bias,
    ])
    expect(maxAbsDiff(dx, stockDx)).toBeLessThan(1e-4)
  })

  it('leaks no tensors in forward or backward', () => {
    const w = randomWeights(51)
    const before = tf.memory().numTensors
    tf.dispose(gruSequence(w.x, w.kernel, w.recurrent, w.bias))
    const grads = tf.grads((x, k, u, b) => tf.sum(gruSequence(x as tf.Tensor3D, k as tf.Tensor2D, u as tf.Tensor2D, b as tf.Tensor1D)))([
      w.x,
      w.kernel,
      w.recurrent,
      w.bias,
    ])
    tf.dispose(grads)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('steps one frame at a time to the same states as the whole sequence (gruStep)', () => {
    const w = randomWeights(61)
    const whole = gruSequence(w.x, w.kernel, w.recurrent, w.bias, w.h0)
    const proj = projectInput(w.x, w.kernel, w.bias)
    let h = w.h0
    for (let t = 0; t < T; t++) {
      const xProj = proj.slice([0, t, 0], [B, 1, 3 * H]).reshape([B, 3 * H]) as tf.Tensor2D
      h = gruStep(h, xProj, w.recurrent)
      const expected = whole.slice([0, t, 0], [B, 1, H]).reshape([B, H])
      expect(maxAbsDiff(h, expected)).toBeLessThan(1e-5)
    }
  })

  it('computes the same outputs and gradients on the cpu backend (no fused step kernel there)', async () => {
    const w = randomWeights(91)
    const run = () =>
      tf.tidy(() => {
        const f = (x: tf.Tensor, k: tf.Tensor, u: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(gruSequence(x as tf.Tensor3D, k as tf.Tensor2D, u as tf.Tensor2D, b as tf.Tensor1D), w.probe))
        return [f(w.x, w.kernel, w.recurrent, w.bias), ...tf.grads(f)([w.x, w.kernel, w.recurrent, w.bias])].map((t) =>
          Array.from(t.dataSync()),
        )
      })
    const active = run()
    const backend = tf.getBackend()
    await tf.setBackend('cpu')
    let cpu: number[][]
    try {
      cpu = run()
    } finally {
      await tf.setBackend(backend)
    }

    active.forEach((values, i) => values.forEach((v, j) => expect(Math.abs(v - cpu[i][j])).toBeLessThan(1e-4)))
  })

  it('rejects mismatched weight shapes with a message naming the tensor', () => {
    const w = randomWeights(71)
    expect(() => gruSequence(w.x, w.recurrent, w.recurrent, w.bias)).toThrow(/kernel must be \[5, 12\]/)
  })
})

describe('FusedGRU layer', () => {
  it('has the weight names, shapes and order of tf.layers.gru and the same config', () => {
    const fused = new FusedGRU({units: H, returnSequences: true, name: 'gru_a'})
    const stock = tf.layers.gru({units: H, returnSequences: true, name: 'gru_a'})
    fused.build([null, null, D])
    stock.build([null, null, D])
    const describe = (l: tf.layers.Layer) => l.weights.map((v) => [v.originalName, v.shape])
    expect(describe(fused)).toEqual(describe(stock))
    expect(fused.getConfig()).toEqual(stock.getConfig())
    expect(fused.getClassName()).toBe('FusedGRU')
  })

  it('computes what tf.layers.gru computes with the same weights, with and without returnSequences', () => {
    const w = randomWeights(81)
    for (const returnSequences of [true, false]) {
      const stock = stockGru(w, 'hardSigmoid', returnSequences)
      const fused = new FusedGRU({units: H, returnSequences})
      tf.dispose(fused.apply(w.x))
      fused.setWeights(stock.getWeights())
      expect(maxAbsDiff(fused.apply(w.x) as tf.Tensor, stock.apply(w.x) as tf.Tensor)).toBeLessThan(1e-5)
    }
  })

  it('refuses configurations the fused op does not implement', () => {
    expect(() => new FusedGRU({units: H, recurrentDropout: 0.2})).toThrow(/dropout/)
    expect(() => new FusedGRU({units: H, activation: 'relu'})).toThrow(/activation relu/)
  })
})
