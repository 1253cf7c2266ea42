import * as tf from '@tensorflow/tfjs'
import {beforeAll, describe, expect, it} from 'vitest'

import {selectBackend} from '../src/model/backend.js'
import {conv1dFilterGrad, registerWasmKernels, restoreStockGradients, steps} from '../src/model/wasm-kernels.js'

let backend: string

beforeAll(async () => {
  backend = await selectBackend()
})

interface Case {
  name: string
  batch: number
  width: number
  channels: number
  filters: number
  kernel: number
  stride: number
  pad: 'valid' | 'same'
}

const cases: Case[] = [
  {name: 'course-like kernel 15 stride 4 valid', batch: 2, width: 71, channels: 6, filters: 5, kernel: 15, stride: 4, pad: 'valid'},
  {name: 'kernel 4 stride 2 same (padded)', batch: 3, width: 20, channels: 3, filters: 4, kernel: 4, stride: 2, pad: 'same'},
  {name: 'kernel 1 stride 1', batch: 1, width: 9, channels: 2, filters: 3, kernel: 1, stride: 1, pad: 'valid'},
  {name: 'kernel 3 stride 5 (frames skipped)', batch: 2, width: 23, channels: 2, filters: 3, kernel: 3, stride: 5, pad: 'valid'},
  {name: 'kernel 4 stride 4 with unused tail', batch: 2, width: 27, channels: 3, filters: 2, kernel: 4, stride: 4, pad: 'valid'},
  {name: 'kernel 5 stride 3 same', batch: 2, width: 17, channels: 2, filters: 2, kernel: 5, stride: 3, pad: 'same'},
]

function data(c: Case, seed: number) {
  const x = tf.randomNormal([c.batch, c.width, c.channels], 0, 1, 'float32', seed).arraySync() as number[][][]
  const filter = tf.randomNormal([c.kernel, c.channels, c.filters], 0, 1, 'float32', seed + 1).arraySync() as number[][][]
  const outWidth = c.pad === 'same' ? Math.ceil(c.width / c.stride) : Math.floor((c.width - c.kernel) / c.stride) + 1
  const probe = tf.randomNormal([c.batch, outWidth, c.filters], 0, 1, 'float32', seed + 2).arraySync() as number[][][]
  return {x, filter, probe}
}

/** dL/dfilter for L = sum(conv1d(x, filter) * probe), on whichever backend is active. */
function filterGradient(c: Case, d: ReturnType<typeof data>): number[][][] {
  return tf.tidy(() => {
    const x = tf.tensor3d(d.x)
    const probe = tf.tensor3d(d.probe)
    const grad = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv1d(x, f as tf.Tensor3D, c.stride, c.pad), probe)))(tf.tensor3d(d.filter))
    return grad.arraySync() as number[][][]
  })
}

async function onCpu<T>(f: () => T): Promise<T> {
  await tf.setBackend('cpu')
  try {
    return f()
  } finally {
    await tf.setBackend(backend)
  }
}

function maxAbsDiff(a: number[][][], b: number[][][]): number {
  return Math.max(...a.flat(2).map((v, i) => Math.abs(v - b.flat(2)[i])))
}

describe.each(cases)('Conv1D filter gradient: $name', (c) => {
  it('on the active backend equals the cpu backend\'s Conv2DBackpropFilter', async () => {
    const d = data(c, 17)
    const active = filterGradient(c, d)
    const reference = await onCpu(() => filterGradient(c, d))
    expect(maxAbsDiff(active, reference)).toBeLessThan(1e-4)
  })

  it('computed directly as an im2col matMul equals the cpu backend\'s', async () => {
    const d = data(c, 29)
    const ours = tf.tidy(() => {
      const x4 = tf.tensor3d(d.x).reshape([c.batch, 1, c.width, c.channels]) as tf.Tensor4D
      const probe = tf.tensor3d(d.probe)
      const dy = probe.reshape([c.batch, 1, probe.shape[1], c.filters]) as tf.Tensor4D
      const grad = conv1dFilterGrad(x4, dy, [1, c.kernel, c.channels, c.filters], c.stride, c.pad)
      return grad.reshape([c.kernel, c.channels, c.filters]).arraySync() as number[][][]
    })
    const reference = await onCpu(() => filterGradient(c, d))
    expect(maxAbsDiff(ours, reference)).toBeLessThan(1e-4)
  })
})

it('trains a Conv1D layer on the active backend (wasm has no Conv2DBackpropFilter kernel of its own)', () => {
  const layer = tf.layers.conv1d({filters: 3, kernelSize: 5, strides: 2})
  const x = tf.randomNormal([2, 30, 4], 0, 1, 'float32', 3)
  tf.dispose(layer.apply(x))
  const kernel = layer.trainableWeights[0].read() as tf.Variable
  const {grads} = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x) as tf.Tensor)) as tf.Scalar, [kernel])
  expect(grads[kernel.name].shape).toEqual([5, 4, 3])
  expect(tf.engine().backendName).toBe(backend)
})

it('is needed: without it the wasm backend cannot train a Conv1D', (ctx) => {
  if (backend !== 'wasm') ctx.skip()
  const c = cases[0]
  const d = data(c, 41)
  restoreStockGradients()
  try {
    expect(() => filterGradient(c, d)).toThrow(/Conv2DBackpropFilter/)
  } finally {
    registerWasmKernels()
  }

  expect(filterGradient(c, d)).toHaveLength(c.kernel)
})

describe('BatchNorm gradient', () => {
  it('on the active backend equals the cpu backend\'s, batch statistics included', async () => {
    const x = tf.randomNormal([3, 9, 5], 0, 2, 'float32', 8).arraySync() as number[][][]
    const probe = tf.randomNormal([3, 9, 5], 0, 1, 'float32', 9).arraySync() as number[][][]
    const scale = [0.5, 1, 1.5, 2, -1]
    const offset = [0, 0.1, 0.2, 0.3, 0.4]
    const run = () =>
      tf.tidy(() => {
        // As tfjs-layers BatchNormalization trains: statistics of the batch itself.
        const f = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const {mean, variance} = tf.moments(xs, [0, 1])
          return tf.sum(tf.mul(tf.batchNorm(xs, mean, variance, b, g, 1e-3), tf.tensor3d(probe)))
        }
        return tf.grads(f)([tf.tensor3d(x), tf.tensor1d(scale), tf.tensor1d(offset)]).map((t) => Array.from(t.dataSync()))
      })
    const active = run()
    const reference = await onCpu(run)
    active.forEach((values, i) => values.forEach((v, j) => expect(Math.abs(v - reference[i][j])).toBeLessThan(1e-4)))
  })
})

describe('steps', () => {
  it('cuts a time-major tensor into its slices, equal to tf.unstack', () => {
    const x = tf.randomNormal([50, 3, 7], 0, 1, 'float32', 5)
    const ours = steps(x)
    const reference = tf.unstack(x)
    expect(ours).toHaveLength(50)
    ours.forEach((t, i) => {
      expect(t.shape).toEqual([3, 7])
      expect(Array.from(t.dataSync())).toEqual(Array.from(reference[i].dataSync()))
    })
    tf.dispose([x, ...ours, ...reference])
  })

  it('stays correct when its own allocations grow the wasm heap', (ctx) => {
    if (backend !== 'wasm') ctx.skip()
    const heapBytes = () => (tf.backend() as unknown as {wasm: {HEAPU8: Uint8Array}}).wasm.HEAPU8.byteLength
    const x = tf.fill([2000, 8, 1000], 1).add(tf.range(0, 2000).reshape([2000, 1, 1])) as tf.Tensor3D
    const before = heapBytes()
    const ours = steps(x) // 64 MB of outputs
    expect(heapBytes()).toBeGreaterThan(before)
    expect(ours[0].dataSync()[0]).toBe(1)
    expect(ours[1999].dataSync()[7999]).toBe(2000)
    tf.dispose([x, ...ours])
  })
})
