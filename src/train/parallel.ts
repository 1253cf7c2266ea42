import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'

import * as tf from '@tensorflow/tfjs'

import {ctcLoss} from '../ctc/loss.js'
import type {BackendChoice} from '../model/backend.js'
import {seedDropout} from '../model/build.js'
import type {ModelPreset} from '../model/presets.js'
import {UserError} from '../util/errors.js'
import {packageRoot} from '../util/paths.js'
import type {TrainExample} from './examples.js'
import {alignmentLoss} from './token-targets.js'

/**
 * One optimizer step per batch, on this thread alone or data-parallel over
 * worker threads. The wasm backend computes on one thread, so on a machine
 * with spare cores each extra thread holds a replica of the network (its own
 * tfjs wasm instance, built from the same preset) and computes the loss
 * gradient of one shard of the batch from the current weights. The main
 * thread computes its own shard meanwhile, averages the gradients weighted by
 * shard size (each shard's loss is a mean over its examples, so this is the
 * gradient of the batch mean) and applies them with the one optimizer, whose
 * state therefore never leaves this thread.
 *
 * What differs from one thread: BatchNorm in training mode normalizes with
 * the statistics of each shard rather than of the whole batch (as in
 * data-parallel training without synchronized BatchNorm), so the gradient
 * equals the full-batch one exactly only when shards share their statistics;
 * with whole clips a shard still holds thousands of steps per channel. The
 * moving means and variances are set to the shard-size-weighted mean of the
 * replicas' updated values: for the moving mean that is exactly the
 * full-batch update; for the variance it leaves out the spread of the shard
 * means around the batch mean. Dropout masks come from each thread's own
 * random stream.
 */

export interface LossOptions {
  /** Weight of the positive class in the cross-entropy. */
  classWeight: number
  /**
   * Weight of the negative steps just after a word that is not the trigger
   * (TrainExample.hardNegatives), where a detector that confuses the word
   * with the trigger would fire; 1 (default): no different from other steps.
   */
  hardNegativeWeight?: number
  /**
   * The CTC term of a token head; absent: trigger loss only. alignWeight
   * weighs the per-step cross-entropy against alignment targets
   * (token-targets.ts) where an example has them.
   */
  ctc?: {weight: number; blank: number; alignWeight?: number}
}

/** What the token head learns from one example: its token ids, and per-step classes when word times are known. */
export interface TokenTargets {
  ids: number[]
  align?: Int32Array
}

export interface StepResult {
  /** Mean loss over the batch (what the optimizer descended). */
  loss: number
  /** Mean per-step CTC loss over the batch, when the CTC term is on. */
  ctcLoss?: number
}

export interface Stepper {
  readonly threads: number
  /**
   * One optimizer step on `examples`; `targets`: their token targets, when the
   * CTC term is on; `dropoutSeed`: seeds this step's dropout masks (absent: unseeded).
   */
  step(examples: readonly TrainExample[], targets?: TokenTargets[], dropoutSeed?: number): Promise<StepResult>
  close(): Promise<void>
}

export interface StepperOptions {
  model: tf.LayersModel
  optimizer: tf.Optimizer
  loss: LossOptions
  /** Threads computing gradients, this one included; 1: the plain single-thread step. */
  threads: number
  /** What replicas are built from: must describe `model`. */
  preset: ModelPreset
  ctcTokens: number
  /** The tfjs name of this thread's backend (tf.getBackend()); replicas start the same one. */
  backend: string
  /** Replaces the gradient worker script (tests). */
  workerScript?: URL
  /** How long a gradient thread may take before it is taken for hung (see DEFAULT_WATCHDOG). */
  watchdog?: Watchdog
}

/**
 * A thread that neither answers nor dies (a deadlock in the backend, a
 * stopped process) would otherwise hold training forever. Every thread
 * computes an equal share on an equal core, so one taking `perOwnStep` times
 * as long as this thread's own share, and at least `minMs`, is stuck; the
 * floor is generous because these machines are shared and a busy neighbour
 * can slow one thread for a while.
 */
export interface Watchdog {
  minMs: number
  perOwnStep: number
  /** Calls `onTimeout` after `ms` unless the returned cancel runs first (tests inject a clock). */
  timer?: (ms: number, onTimeout: () => void) => () => void
}

export const DEFAULT_WATCHDOG: Watchdog = {minMs: 10 * 60_000, perOwnStep: 50}

/** How long to wait for the other threads once this thread's share took `ownMs`. */
export function watchdogMs(ownMs: number, watchdog: Watchdog): number {
  return Math.max(watchdog.minMs, watchdog.perOwnStep * ownMs)
}

function realTimer(ms: number, onTimeout: () => void): () => void {
  const handle = setTimeout(onTimeout, ms)
  // A pending watchdog must not keep the process alive on its own.
  handle.unref()
  return () => clearTimeout(handle)
}

function weightedBce(y: tf.Tensor, p: tf.Tensor, positiveWeight: number, negativeWeights?: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const q = tf.clipByValue(p, 1e-7, 1 - 1e-7)
    const pos = tf.mul(tf.mul(y, tf.log(q)), positiveWeight)
    const negTerm = tf.mul(tf.sub(1, y), tf.log(tf.sub(1, q)))
    const neg = negativeWeights ? tf.mul(negTerm, negativeWeights) : negTerm
    return tf.neg(tf.mean(tf.add(pos, neg))) as tf.Scalar
  })
}

export type CtcTerm = {weight: number; blank: number; alignWeight?: number; targets: TokenTargets[]}

/**
 * BCE of the trigger head, plus (with a token head and weight > 0) the
 * weighted per-step CTC loss of the token head against the targets' ids,
 * plus alignWeight x the per-step cross-entropy against their alignments
 * when every example of the batch has one.
 */
export function jointLoss(outputs: tf.Tensor | tf.Tensor[], y: tf.Tensor, classWeight: number, ctc?: CtcTerm, negativeWeights?: tf.Tensor): {total: tf.Scalar; ctc?: tf.Scalar} {
  const list = Array.isArray(outputs) ? outputs : [outputs]
  const bce = weightedBce(y, list[0], classWeight, negativeWeights)
  if (!ctc || ctc.weight === 0 || list.length < 2) return {total: bce}
  return withTokenHeadLoss(bce, list[1] as tf.Tensor3D, ctc)
}

/**
 * `triggerLoss` plus the token head's part of the loss: weight x the per-step CTC loss against
 * the targets' ids, plus alignWeight x the per-step cross-entropy against their alignments when
 * every example of the batch has one. `ctc` is the CTC term alone, for the log.
 */
export function withTokenHeadLoss(triggerLoss: tf.Scalar, probs: tf.Tensor3D, ctc: CtcTerm): {total: tf.Scalar; ctc: tf.Scalar} {
  const [, steps, classes] = probs.shape
  // The head ends in a softmax; ctcLoss applies log-softmax itself, which leaves log(p) unchanged.
  const ids = ctc.targets.map((t) => t.ids)
  const perStep = tf.div(tf.mean(ctcLoss(tf.log(tf.add(probs, 1e-7)) as tf.Tensor3D, ids, {blank: ctc.blank, zeroInfinity: true})), steps) as tf.Scalar
  let total = tf.add(triggerLoss, tf.mul(perStep, ctc.weight)) as tf.Scalar
  const aligned = ctc.targets.every((t) => t.align !== undefined && t.align.length === steps)
  if (ctc.alignWeight && aligned) {
    const flat = new Int32Array(ctc.targets.length * steps)
    ctc.targets.forEach((t, k) => flat.set(t.align!, k * steps))
    total = tf.add(total, tf.mul(alignmentLoss(probs, flat, classes), ctc.alignWeight)) as tf.Scalar
  }
  return {total, ctc: perStep}
}

/** A batch as plain arrays: what crosses to a worker thread. */
export interface PackedBatch {
  x: Float32Array
  y: Float32Array
  /** Per-step weights of the negative term; absent: all 1. */
  w?: Float32Array
  n: number
  frames: number
  bins: number
  ty: number
  /** Seeds the dropout masks of the training call on this batch (seedDropout); absent: unseeded. */
  dropoutSeed?: number
}

export function packBatch(examples: readonly TrainExample[], hardNegativeWeight = 1, dropoutSeed?: number): PackedBatch {
  const frames = examples[0].frames
  const bins = examples[0].features.length / frames
  const ty = examples[0].labels.length
  const x = new Float32Array(examples.length * frames * bins)
  const y = new Float32Array(examples.length * ty)
  examples.forEach((e, k) => {
    if (e.frames !== frames || e.labels.length !== ty) throw new Error(`batch mixes example lengths (${e.frames} and ${frames} frames)`)
    x.set(e.features, k * frames * bins)
    y.set(e.labels, k * ty)
  })
  const weighted = hardNegativeWeight !== 1 && examples.some((e) => e.hardNegatives !== undefined)
  const w = weighted ? new Float32Array(examples.length * ty).fill(1) : undefined
  if (w) {
    examples.forEach((e, k) => {
      const mask = e.hardNegatives
      if (mask) for (let t = 0; t < ty; t++) if (mask[t]) w[k * ty + t] = hardNegativeWeight
    })
  }
  return {x, y, ...(w ? {w} : {}), n: examples.length, frames, bins, ty, ...(dropoutSeed === undefined ? {} : {dropoutSeed})}
}

export function batchTensors(b: PackedBatch): {x: tf.Tensor3D; y: tf.Tensor3D; w?: tf.Tensor3D} {
  return {x: tf.tensor3d(b.x, [b.n, b.frames, b.bins]), y: tf.tensor3d(b.y, [b.n, b.ty, 1]), ...(b.w ? {w: tf.tensor3d(b.w, [b.n, b.ty, 1])} : {})}
}

function ctcFor(loss: LossOptions, targets: TokenTargets[] | undefined): CtcTerm | undefined {
  return loss.ctc && targets ? {...loss.ctc, targets} : undefined
}

/** Shard sizes that differ by at most one, largest first (the first is this thread's). */
export function shardSizes(batch: number, threads: number): number[] {
  const base = Math.floor(batch / threads)
  return Array.from({length: threads}, (_, k) => base + (k < batch % threads ? 1 : 0))
}

/** The single-thread step: optimizer.minimize on the whole batch. */
export function localStepper(model: tf.LayersModel, optimizer: tf.Optimizer, loss: LossOptions): Stepper {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
  return {
    threads: 1,
    async step(examples, targets, dropoutSeed) {
      const {x, y, w} = batchTensors(packBatch(examples, loss.hardNegativeWeight))
      seedDropout(model, dropoutSeed)
      const ctc = ctcFor(loss, targets)
      let ctcPart: tf.Scalar | undefined
      try {
        const cost = optimizer.minimize(
          () => {
            const parts = jointLoss(model.apply(x, {training: true}) as tf.Tensor | tf.Tensor[], y, loss.classWeight, ctc, w)
            if (parts.ctc) ctcPart = tf.keep(parts.ctc)
            return parts.total
          },
          true,
          variables,
        )!
        const value = (await cost.data())[0]
        const ctcValue = ctcPart ? (await ctcPart.data())[0] : undefined
        cost.dispose()
        return {loss: value, ...(ctcValue === undefined ? {} : {ctcLoss: ctcValue})}
      } finally {
        // Saved configs must not carry a training step's seed.
        seedDropout(model, undefined)
        tf.dispose([x, y, ...(w ? [w] : []), ...(ctcPart ? [ctcPart] : [])])
      }
    },
    close: async () => {},
  }
}

/** Total element count of each of `shapes`. */
function sizes(shapes: readonly number[][]): number[] {
  return shapes.map((s) => s.reduce((a, b) => a * b, 1))
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0)
}

/** The trainable weights, then the non-trainable ones (BatchNorm statistics): the order both sides agree on. */
export function replicaWeights(model: tf.LayersModel): {trainable: tf.LayerVariable[]; fixed: tf.LayerVariable[]} {
  return {trainable: model.trainableWeights, fixed: model.nonTrainableWeights}
}

export function readFlat(weights: readonly tf.LayerVariable[], into?: Float32Array, offset = 0): Float32Array {
  const out = into ?? new Float32Array(sum(weights.map((w) => w.read().size)))
  let at = offset
  for (const w of weights) {
    const values = w.read().dataSync() as Float32Array
    out.set(values, at)
    at += values.length
  }
  return out
}

export function writeFlat(weights: readonly tf.LayerVariable[], values: Float32Array, offset = 0): void {
  tf.tidy(() => {
    let at = offset
    for (const w of weights) {
      const size = w.read().size
      w.write(tf.tensor(values.subarray(at, at + size), w.read().shape))
      at += size
    }
  })
}

export interface ShardResult {
  loss: number
  ctcLoss?: number
  /** Gradients of the trainable weights, concatenated; zero where `present` is false. */
  grads: Float32Array
  /** Which trainable weights the loss reaches (a token head does not when the CTC term is off). */
  present: boolean[]
}

/** Loss and gradient of one shard, on the model's current weights (its BatchNorm statistics move as in any training call). */
export function shardGradients(model: tf.LayersModel, batch: PackedBatch, loss: LossOptions, targets?: TokenTargets[]): ShardResult {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
  const {x, y, w} = batchTensors(batch)
  seedDropout(model, batch.dropoutSeed)
  const ctc = ctcFor(loss, targets)
  let ctcPart: tf.Scalar | undefined
  let result: {value: tf.Scalar; grads: tf.NamedTensorMap} | undefined
  try {
    result = tf.variableGrads(() => {
      const parts = jointLoss(model.apply(x, {training: true}) as tf.Tensor | tf.Tensor[], y, loss.classWeight, ctc, w)
      if (parts.ctc) ctcPart = tf.keep(parts.ctc)
      return parts.total
    }, variables)
    const grads = new Float32Array(sum(variables.map((v) => v.size)))
    const present: boolean[] = []
    let at = 0
    for (const v of variables) {
      const g = result.grads[v.name]
      present.push(g !== undefined)
      if (g) grads.set(g.dataSync() as Float32Array, at)
      at += v.size
    }
    return {loss: result.value.dataSync()[0], ...(ctcPart ? {ctcLoss: ctcPart.dataSync()[0]} : {}), grads, present}
  } finally {
    seedDropout(model, undefined)
    tf.dispose([x, y, ...(w ? [w] : []), ...(ctcPart ? [ctcPart] : []), ...(result ? [result.value, ...Object.values(result.grads)] : [])])
  }
}

/** workerData of a gradient worker. */
export interface GradInit {
  preset: ModelPreset
  ctcTokens: number
  backend: BackendChoice
  loss: LossOptions
  /** The main model's weight shapes, which the replica must match. */
  shapes: {trainable: number[][]; fixed: number[][]}
  /** Layers the main model does not train (train --freeze), frozen in the replica too so the weight order agrees. */
  frozen: string[]
}

export interface GradRequest {
  id: number
  /** All weights before the step: trainable then non-trainable, concatenated. */
  weights: Float32Array
  batch: PackedBatch
  targets?: TokenTargets[]
}

export type GradReply =
  | {type: 'ready'}
  | {type: 'result'; id: number; loss: number; ctcLoss?: number; grads: Float32Array; present: boolean[]; fixed: Float32Array}
  | {type: 'error'; id?: number; message: string; exitCode?: number}

/** The --backend choice that starts the backend tfjs names `name`. */
function backendChoice(name: string): BackendChoice {
  const choice = ({tensorflow: 'node', wasm: 'wasm', cpu: 'cpu'} as const)[name]
  if (choice === undefined) throw new Error(`data-parallel training cannot start the ${name} backend in a worker thread`)
  return choice
}

function gradWorkerScript(): URL {
  const beside = new URL('./grad-worker.js', import.meta.url)
  if (existsSync(fileURLToPath(beside))) return beside
  // Under the test runner this module is TypeScript source, which a worker thread cannot load; the build's copy can.
  const built = join(packageRoot(), 'dist', 'src', 'train', 'grad-worker.js')
  if (existsSync(built)) return pathToFileURL(built)
  throw new Error(`cannot find the gradient worker script (${fileURLToPath(beside)}); run npm run build`)
}

export async function createStepper(options: StepperOptions): Promise<Stepper> {
  if (!(Number.isInteger(options.threads) && options.threads >= 1)) throw new UserError(`--threads must be a whole number >= 1, not ${options.threads}`, 'usage')
  if (options.threads === 1) return localStepper(options.model, options.optimizer, options.loss)
  const stepper = new ParallelStepper(options)
  try {
    await stepper.ready
  } catch (error) {
    await stepper.close()
    throw error
  }
  return stepper
}

type Pending = {resolve: (reply: GradReply & {type: 'result'}) => void; reject: (error: Error) => void}

class ParallelStepper implements Stepper {
  readonly threads: number
  readonly ready: Promise<void>
  private readonly workers: Worker[]
  private readonly pending = new Map<number, Pending>()
  private readonly trainable: tf.LayerVariable[]
  private readonly fixed: tf.LayerVariable[]
  private readonly variables: tf.Variable[]
  private readonly trainableSize: number
  private readonly fixedSize: number
  private nextId = 0
  private failure: Error | undefined
  private closing = false
  private readonly watchdog: Watchdog

  constructor(private readonly options: StepperOptions) {
    this.threads = options.threads
    this.watchdog = options.watchdog ?? DEFAULT_WATCHDOG
    const {trainable, fixed} = replicaWeights(options.model)
    this.trainable = trainable
    this.fixed = fixed
    this.variables = trainable.map((w) => w.read() as tf.Variable)
    const shapes = {trainable: trainable.map((w) => [...w.read().shape]), fixed: fixed.map((w) => [...w.read().shape])}
    this.trainableSize = sum(sizes(shapes.trainable))
    this.fixedSize = sum(sizes(shapes.fixed))
    const frozen = options.model.layers.filter((l) => !l.trainable && l.weights.length > 0).map((l) => l.name)
    const init: GradInit = {preset: options.preset, ctcTokens: options.ctcTokens, backend: backendChoice(options.backend), loss: options.loss, shapes, frozen}
    const script = options.workerScript ?? gradWorkerScript()
    const readies: Promise<void>[] = []
    this.workers = Array.from({length: options.threads - 1}, (_, k) => {
      const w = new Worker(script, {workerData: init})
      const name = `gradient thread ${k + 1}`
      readies.push(
        new Promise<void>((resolve, reject) => {
          // Init has no request id; -1 - k keeps it apart from the steps' ids.
          this.pending.set(-1 - k, {resolve: () => resolve(), reject})
        }),
      )
      w.on('message', (reply: GradReply) => {
        if (reply.type === 'ready') return this.settle(-1 - k, reply)
        if (reply.type === 'result') return this.settle(reply.id, reply)
        // A UserError (a backend that will not start) keeps its exit code, as example-maker's replies do.
        this.fail(reply.exitCode === undefined ? new Error(`${name} failed: ${reply.message}`) : Object.assign(new UserError(`${name}: ${reply.message}`), {exitCode: reply.exitCode}))
      })
      w.on('error', (error) => this.fail(new Error(`${name} failed: ${error.stack ?? error.message}`)))
      w.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`${name} stopped unexpectedly (exit code ${code})`))
      })
      return w
    })
    this.ready = this.guarded(Promise.all(readies), this.watchdog.minMs, 'start').then(() => undefined)
  }

  /** `work`, or the watchdog's error once `ms` pass without it settling; the threads are then stopped. */
  private guarded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
    const timer = this.watchdog.timer ?? realTimer
    let cancel = (): void => {}
    const timeout = new Promise<never>((_, reject) => {
      cancel = timer(ms, () => {
        const error = new Error(`a gradient thread did not ${what} within ${(ms / 1000).toFixed(1)} s and looks hung; training stopped (run again with --threads 1 to train without gradient threads)`)
        this.fail(error)
        for (const w of this.workers) void w.terminate()
        reject(error)
      })
    })
    return Promise.race([work, timeout]).finally(cancel)
  }

  private settle(id: number, reply: GradReply): void {
    const p = this.pending.get(id)
    if (!p) return
    this.pending.delete(id)
    p.resolve(reply as GradReply & {type: 'result'})
  }

  private fail(error: Error): void {
    // The first failure is the cause; later ones (other threads, exits on close) only echo it.
    this.failure ??= error
    for (const p of this.pending.values()) p.reject(this.failure)
    this.pending.clear()
  }

  private request(k: number, message: Omit<GradRequest, 'id'>): Promise<GradReply & {type: 'result'}> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    const transfer = [message.weights.buffer, message.batch.x.buffer, message.batch.y.buffer] as ArrayBuffer[]
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject})
      this.workers[k].postMessage({id, ...message} satisfies GradRequest, transfer)
    })
  }

  async step(examples: readonly TrainExample[], targets?: TokenTargets[], dropoutSeed?: number): Promise<StepResult> {
    if (this.failure) throw this.failure
    // Shard k's masks come from its own seed: shards must not share one mask pattern.
    const shardSeed = (k: number): number | undefined => (dropoutSeed === undefined ? undefined : dropoutSeed * 8 + k)
    const shards = shardSizes(examples.length, this.threads)
    const weights = new Float32Array(this.trainableSize + this.fixedSize)
    readFlat(this.trainable, weights, 0)
    readFlat(this.fixed, weights, this.trainableSize)
    const used = shards.slice(1).filter((n) => n > 0).length
    const replies: Promise<GradReply & {type: 'result'}>[] = []
    let start = shards[0]
    for (let k = 1; k < this.threads; k++) {
      const n = shards[k]
      if (n === 0) continue
      const batch = packBatch(examples.slice(start, start + n), this.options.loss.hardNegativeWeight, shardSeed(k))
      // Transfer detaches a buffer, so every worker but the last gets a copy of the snapshot.
      const own = replies.length === used - 1 ? weights : weights.slice()
      replies.push(this.request(k - 1, {weights: own, batch, ...(targets ? {targets: targets.slice(start, start + n)} : {})}))
      start += n
    }
    const theirs = Promise.all(replies)
    // This thread computes before it awaits the workers; a rejection meanwhile must not count as unhandled.
    theirs.catch(() => undefined)
    const started = performance.now()
    const mine = shardGradients(this.options.model, packBatch(examples.slice(0, shards[0]), this.options.loss.hardNegativeWeight, shardSeed(0)), this.options.loss, targets?.slice(0, shards[0]))
    const results = await this.guarded(theirs, watchdogMs(performance.now() - started, this.watchdog), 'answer a step')

    const total = examples.length
    const parts = [{n: shards[0], ...mine, fixed: readFlat(this.fixed)}, ...results.map((r, i) => ({n: shards[i + 1], ...r}))]
    for (const r of parts) {
      if (r.present.some((p, i) => p !== mine.present[i])) throw new Error('gradient threads disagree on which weights the loss reaches')
    }
    const grads = new Float32Array(this.trainableSize)
    const fixed = new Float32Array(this.fixedSize)
    for (const r of parts) {
      const w = r.n / total
      for (let i = 0; i < grads.length; i++) grads[i] += w * r.grads[i]
      for (let i = 0; i < fixed.length; i++) fixed[i] += w * r.fixed[i]
    }
    writeFlat(this.fixed, fixed)
    tf.tidy(() => {
      const named: tf.NamedTensorMap = {}
      let at = 0
      this.variables.forEach((v, i) => {
        if (mine.present[i]) named[v.name] = tf.tensor(grads.subarray(at, at + v.size), v.shape)
        at += v.size
      })
      this.options.optimizer.applyGradients(named)
    })
    const loss = sum(parts.map((r) => r.n * r.loss)) / total
    const ctcLoss = mine.ctcLoss === undefined ? undefined : sum(parts.map((r) => r.n * (r.ctcLoss ?? NaN))) / total
    return {loss, ...(ctcLoss === undefined ? {} : {ctcLoss})}
  }

  async close(): Promise<void> {
    this.closing = true
    this.fail(new Error('the gradient threads were closed'))
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
