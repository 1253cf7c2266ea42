import * as tf from '@tensorflow/tfjs'

import {FusedGRU} from './gru.js'
import type {ModelPreset} from './presets.js'
import {FusedTimeDistributed} from './time-distributed.js'

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

  const input = tf.input({shape: [null, preset.features], name: 'input_1'})
  let y = tf.layers
    .conv1d({
      name: 'conv1d_1',
      filters: preset.conv.filters,
      kernelSize: preset.conv.kernelSize,
      strides: preset.conv.strides,
      padding: 'valid',
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
    }
    y = (fused ? new FusedGRU(args) : tf.layers.gru(args)).apply(y) as tf.SymbolicTensor
    y = drop().apply(y) as tf.SymbolicTensor
    y = batchNorm().apply(y) as tf.SymbolicTensor
  })

  y = drop().apply(y) as tf.SymbolicTensor
  const dense = tf.layers.dense({units: 1, activation: 'sigmoid', name: 'dense_1'})
  const perStep = fused
    ? new FusedTimeDistributed({layer: dense, name: 'time_distributed_1'})
    : tf.layers.timeDistributed({layer: dense, name: 'time_distributed_1'})
  const output = perStep.apply(y) as tf.SymbolicTensor
  const tokens = options.ctcTokens ?? 0
  if (!(Number.isInteger(tokens) && tokens >= 0)) throw new Error(`ctcTokens must be a non-negative integer, got ${tokens}`)
  if (tokens === 0) return tf.model({inputs: input, outputs: output, name: `rnn_wake_${preset.name}`})
  const tokenDense = tf.layers.dense({units: tokens + 1, activation: 'softmax', name: 'dense_2'})
  const tokenPerStep = fused
    ? new FusedTimeDistributed({layer: tokenDense, name: 'time_distributed_2'})
    : tf.layers.timeDistributed({layer: tokenDense, name: 'time_distributed_2'})
  const tokenOutput = tokenPerStep.apply(y) as tf.SymbolicTensor
  return tf.model({inputs: input, outputs: [output, tokenOutput], name: `rnn_wake_${preset.name}`})
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
