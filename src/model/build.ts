import * as tf from '@tensorflow/tfjs'

import {FusedGRU} from './gru.js'
import type {ModelPreset} from './presets.js'
import {FusedTimeDistributed} from './time-distributed.js'

type Initializer = ReturnType<typeof tf.initializers.glorotUniform>

const Orthogonal = tf.initializers.orthogonal({}).constructor as new (args: {seed?: number}) => Initializer

/**
 * tfjs's orthogonal initializer (Keras's default for a GRU's recurrent kernel) warns "Slowness may
 * result" for every matrix over 2000 elements: a GRU(64)'s has 12,288, so every `train` printed it once
 * per layer. The slowness is a few milliseconds once per network. The values drawn are tfjs's own and
 * the class name saved in model.json is still "Orthogonal"; only that warning is dropped.
 */
class QuietOrthogonal extends Orthogonal {
  override apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    const warn = console.warn
    console.warn = (...args: unknown[]) => {
      if (!String(args[0]).startsWith('Orthogonal initializer is being called on a matrix')) warn(...args)
    }
    try {
      return Orthogonal.prototype.apply.call(this, shape, dtype)
    } finally {
      console.warn = warn
    }
  }
}

export interface BuildOptions {
  /**
   * Use the fused GRU and TimeDistributed (fast, trainable on wasm). false
   * builds the same network from stock tfjs-layers, for comparison; both have
   * identical weights and save to identical files.
   */
  fused: boolean
  /**
   * Vocabulary size (blank excluded) of a CTC token head: a second output,
   * per-step softmax over the tokens plus a blank (last), on the same
   * recurrent encoder as the trigger head. Absent or 0: trigger head only.
   */
  ctcTokens?: number
  /**
   * Seeds the initial weights, so one training seed gives one network.
   * Absent: tfjs draws them from Math.random. Dropout masks are seeded per
   * training step instead (seedDropout).
   */
  seed?: number
}

/**
 * The detector network for `preset`, with a free time axis (input
 * [batch, null, features]) so crops and streaming chunks run through the
 * same model. Layer names follow the Keras 2 model of the course
 * (conv1d_1, batch_normalization_1, gru_1, ..., time_distributed_1), so weight
 * names in saved files are the ones Keras would give.
 */
export function buildModel(preset: ModelPreset, options: BuildOptions = {fused: true}): tf.LayersModel {
  checkPreset(preset)
  const {fused} = options
  let bn = 0
  let dropout = 0
  const batchNorm = () => tf.layers.batchNormalization({name: `batch_normalization_${++bn}`})
  const drop = () => tf.layers.dropout({rate: preset.dropout, name: `dropout_${++dropout}`})
  // Each weighted layer its own stream: seeds that differ by one give unrelated tfjs generators (alea hashes the seed's text).
  let initializers = 0
  const seeded = (make: (args: {seed: number}) => Initializer) => (options.seed === undefined ? undefined : make({seed: options.seed * 64 + ++initializers}))
  const glorot = () => seeded((args) => tf.initializers.glorotUniform(args))

  const input = tf.input({shape: [null, preset.features], name: 'input_1'})
  let y = tf.layers
    .conv1d({
      name: 'conv1d_1',
      filters: preset.conv.filters,
      kernelSize: preset.conv.kernelSize,
      strides: preset.conv.strides,
      padding: 'valid',
      ...withInitializers({kernelInitializer: glorot()}),
    })
    .apply(input) as tf.SymbolicTensor
  y = batchNorm().apply(y) as tf.SymbolicTensor
  y = tf.layers.activation({activation: 'relu', name: 'activation_1'}).apply(y) as tf.SymbolicTensor
  y = drop().apply(y) as tf.SymbolicTensor

  preset.gruUnits.forEach((units, i) => {
    const args: tf.GRULayerArgs = {
      units,
      returnSequences: true,
      recurrentActivation: preset.recurrentActivation,
      name: `gru_${i + 1}`,
      ...withInitializers({kernelInitializer: glorot()}),
      recurrentInitializer: new QuietOrthogonal({seed: options.seed === undefined ? undefined : options.seed * 64 + ++initializers}),
    }
    y = (fused ? new FusedGRU(args) : tf.layers.gru(args)).apply(y) as tf.SymbolicTensor
    y = drop().apply(y) as tf.SymbolicTensor
    y = batchNorm().apply(y) as tf.SymbolicTensor
  })

  y = drop().apply(y) as tf.SymbolicTensor
  const dense = tf.layers.dense({units: 1, activation: 'sigmoid', name: 'dense_1', ...withInitializers({kernelInitializer: glorot()})})
  const perStep = fused
    ? new FusedTimeDistributed({layer: dense, name: 'time_distributed_1'})
    : tf.layers.timeDistributed({layer: dense, name: 'time_distributed_1'})
  const output = perStep.apply(y) as tf.SymbolicTensor
  const tokens = options.ctcTokens ?? 0
  if (!(Number.isInteger(tokens) && tokens >= 0)) throw new Error(`ctcTokens must be a non-negative integer, got ${tokens}`)
  if (tokens === 0) return tf.model({inputs: input, outputs: output, name: `rnn_wake_${preset.name}`})
  const tokenDense = tf.layers.dense({units: tokens + 1, activation: 'softmax', name: 'dense_2', ...withInitializers({kernelInitializer: glorot()})})
  const tokenPerStep = fused
    ? new FusedTimeDistributed({layer: tokenDense, name: 'time_distributed_2'})
    : tf.layers.timeDistributed({layer: tokenDense, name: 'time_distributed_2'})
  const tokenOutput = tokenPerStep.apply(y) as tf.SymbolicTensor
  return tf.model({inputs: input, outputs: [output, tokenOutput], name: `rnn_wake_${preset.name}`})
}

/** The given initializers, leaving out absent ones so the layer keeps its tfjs default. */
function withInitializers<T extends Record<string, Initializer | undefined>>(initializers: T): Partial<T> {
  return Object.fromEntries(Object.entries(initializers).filter(([, v]) => v !== undefined)) as Partial<T>
}

/**
 * Seeds the model's Dropout layers for the next training call: layer k draws
 * its mask from `seed` and k. tfjs reads a Dropout layer's seed on every call
 * and restarts its generator from it, so a fixed seed would repeat one mask
 * forever; the trainer passes a new seed each step (and each gradient
 * shard). undefined: back to unseeded masks.
 */
export function seedDropout(model: tf.LayersModel, seed: number | undefined): void {
  let k = 0
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Dropout') continue
    ;(layer as unknown as {seed?: number}).seed = seed === undefined ? undefined : seed * 16 + k++
  }
}

function checkPreset(preset: ModelPreset): void {
  const positive = (v: number) => Number.isInteger(v) && v > 0
  const problems: string[] = []
  if (!positive(preset.features)) problems.push(`features must be a positive integer, got ${preset.features}`)
  for (const key of ['filters', 'kernelSize', 'strides'] as const) {
    if (!positive(preset.conv[key])) problems.push(`conv.${key} must be a positive integer, got ${preset.conv[key]}`)
  }

  if (preset.gruUnits.length === 0 || !preset.gruUnits.every(positive)) {
    problems.push(`gruUnits must be one or more positive integers, got [${preset.gruUnits}]`)
  }

  if (!(preset.dropout >= 0 && preset.dropout < 1)) problems.push(`dropout must be in [0, 1), got ${preset.dropout}`)
  if (problems.length > 0) throw new Error(`Invalid model preset "${preset.name}": ${problems.join('; ')}`)
}
