import {beforeAll, describe, expect, it} from 'vitest'
import * as tf from '@tensorflow/tfjs'
import {ctcLoss, ctcLossAndGrad, ctcLossMean, minimumSteps} from '../src/ctc/loss.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

/** Deterministic uniform [0, 1) so failures reproduce. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function randomLogits(n: number, seed: number, scale = 3): Float64Array {
  const rand = mulberry32(seed)
  return Float64Array.from({length: n}, () => (rand() * 2 - 1) * scale)
}

function logSoftmax(logits: ArrayLike<number>, T: number, C: number): Float64Array {
  const out = new Float64Array(T * C)
  for (let t = 0; t < T; t++) {
    let max = -Infinity
    for (let c = 0; c < C; c++) max = Math.max(max, logits[t * C + c])
    let sum = 0
    for (let c = 0; c < C; c++) sum += Math.exp(logits[t * C + c] - max)
    for (let c = 0; c < C; c++) out[t * C + c] = logits[t * C + c] - max - Math.log(sum)
  }
  return out
}

function collapse(path: number[], blank: number): number[] {
  const out: number[] = []
  path.forEach((k, t) => {
    if (k !== blank && (t === 0 || path[t - 1] !== k)) out.push(k)
  })
  return out
}

/** The slow obvious version: sum the probability of every one of the C^T paths that collapses to the label. */
function bruteForceLoss(logProbs: ArrayLike<number>, T: number, C: number, label: number[], blank: number): number {
  let total = 0
  const path = new Array<number>(T).fill(0)
  for (let n = 0; n < C ** T; n++) {
    let rest = n
    for (let t = 0; t < T; t++) {
      path[t] = rest % C
      rest = Math.floor(rest / C)
    }
    const collapsed = collapse(path, blank)
    if (collapsed.length !== label.length || collapsed.some((k, i) => k !== label[i])) continue
    let logP = 0
    for (let t = 0; t < T; t++) logP += logProbs[t * C + path[t]]
    total += Math.exp(logP)
  }
  return -Math.log(total)
}

describe('ctcLossAndGrad', () => {
  const cases: Array<{T: number; C: number; label: number[]; blank: number}> = [
    {T: 1, C: 3, label: [0], blank: 2},
    {T: 4, C: 3, label: [], blank: 2},
    {T: 4, C: 3, label: [0, 1], blank: 2},
    {T: 3, C: 3, label: [1, 1], blank: 2},
    {T: 6, C: 3, label: [1, 1], blank: 2},
    {T: 6, C: 3, label: [0, 1, 0], blank: 2},
    {T: 6, C: 3, label: [1, 1, 1], blank: 2},
    {T: 5, C: 4, label: [0, 1, 2], blank: 3},
    {T: 5, C: 4, label: [1, 3, 3], blank: 0},
    {T: 6, C: 4, label: [2, 2], blank: 1},
  ]

  for (const [i, {T, C, label, blank}] of cases.entries()) {
    it(`equals the brute-force sum over all ${C}^${T} paths for label [${label}] with blank ${blank}`, () => {
      const logProbs = logSoftmax(randomLogits(T * C, 100 + i), T, C)
      const expected = bruteForceLoss(logProbs, T, C, label, blank)
      expect(ctcLossAndGrad(logProbs, T, C, label, blank).loss).toBeCloseTo(expected, 9)

      const single = Float32Array.from(logProbs)
      const expected32 = bruteForceLoss(single, T, C, label, blank)
      expect(ctcLossAndGrad(single, T, C, Int32Array.from(label), blank).loss).toBeCloseTo(expected32, 6)
    })
  }

  it('is +Infinity with zero gradient when the label needs more steps than there are', () => {
    const T = 3
    const logProbs = logSoftmax(randomLogits(T * 3, 7), T, 3)
    expect(minimumSteps([1, 1, 0])).toBe(4)
    const result = ctcLossAndGrad(logProbs, T, 3, [1, 1, 0], 2)
    expect(result.loss).toBe(Infinity)
    expect(bruteForceLoss(logProbs, T, 3, [1, 1, 0], 2)).toBe(Infinity)
    expect(result.grad.every((g) => g === 0)).toBe(true)
  })

  it('handles zero steps: empty label has loss 0, any other label is impossible', () => {
    expect(ctcLossAndGrad(new Float64Array(0), 0, 3, [], 2).loss).toBe(0)
    expect(ctcLossAndGrad(new Float64Array(0), 0, 3, [0], 2).loss).toBe(Infinity)
  })

  it('analytic gradient w.r.t. the logits matches float64 central differences', () => {
    const T = 6
    const C = 4
    const label = [0, 0, 2]
    const logits = randomLogits(T * C, 42)
    const lossAt = (x: Float64Array): number => ctcLossAndGrad(logSoftmax(x, T, C), T, C, label, 3).loss
    const {grad} = ctcLossAndGrad(logSoftmax(logits, T, C), T, C, label, 3)
    const h = 1e-5
    for (let i = 0; i < T * C; i++) {
      const plus = Float64Array.from(logits)
      const minus = Float64Array.from(logits)
      plus[i] += h
      minus[i] -= h
      expect(grad[i]).toBeCloseTo((lossAt(plus) - lossAt(minus)) / (2 * h), 7)
    }
  })

  it('rejects the blank or out-of-range classes inside a label', () => {
    const logProbs = new Float64Array(6)
    expect(() => ctcLossAndGrad(logProbs, 2, 3, [2], 2)).toThrow(/label token 2/)
    expect(() => ctcLossAndGrad(logProbs, 2, 3, [3], 2)).toThrow(/label token 3/)
  })
})

describe('ctcLoss (tfjs op)', () => {
  it('tf.grad matches central differences taken through the op itself', () => {
    const [B, T, C] = [1, 5, 4]
    const label = [[1, 1]]
    const logits = Float32Array.from(randomLogits(B * T * C, 9))
    const f = (x: tf.Tensor): tf.Scalar => tf.sum(ctcLoss(x as tf.Tensor3D, label))
    const grad = tf.tidy(() => tf.grad(f)(tf.tensor3d(logits, [B, T, C])).dataSync())
    // float32 loss values: a large step keeps rounding error (~1e-7 / h) small next to the tolerance.
    const h = 1e-2
    for (let i = 0; i < logits.length; i++) {
      const at = (delta: number): number => {
        const x = Float32Array.from(logits)
        x[i] += delta
        return tf.tidy(() => f(tf.tensor3d(x, [B, T, C])).dataSync()[0])
      }
      expect(grad[i]).toBeCloseTo((at(h) - at(-h)) / (2 * h), 3)
    }
  })

  it('tf.grad equals the float64 gradient of the pure function, scaled by the upstream gradient', () => {
    const [B, T, C] = [2, 6, 3]
    const labels = [[0, 1], [1]]
    const weights = [1, -2.5]
    const logits = Float32Array.from(randomLogits(B * T * C, 11))
    const grad = tf.tidy(() => {
      const f = (x: tf.Tensor): tf.Scalar => tf.sum(tf.mul(ctcLoss(x as tf.Tensor3D, labels), tf.tensor1d(weights)))
      return tf.grad(f)(tf.tensor3d(logits, [B, T, C])).dataSync()
    })
    for (let b = 0; b < B; b++) {
      const rows = logits.subarray(b * T * C, (b + 1) * T * C)
      const expected = ctcLossAndGrad(logSoftmax(rows, T, C), T, C, labels[b], C - 1).grad
      for (let i = 0; i < T * C; i++) expect(grad[b * T * C + i]).toBeCloseTo(weights[b] * expected[i], 5)
    }
  })

  it('a batch with different input and label lengths equals the examples one by one, with zero gradient past each input length', () => {
    const [B, T, C] = [3, 7, 4]
    const labels = [[0, 1, 2], [2, 2], []]
    const inputLengths = [7, 4, 5]
    const logits = Float32Array.from(randomLogits(B * T * C, 21))
    const padded = tf.tensor2d([[0, 1, 2], [2, 2, -1], [-1, -1, -1]], [3, 3], 'int32')

    const before = tf.memory().numTensors
    const {losses, paddedLosses, grad} = tf.tidy(() => {
      const x = tf.tensor3d(logits, [B, T, C])
      const f = (y: tf.Tensor): tf.Tensor1D => ctcLoss(y as tf.Tensor3D, labels, {inputLengths})
      return {
        losses: f(x).dataSync(),
        paddedLosses: ctcLoss(x, padded, {inputLengths, labelLengths: [3, 2, 0]}).dataSync(),
        grad: tf.grad((y) => tf.sum(f(y)))(x).dataSync(),
      }
    })
    expect(tf.memory().numTensors).toBe(before)
    padded.dispose()

    for (let b = 0; b < B; b++) {
      const steps = inputLengths[b]
      const own = logits.subarray(b * T * C, b * T * C + steps * C)
      const expected = ctcLossAndGrad(logSoftmax(own, steps, C), steps, C, labels[b], C - 1)
      expect(losses[b]).toBeCloseTo(expected.loss, 4)
      expect(paddedLosses[b]).toBe(losses[b])
      for (let i = 0; i < steps * C; i++) expect(grad[b * T * C + i]).toBeCloseTo(expected.grad[i], 5)
      for (let i = steps * C; i < T * C; i++) expect(grad[b * T * C + i]).toBe(0)
    }
  })

  it('is Infinity for an impossible alignment by default, and 0 with zero gradient under zeroInfinity', () => {
    const [B, T, C] = [2, 3, 3]
    const labels = [[0, 0, 1], [1]]
    const x = tf.tensor3d(Float32Array.from(randomLogits(B * T * C, 5)), [B, T, C])
    const plain = ctcLoss(x, labels)
    expect(plain.dataSync()[0]).toBe(Infinity)
    expect(Number.isFinite(plain.dataSync()[1])).toBe(true)
    expect(ctcLossMean(x, labels).dataSync()[0]).toBe(Infinity)

    const zeroed = ctcLoss(x, labels, {zeroInfinity: true}).dataSync()
    expect(zeroed[0]).toBe(0)
    expect(zeroed[1]).toBeCloseTo(plain.dataSync()[1], 6)
    const mean = ctcLossMean(x, labels, {zeroInfinity: true}).dataSync()[0]
    expect(mean).toBeCloseTo(plain.dataSync()[1] / 2, 5)

    const grad = tf.grad((y) => tf.sum(ctcLoss(y as tf.Tensor3D, labels, {zeroInfinity: true})))(x).dataSync()
    expect(grad.subarray(0, T * C).every((g) => g === 0)).toBe(true)
    expect(grad.subarray(T * C).some((g) => g !== 0)).toBe(true)
    tf.dispose([x, plain])
  })

  it('ctcLossMean can normalise by label length like PyTorch reduction="mean"', () => {
    const x = tf.tensor3d(Float32Array.from(randomLogits(2 * 6 * 4, 3)), [2, 6, 4])
    const labels = [[0, 1, 2], []]
    const losses = ctcLoss(x, labels).dataSync()
    const mean = ctcLossMean(x, labels, {divideByLabelLength: true}).dataSync()[0]
    expect(mean).toBeCloseTo((losses[0] / 3 + losses[1] / 1) / 2, 5)
    x.dispose()
  })

  it('stays finite and fast for T=1375, C=12 and a 40-token label with repeats', () => {
    const [B, T, C] = [2, 1375, 12]
    const rand = mulberry32(77)
    const label = Array.from({length: 40}, (_, i) => (i % 7 === 3 ? -1 : Math.floor(rand() * (C - 1))))
    for (let i = 0; i < label.length; i++) if (label[i] < 0) label[i] = label[i - 1]
    // Large logits make the per-step distributions sharp, the case where naive products underflow.
    const x = tf.tensor3d(Float32Array.from(randomLogits(B * T * C, 78, 20)), [B, T, C])

    const started = performance.now()
    const [loss, grad] = tf.tidy(() => {
      const f = (y: tf.Tensor): tf.Scalar => tf.sum(ctcLoss(y as tf.Tensor3D, [label, label.slice(0, 25)]))
      const {value, grad} = tf.valueAndGrad(f)(x)
      return [value.dataSync()[0], grad.dataSync()] as const
    })
    const elapsed = performance.now() - started

    expect(Number.isFinite(loss)).toBe(true)
    expect(loss).toBeGreaterThan(0)
    expect(grad.every(Number.isFinite)).toBe(true)
    // softmax and occupancy each sum to 1 per step, so every gradient row sums to 0.
    for (let t = 0; t < B * T; t += 97) {
      let rowSum = 0
      for (let c = 0; c < C; c++) rowSum += grad[t * C + c]
      expect(Math.abs(rowSum)).toBeLessThan(1e-5)
    }
    expect(elapsed).toBeLessThan(2000)
    x.dispose()
  })
})
