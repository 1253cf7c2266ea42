import {UserError} from '../util/errors.js'
import type {RecurrentActivation} from './gru.js'

/**
 * A network shape as plain data: what build.ts needs to make the model, and
 * what a model directory records so the same network can be rebuilt.
 *
 * Layout (the course's trigger-word model when `gruUnits` has two entries):
 *   Input(T, features) -> Conv1D -> BatchNorm -> ReLU -> Dropout
 *   -> for each GRU: GRU(return_sequences) -> Dropout -> BatchNorm
 *   -> Dropout -> TimeDistributed(Dense(1, sigmoid))
 */
export interface ModelPreset {
  name: string
  /** Values per input frame (spectrogram bins). */
  features: number
  conv: {filters: number; kernelSize: number; strides: number}
  /** One GRU layer per entry, in order. */
  gruUnits: number[]
  /** Fraction of activations dropped (Keras' `rate`), after every block. */
  dropout: number
  /** Keras 2 GRU gate activation; hardSigmoid is the Keras 2 / tfjs default. */
  recurrentActivation: RecurrentActivation
}

/**
 * The course's model exactly: 522,561 parameters with Keras-2 GRUs
 * (reset_after = false; TF2's default GRU would have 523,329).
 */
export const COURSE: ModelPreset = {
  name: 'course',
  features: 101,
  conv: {filters: 196, kernelSize: 15, strides: 4},
  gruUnits: [128, 128],
  dropout: 0.8,
  recurrentActivation: 'hardSigmoid',
}

/** Same layout, small enough that tests build and train it in seconds. */
export const TINY: ModelPreset = {
  name: 'tiny',
  features: 101,
  conv: {filters: 16, kernelSize: 15, strides: 4},
  gruUnits: [16, 16],
  dropout: 0.1,
  recurrentActivation: 'hardSigmoid',
}

/**
 * The default: chosen by measured accuracy per CPU-second on 44.1 kHz input
 * (bench/presets-results.md). Half the recurrent steps of the course model
 * (conv stride 8: 688 steps per 10 s, 14.5 ms each) and smaller GRUs; it is
 * trained on log-compressed features and on 3 s crops around the labels
 * (src/train/recipes.ts).
 */
export const DEFAULT: ModelPreset = {
  name: 'default',
  features: 101,
  conv: {filters: 128, kernelSize: 15, strides: 8},
  gruUnits: [64, 64],
  dropout: 0.2,
  recurrentActivation: 'hardSigmoid',
}

export const PRESETS: Readonly<Record<string, ModelPreset>> = {course: COURSE, tiny: TINY, default: DEFAULT}

export function getPreset(name: string): ModelPreset {
  const preset = PRESETS[name]
  if (preset === undefined) {
    throw new UserError(`Unknown preset "${name}" (choose one of: ${Object.keys(PRESETS).join(', ')})`, 'usage')
  }

  return preset
}

/** Output steps for `inputSteps` frames: the valid, strided convolution is the only layer that changes length. */
export function outputSteps(preset: ModelPreset, inputSteps: number): number {
  const {kernelSize, strides} = preset.conv
  if (inputSteps < kernelSize) return 0
  return Math.floor((inputSteps - kernelSize) / strides) + 1
}

