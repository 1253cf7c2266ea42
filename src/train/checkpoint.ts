import {mkdir, open, readFile, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import * as tf from '@tensorflow/tfjs'

import {processAlive} from '../util/atomic.js'
import {UserError} from '../util/errors.js'
import type {EpochRecord} from './curve.js'

/**
 * What `--resume` needs besides the weights: the epoch counter, the history
 * and Adam's moments. tfjs' `includeOptimizer` only saves an optimizer that
 * came from `model.compile`, and the trainer steps with `optimizer.minimize`
 * on its own loss, so the state is written here: optimizer.json (names,
 * shapes, iteration count) and optimizer.bin (float32 values in that order).
 * Adam keeps its moments by position (the order of the variables passed to
 * minimize), which is the model's trainable weight order, so restoring them
 * positionally is exact.
 */

export const STATE_FILE = 'training.json'
export const OPTIMIZER_JSON = 'optimizer.json'
export const OPTIMIZER_BIN = 'optimizer.bin'

/** training.json: the run's state between checkpoints. */
export interface TrainState {
  format: 'rnn-wake-training'
  epoch: number
  finished: boolean
  history: EpochRecord[]
  examplesSeen: number
  trainSeconds: number
  cpuSeconds: number
  /** CPU seconds of the training steps alone (what budgetCpuSec counts). */
  trainCpuSeconds?: number
  settings: Record<string, unknown>
}

/** The state of a run that has not trained yet. */
export function newState(): TrainState {
  return {format: 'rnn-wake-training', epoch: 0, finished: false, history: [], examplesSeen: 0, trainSeconds: 0, cpuSeconds: 0, settings: {}}
}

export async function readState(dir: string): Promise<TrainState> {
  try {
    const state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as TrainState
    if (state.format !== 'rnn-wake-training' || !Number.isInteger(state.epoch) || !Array.isArray(state.history)) throw new Error('not a training state')
    return state
  } catch (error) {
    throw new UserError(`Cannot resume from ${dir}: no usable ${STATE_FILE} (${(error as Error).message})`, 'badModel')
  }
}

interface OptimizerManifest {
  format: 'rnn-wake-optimizer'
  kind: 'adam'
  iterations: number
  weights: Array<{name: string; shape: number[]}>
}

export async function writeOptimizerState(dir: string, optimizer: tf.AdamOptimizer): Promise<void> {
  const named = await optimizer.getWeights()
  const [iter, ...moments] = named
  const iterations = (await iter.tensor.data())[0]
  const values = await Promise.all(moments.map((w) => w.tensor.data() as Promise<Float32Array>))
  const total = values.reduce((n, v) => n + v.length, 0)
  const bin = new Float32Array(total)
  let offset = 0
  for (const v of values) {
    bin.set(v, offset)
    offset += v.length
  }
  iter.tensor.dispose()
  const manifest: OptimizerManifest = {format: 'rnn-wake-optimizer', kind: 'adam', iterations, weights: moments.map((w) => ({name: w.name, shape: w.tensor.shape}))}
  await writeFile(join(dir, OPTIMIZER_BIN), new Uint8Array(bin.buffer))
  await writeFile(join(dir, OPTIMIZER_JSON), JSON.stringify(manifest) + '\n')
}

/** Restore Adam's state into `optimizer`; false when the directory has none (a finished model). */
export async function readOptimizerState(dir: string, optimizer: tf.AdamOptimizer, variables: readonly tf.Variable[]): Promise<boolean> {
  let manifest: OptimizerManifest
  let bytes: Buffer
  try {
    manifest = JSON.parse(await readFile(join(dir, OPTIMIZER_JSON), 'utf8')) as OptimizerManifest
    bytes = await readFile(join(dir, OPTIMIZER_BIN))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new UserError(`Cannot resume from ${dir}: the optimizer state is unreadable (${(error as Error).message})`, 'badModel')
  }
  const expected = 2 * variables.length
  const sizes = manifest.weights.map((w) => w.shape.reduce((a, b) => a * b, 1))
  const total = sizes.reduce((a, b) => a + b, 0)
  if (manifest.weights.length !== expected || bytes.byteLength !== 4 * total) {
    throw new UserError(`Cannot resume from ${dir}: ${OPTIMIZER_JSON} describes ${manifest.weights.length} tensors (${4 * total} bytes) but the model needs ${expected} and ${OPTIMIZER_BIN} has ${bytes.byteLength} bytes`, 'badModel')
  }
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
  let offset = 0
  const named: Array<{name: string; tensor: tf.Tensor}> = [{name: 'iter', tensor: tf.scalar(manifest.iterations, 'int32')}]
  manifest.weights.forEach((w, i) => {
    const v = variables[i % variables.length]
    if (v.shape.join(',') !== w.shape.join(',')) {
      throw new UserError(`Cannot resume from ${dir}: optimizer tensor ${w.name} has shape [${w.shape}] but the model's weight is [${v.shape}]`, 'badModel')
    }
    named.push({name: w.name, tensor: tf.tensor(all.subarray(offset, offset + sizes[i]), w.shape)})
    offset += sizes[i]
  })
  await optimizer.setWeights(named)
  // setWeights copies each tensor into a new variable.
  tf.dispose(named.map((n) => n.tensor))
  return true
}

export async function removeOptimizerState(dir: string): Promise<void> {
  await rm(join(dir, OPTIMIZER_JSON), {force: true})
  await rm(join(dir, OPTIMIZER_BIN), {force: true})
}

/**
 * One training run per output directory. The lock sits beside the directory
 * (each checkpoint replaces the directory as a whole) and holds the pid, so
 * a lock left by a killed run is recognised and taken over.
 */
export interface TrainLock {
  path: string
  release(): Promise<void>
}

export function lockPath(out: string): string {
  const abs = resolve(out)
  return join(dirname(abs), `.${basename(abs)}.train.lock`)
}


export async function acquireLock(out: string): Promise<TrainLock> {
  const path = lockPath(out)
  await mkdir(dirname(path), {recursive: true})
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx')
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      return {path, release: () => rm(path, {force: true})}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`Cannot lock ${out}: ${(error as Error).message}`, 'output')
      const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10)
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new UserError(`Another training run (pid ${pid}) is writing ${out}; wait for it to finish or stop it (lock file ${path})`, 'busy')
      }
      // Stale: its process is gone.
      await rm(path, {force: true})
    }
  }
  throw new UserError(`Cannot lock ${out}: ${path} keeps reappearing`, 'busy')
}

