import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {selectBackend} from '../src/model/backend.js'
import {buildModel} from '../src/model/build.js'
import {loadDetector} from '../src/model/model-dir.js'
import {type ModelPreset, TINY, outputSteps} from '../src/model/presets.js'
import {STATE_FILE} from '../src/train/checkpoint.js'
import type {TrainExample} from '../src/train/examples.js'
import {type LossOptions, type Stepper, type TokenTargets, createStepper, localStepper, readFlat, replicaWeights, watchdogMs, writeFlat} from '../src/train/parallel.js'
import {type TrainOptions, type TrainState, train} from '../src/train/trainer.js'
import {writeToyClips} from './helpers/toy-clips.js'
import {savedWeights, toyCorpus, toyTrainOptions} from './helpers/toy-train.js'

/**
 * Data-parallel steps (src/train/parallel.ts). Gradients are compared through
 * plain SGD with learning rate 1, whose weight update is exactly minus the
 * gradient (Adam's first step would be ~lr * sign(g) and hide magnitudes),
 * on the tiny preset without dropout so that every step is deterministic.
 * The worker threads run the built copy in dist/ (npm run build).
 */

const PRESET: ModelPreset = {...TINY, dropout: 0}
const FRAMES = 200
const TY = outputSteps(PRESET, FRAMES)
let dir: string

function lcg(seed: number): () => number {
  let s = seed
  return () => {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0
    return s / 2 ** 32
  }
}

function example(seed: number): TrainExample {
  const rand = lcg(seed)
  const features = Float32Array.from({length: FRAMES * PRESET.features}, () => 2 * rand() - 1)
  const labels = Uint8Array.from({length: TY}, () => (rand() < 0.2 ? 1 : 0))
  return {features, frames: FRAMES, labels, truthsSec: []}
}

function allWeights(model: tf.LayersModel): tf.LayerVariable[] {
  const {trainable, fixed} = replicaWeights(model)
  return [...trainable, ...fixed]
}

interface Outcome {
  loss: number
  ctcLoss?: number
  /** Change of the trainable weights (minus the gradient, under SGD at lr 1). */
  delta: Float32Array
  /** BatchNorm moving statistics after the step. */
  fixed: Float32Array
}

async function stepFrom(model: tf.LayersModel, snapshot: Float32Array, make: (optimizer: tf.Optimizer) => Promise<Stepper>, examples: TrainExample[], targets?: TokenTargets[]): Promise<Outcome> {
  const {trainable, fixed} = replicaWeights(model)
  writeFlat(allWeights(model), snapshot)
  const stepper = await make(tf.train.sgd(1))
  try {
    const r = await stepper.step(examples, targets)
    const after = readFlat(trainable)
    return {...r, delta: after.map((v, i) => v - snapshot[i]), fixed: readFlat(fixed)}
  } finally {
    await stepper.close()
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

function weighted(parts: {n: number; values: Float32Array}[]): Float32Array {
  const total = parts.reduce((a, p) => a + p.n, 0)
  const out = new Float32Array(parts[0].values.length)
  for (const p of parts) for (let i = 0; i < out.length; i++) out[i] += (p.n / total) * p.values[i]
  return out
}

beforeAll(async () => {
  await selectBackend()
  dir = await mkdtemp(join(tmpdir(), 'rnn-wake-parallel-'))
  await writeToyClips(dir)
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('data-parallel step', () => {
  it('applies the full-batch gradient when the shards share their BatchNorm statistics', async () => {
    const model = buildModel(PRESET, {fused: true})
    const snapshot = readFlat(allWeights(model))
    const loss: LossOptions = {classWeight: 2}
    // Each shard holds the same two examples, so per-shard batch statistics are the full batch's.
    const batch = [example(1), example(2), example(1), example(2)]
    const full = await stepFrom(model, snapshot, async (optimizer) => localStepper(model, optimizer, loss), batch)
    const parallel = await stepFrom(model, snapshot, (optimizer) => createStepper({model, optimizer, loss, threads: 2, preset: PRESET, ctcTokens: 0, backend: tf.getBackend()}), batch)
    expect(Math.max(...full.delta.map(Math.abs))).toBeGreaterThan(1e-3)
    expect(maxAbsDiff(parallel.delta, full.delta)).toBeLessThan(1e-5)
    expect(maxAbsDiff(parallel.fixed, full.fixed)).toBeLessThan(1e-5)
    expect(parallel.loss).toBeCloseTo(full.loss, 5)
    model.dispose()
  })

  it('averages unequal shards by size, CTC head included, and averages the BatchNorm statistics', async () => {
    const model = buildModel(PRESET, {fused: true, ctcTokens: 2})
    const snapshot = readFlat(allWeights(model))
    const loss: LossOptions = {classWeight: 2, ctc: {weight: 0.5, blank: 2}}
    const batch = [1, 2, 3, 4, 5].map(example)
    const targets = [[0], [1, 0], [], [1], [0, 0]].map((ids) => ({ids}))
    const local = (optimizer: tf.Optimizer): Promise<Stepper> => Promise.resolve(localStepper(model, optimizer, loss))
    for (const shards of [
      [3, 2],
      [2, 2, 1],
    ]) {
      const parts: (Outcome & {n: number})[] = []
      let start = 0
      for (const n of shards) {
        parts.push({n, ...(await stepFrom(model, snapshot, local, batch.slice(start, start + n), targets.slice(start, start + n)))})
        start += n
      }
      expect(maxAbsDiff(parts[0].delta, parts[1].delta), 'shards with different gradients').toBeGreaterThan(1e-3)
      const parallel = await stepFrom(model, snapshot, (optimizer) => createStepper({model, optimizer, loss, threads: shards.length, preset: PRESET, ctcTokens: 2, backend: tf.getBackend()}), batch, targets)
      expect(maxAbsDiff(parallel.delta, weighted(parts.map((p) => ({n: p.n, values: p.delta}))))).toBeLessThan(1e-5)
      expect(maxAbsDiff(parallel.fixed, weighted(parts.map((p) => ({n: p.n, values: p.fixed}))))).toBeLessThan(1e-5)
      expect(parallel.loss).toBeCloseTo(parts.reduce((a, p) => a + p.n * p.loss, 0) / 5, 5)
      expect(parallel.ctcLoss).toBeCloseTo(parts.reduce((a, p) => a + p.n * p.ctcLoss!, 0) / 5, 5)
    }
    model.dispose()
  })

  it('surfaces a worker failure as an error, not a hang', async () => {
    const model = buildModel(PRESET, {fused: true, ctcTokens: 2})
    const optimizer = tf.train.sgd(0.01)
    const base = {model, optimizer, loss: {classWeight: 1, ctc: {weight: 1, blank: 2}}, threads: 2, preset: PRESET, ctcTokens: 2, backend: tf.getBackend()}

    // An error while computing: token 7 does not exist, and only the worker's shard holds it.
    const stepper = await createStepper(base)
    const batch = [1, 2, 3, 4].map(example)
    await expect(stepper.step(batch, [[0], [1], [0], [7]].map((ids) => ({ids})))).rejects.toThrow(/gradient thread 1 failed: .*label token 7/)
    await expect(stepper.step(batch, [[0], [1], [0], [1]].map((ids) => ({ids})))).rejects.toThrow(/gradient thread 1 failed/)
    await stepper.close()

    // A thread that dies mid-step.
    const dying = `import {parentPort} from 'node:worker_threads'; parentPort.postMessage({type: 'ready'}); parentPort.on('message', () => process.exit(3))`
    const crashed = await createStepper({...base, workerScript: new URL(`data:text/javascript,${encodeURIComponent(dying)}`)})
    await expect(crashed.step(batch, [[0], [1], [0], [1]].map((ids) => ({ids})))).rejects.toThrow(/gradient thread 1 stopped unexpectedly \(exit code 3\)/)
    await crashed.close()

    // A thread that cannot start.
    const broken = `throw new Error('no backend here')`
    await expect(createStepper({...base, workerScript: new URL(`data:text/javascript,${encodeURIComponent(broken)}`)})).rejects.toThrow(/gradient thread 1 failed: .*no backend here/)
    model.dispose()
  })

  it('stops a thread that hangs, by a watchdog scaled to the step time', async () => {
    expect(watchdogMs(100, {minMs: 1000, perOwnStep: 50})).toBe(5000)
    expect(watchdogMs(5, {minMs: 1000, perOwnStep: 50})).toBe(1000)
    const model = buildModel(PRESET, {fused: true})
    const base = {model, optimizer: tf.train.sgd(0.01), loss: {classWeight: 1}, threads: 2, preset: PRESET, ctcTokens: 0, backend: tf.getBackend()}
    const batch = [1, 2, 3, 4].map(example)
    // The injected clock: the first `spared` waits never run out, later ones run out at once; every wait asked for is kept.
    const clock = (spared: number) => {
      const asked: number[] = []
      const timer = (ms: number, onTimeout: () => void) => {
        asked.push(ms)
        if (asked.length > spared) setImmediate(onTimeout)
        return () => undefined
      }
      return {asked, watchdog: {minMs: 1234, perOwnStep: 50, timer}}
    }

    // A thread that starts, then never answers a step.
    const silent = `import {parentPort} from 'node:worker_threads'; parentPort.postMessage({type: 'ready'}); parentPort.on('message', () => {})`
    const {asked, watchdog} = clock(1)
    const hung = await createStepper({...base, workerScript: new URL(`data:text/javascript,${encodeURIComponent(silent)}`), watchdog})
    await expect(hung.step(batch)).rejects.toThrow(/gradient thread did not answer a step within .* looks hung.*--threads 1/)
    expect(asked).toHaveLength(2)
    expect(asked[0]).toBe(1234)
    expect(asked[1]).toBeGreaterThanOrEqual(1234)
    await expect(hung.step(batch)).rejects.toThrow(/looks hung/)
    await hung.close()

    // A thread that never says it is ready.
    const mute = `import {parentPort} from 'node:worker_threads'; parentPort.on('message', () => {})`
    await expect(createStepper({...base, workerScript: new URL(`data:text/javascript,${encodeURIComponent(mute)}`), watchdog: clock(0).watchdog})).rejects.toThrow(/did not start within 1\.2 s/)

    // A thread that answers in time is not touched: the real clock with the default allowance.
    const healthy = await createStepper(base)
    await expect(healthy.step(batch)).resolves.toHaveProperty('loss')
    await healthy.close()
    model.dispose()
  })
})

async function toyOptions(out: string, overrides: Partial<TrainOptions> = {}): Promise<TrainOptions> {
  return toyTrainOptions(out, await toyCorpus(dir), {epochs: 4, lr: 0.02, epochSize: 64, threads: 2, ...overrides})
}

describe('train --threads 2', () => {
  it('drives the loss down on the toy problem and records the thread count', async () => {
    const out = join(dir, 'model')
    const result = await train(await toyOptions(out, {epochs: 6}))
    const losses = result.state.history.map((h) => h.loss)
    console.log(`toy losses per epoch (2 threads): ${losses.map((l) => l.toFixed(3)).join(' ')}`)
    expect(losses).toHaveLength(6)
    expect(losses.at(-1)!).toBeLessThan(0.6 * losses[0])
    const state = JSON.parse(await readFile(join(out, STATE_FILE), 'utf8')) as TrainState
    expect(state.settings.threads).toBe(2)
    expect((await loadDetector(out)).config.training?.threads).toBe(2)
  })

  it('gives the same model for the same seed: each shard seeds its own dropout masks', async () => {
    const runs = [join(dir, 'same-a'), join(dir, 'same-b')]
    const losses: number[][] = []
    for (const out of runs) losses.push((await train(await toyOptions(out, {epochs: 2, epochSize: 32}))).state.history.map((h) => h.loss))
    expect(losses[1]).toEqual(losses[0])
    expect(await savedWeights(runs[1])).toEqual(await savedWeights(runs[0]))
  })

  it('still saves a checkpoint when stopped by a signal', async () => {
    const out = join(dir, 'interrupted')
    const abort = new AbortController()
    let steps = 0
    const run = train(await toyOptions(out, {epochs: 5, epochSize: 32, signal: abort.signal, onStep: () => void (++steps === 6 && abort.abort())}))
    await expect(run).rejects.toMatchObject({exitCode: 130})
    const state = JSON.parse(await readFile(join(out, STATE_FILE), 'utf8')) as TrainState
    expect(state.epoch).toBe(1)
    expect(state.finished).toBe(false)
  })
})
