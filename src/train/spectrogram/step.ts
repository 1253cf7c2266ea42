import type * as tf from '@tensorflow/tfjs'

import {deriveRng} from '../../dataset/rng.js'
import {UserError} from '../../util/errors.js'
import type {TrainState} from '../checkpoint.js'
import type {ExampleMaker} from '../example-maker.js'
import {type Stepper, createStepper} from '../parallel.js'
import type {Run, RunNetwork, TrainOptions} from './config.js'
import {type TrainData, batchTargets, epochBatches} from './data.js'

/**
 * Step stage of the spectrogram recipe: Adam on the per-step binary
 * cross-entropy of the trigger head (plus W x CTC of a token head), one
 * optimizer step per batch, on one thread or data-parallel (parallel.ts).
 *
 * With a CTC weight W > 0 the network gets a token head beside the trigger
 * head (src/model/build.ts) and the loss is BCE(trigger) + W * CTC(tokens):
 * the CTC term is each example's -log p(transcript) divided by its output
 * steps (a per-step mean like the BCE, so W weighs two quantities of the same
 * scale whatever the crop length), averaged over the batch. The target of a
 * crop is the words it holds completely (examples.ts, wordsInside).
 */

export function openStepper(model: tf.LayersModel, optimizer: tf.AdamOptimizer, network: RunNetwork, run: Run, options: TrainOptions): Promise<Stepper> {
  return createStepper({
    model,
    optimizer,
    loss: {classWeight: options.classWeight, hardNegativeWeight: run.hardNegativeWeight, ...(run.ctc ? {ctc: run.ctc} : {})},
    threads: run.threads,
    preset: network.preset,
    ctcTokens: network.vocabulary?.tokens.length ?? 0,
    backend: options.backend,
  })
}

/** What the step stage needs for an epoch. */
export interface Steps {
  stepper: Stepper
  maker: ExampleMaker
  optimizer: tf.AdamOptimizer
  data: TrainData
  network: RunNetwork
  run: Run
}

/** One epoch's training, as its log line and the history tell it. */
export interface Trained {
  /** Examples trained on. */
  done: number
  seconds: number
  /** CPU seconds of the steps (all threads, examples included). */
  cpuSeconds: number
  /** Mean loss per example. */
  loss: number
  ctcLoss?: number
  /** Why the epoch ended early: Ctrl-C, or the CPU budget (see budgetCpuSec). */
  stopped?: 'signal' | 'budget'
}

/**
 * One epoch of optimizer steps, the next batch made while this one trains;
 * stops after the step the signal or the CPU budget (`spentCpu` of it used
 * before this epoch) ends it.
 */
export async function trainEpoch(epoch: number, steps: Steps, options: TrainOptions, spentCpu: number): Promise<Trained> {
  const {stepper, maker, data} = steps
  const batches = epochBatches(data, options, epoch)
  // Adam reads its learningRate field on every step; a per-epoch schedule only needs to set it.
  ;(steps.optimizer as unknown as {learningRate: number}).learningRate = options.lr * options.lrDecay ** (epoch - 1)
  const total = batches.length * options.batch
  options.onEpochStart?.(epoch, total)
  let next = maker.make(batches[0] ?? [])
  let lossSum = 0
  let ctcSum = 0
  let done = 0
  let stopped: Trained['stopped']
  const started = performance.now()
  const cpuEpoch = process.cpuUsage()
  const cpu = (): number => {
    const u = process.cpuUsage(cpuEpoch)
    return (u.user + u.system) / 1e6
  }
  for (let b = 0; b < batches.length && stopped === undefined; b++) {
    const examples = await next
    if (b + 1 < batches.length) next = maker.make(batches[b + 1])
    // Dropout masks keyed like the examples (seed, epoch, batch), so a resumed run draws the ones a straight run would.
    const dropoutSeed = deriveRng('rnn-wake/dropout', options.seed, epoch, b).int(2 ** 31)
    const {loss, ctcLoss} = await stepper.step(examples, batchTargets(examples, steps.network, steps.run), dropoutSeed)
    if (ctcLoss !== undefined) ctcSum += ctcLoss * examples.length
    if (!Number.isFinite(loss)) throw new UserError(`Training diverged at epoch ${epoch} (loss ${loss}); try a lower --lr`, 'internal')
    lossSum += loss * examples.length
    done += examples.length
    const elapsed = (performance.now() - started) / 1000
    options.onStep?.({epoch, done, total, loss: lossSum / done, examplesPerSec: (done / elapsed) * data.equivalent})
    if (options.signal?.aborted) stopped = 'signal'
    else if (options.budgetCpuSec !== undefined && spentCpu + cpu() >= options.budgetCpuSec) stopped = 'budget'
  }
  // A pending prefetch must finish before the workers close; its examples are simply dropped.
  await next.catch(() => undefined)
  options.onEpochEnd?.()
  const seconds = (performance.now() - started) / 1000
  return {done, seconds, cpuSeconds: cpu(), loss: lossSum / Math.max(1, done), ...(steps.run.ctc ? {ctcLoss: ctcSum / Math.max(1, done)} : {}), ...(stopped ? {stopped} : {})}
}

/** The run's clock: CPU time is counted from here, on top of what the checkpoint had counted. */
export interface Clock {
  cpuStart: NodeJS.CpuUsage
  cpuBefore: number
}

export function startClock(state: TrainState): Clock {
  return {cpuStart: process.cpuUsage(), cpuBefore: state.cpuSeconds}
}

/** Add an epoch's examples and time to the run's state (a stopped epoch's too: its steps trained the weights). */
export function countEpoch(state: TrainState, trained: Trained, clock: Clock): void {
  state.trainSeconds += trained.seconds
  state.trainCpuSeconds = (state.trainCpuSeconds ?? 0) + trained.cpuSeconds
  state.examplesSeen += trained.done
  state.cpuSeconds = clock.cpuBefore + process.cpuUsage(clock.cpuStart).user / 1e6 + process.cpuUsage(clock.cpuStart).system / 1e6
}
