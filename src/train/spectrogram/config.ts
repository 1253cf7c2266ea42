import type {TokenUnit, Vocabulary} from '../../dataset/phrases.js'
import type {LabelGeometry} from '../../dataset/synth-labels.js'
import type {AugmentName} from '../../features/augment.js'
import type {FeatureConfig} from '../../features/featurize.js'
import {outputStepSeconds} from '../../model/config.js'
import type {ModelPreset} from '../../model/presets.js'
import type {TriggerParams} from '../../stream/trigger.js'
import {UserError} from '../../util/errors.js'
import type {ResolvedCorpus} from '../corpus.js'
import {presetGeometry} from '../examples.js'

/**
 * Config stage of the spectrogram recipe: the options as plain data, in the
 * parts the stages read (data, network, optimisation, validation, output),
 * checked once, then completed by what the model stage found (on --resume,
 * the run's own settings) into the run's numbers.
 */

/** Where examples come from and how they are cut. */
export interface DataOptions {
  corpus: ResolvedCorpus
  /** Examples per epoch when synthesizing on the fly (a dataset uses all of its training examples). */
  epochSize: number
  /** Spectrogram frames per training crop; null: whole examples. */
  cropFrames: number | null
  /** Probability that a crop is placed around a trigger's labels (when the example has one). */
  cropAroundLabels: number
  /** Voice and channel augmentations of the training examples (src/features/augment.ts); default none. */
  augment?: AugmentName[]
  /** Threads making examples (0: this one). */
  workers: number
}

/** The network: its shape, its front end, its heads and where its weights start. */
export interface NetworkOptions {
  preset: ModelPreset
  features: FeatureConfig
  /**
   * Weight of the CTC loss of a token head; 0: no token head (the trigger
   * head alone, as before). Default 0; on --resume, the weight the run was
   * started with (a token head cannot be added to a trained model).
   */
  ctcWeight?: number
  /** Token units of the vocabulary: whole words (default) or characters. */
  ctcUnit?: TokenUnit
  /**
   * The words the token head transcribes (e.g. the trigger and the command
   * words); default: every word the data can hold. Other words are left out
   * of the targets, so the head learns to stay silent on them.
   */
  ctcVocabulary?: string[]
  /**
   * Weight of the per-step cross-entropy against word-end alignments
   * (token-targets.ts) beside the CTC loss; 0: CTC alone. Default 1.
   */
  ctcAlignWeight?: number
  /**
   * Start from the weights of a trained model directory (same preset, front
   * end and heads) instead of random ones; `initMember` picks a network of an
   * ensemble (1 = the top-level one).
   */
  initFrom?: string
  initMember?: number
  /**
   * Start the encoder (Conv1D, GRUs and their BatchNorms) from this model
   * directory, a pretrained speech encoder such as models/encoder (same preset
   * and front end); the heads start afresh.
   */
  from?: string
  /** With `from`: train only the heads, the encoder stays as pretrained. On --resume: the run's own. */
  freeze?: boolean
}

/** The loss, the optimizer and how the steps run. */
export interface OptimisationOptions {
  /** Total epochs (on --resume: including those already done). */
  epochs: number
  batch: number
  lr: number
  /** Learning rate multiplier per epoch: epoch e trains at lr * lrDecay^(e - 1). */
  lrDecay: number
  /** Weight of the positive class in the cross-entropy (1: plain BCE). */
  classWeight: number
  /**
   * Weight of the negative steps just after each word that is not the
   * trigger (where a confused detector would fire); default 1.
   */
  hardNegativeWeight?: number
  /** Seeds the initial weights, the examples, their order and the dropout masks. */
  seed: number
  /** Threads computing each step's gradients, data-parallel (parallel.ts); default 1. */
  threads?: number
  backend: string
  /**
   * Stop (validate and save as finished) once training steps used this many
   * CPU seconds (all threads, examples included; validation excluded): a
   * budget that means the same on a busy machine as on an idle one.
   */
  budgetCpuSec?: number
}

/** Validation, and the trigger chosen on it. */
export interface ValidationOptions {
  /** Validation examples to synthesize (clip corpora only). */
  valCount: number
  /**
   * Validate (and choose the threshold) after every this many epochs, and
   * after the last; default 1. Validation never changes the weights, so any
   * value trains the same model; it only saves the time (96 whole examples
   * cost a third of a 640-crop epoch of the default preset).
   */
  valEvery?: number
  /** False accepts per hour the threshold is chosen to stay within on validation. */
  targetFaPerHour: number
  /** The highest validation miss rate the threshold may accept (see chooseThreshold). */
  maxFrr: number
}

/** The model directory written. */
export interface OutputOptions {
  out: string
  word: string
  /** Continue the checkpoint in `out`. */
  resume: boolean
  /** Replace a directory that already holds a model. */
  force: boolean
  /** Keep Adam's state in the final directory, so a finished run can be resumed with more --epochs. */
  keepOptimizer: boolean
}

/** What the caller hears while the run goes, and how it stops one. */
export interface TrainHooks {
  signal?: AbortSignal
  log: (line: string) => void
  onStep?: (info: {epoch: number; done: number; total: number; loss: number; examplesPerSec: number}) => void
  onEpochStart?: (epoch: number, total: number) => void
  onEpochEnd?: () => void
}

export type TrainOptions = DataOptions & NetworkOptions & OptimisationOptions & ValidationOptions & OutputOptions & TrainHooks

/** The network a run trains once the model stage had its say (on --resume: the checkpoint's). */
export interface RunNetwork {
  preset: ModelPreset
  features: FeatureConfig
  /** The token head's vocabulary; undefined: the trigger head alone. */
  vocabulary?: Vocabulary
  ctcWeight: number
  ctcAlignWeight: number
  augment: AugmentName[]
  from?: string
  freeze: boolean
}

/** The options' own defaults, checked before anything is read. */
export interface Defaults {
  threads: number
  valEvery: number
  hardNegativeWeight: number
}

export function checkOptions(options: TrainOptions): Defaults {
  const threads = options.threads ?? 1
  const valEvery = options.valEvery ?? 1
  if (!(Number.isInteger(valEvery) && valEvery >= 1)) throw new UserError(`--val-every must be a whole number of epochs >= 1, not ${valEvery}`, 'usage')
  const hardNegativeWeight = options.hardNegativeWeight ?? 1
  const ctcAlignWeight = options.ctcAlignWeight ?? 1
  if (!(ctcAlignWeight >= 0 && Number.isFinite(ctcAlignWeight))) throw new UserError(`--ctc-align-weight must be a number >= 0, not ${ctcAlignWeight}`, 'usage')
  const ctcWeight = options.ctcWeight ?? 0
  if (!(ctcWeight >= 0 && Number.isFinite(ctcWeight))) throw new UserError(`--ctc-weight must be a number >= 0, not ${ctcWeight}`, 'usage')
  return {threads, valEvery, hardNegativeWeight}
}

/**
 * How long after a word's end its alignment target lasts. Short, like the
 * spikes CTC converges to: with 0.15 s spans the head's posteriors stayed
 * high over many steps with dips to blank, and decoding read one word as
 * several (bench/RESULTS.md, ctc section).
 */
const ALIGN_SPAN_SEC = 0.045

/** The course's refractory period (75 steps of stride 4, ~545 ms), at any stride. */
export function refractorySteps(preset: ModelPreset): number {
  return Math.round((75 * 4) / preset.conv.strides)
}

/** The run's numbers: the defaults, the settings it records, and what follows from the network. */
export interface Run extends Defaults {
  /** What training.json and rnn-wake.json record of the run. */
  settings: Record<string, unknown>
  geometry: LabelGeometry
  /** Seconds per output step. */
  stepSec: number
  /** The trigger post-processing validation scores with (threshold and steps above it are chosen there). */
  trigger: TriggerParams
  /** The token head's loss terms; undefined: the trigger head alone. */
  ctc?: {weight: number; blank: number; alignWeight: number}
  /** Output steps an alignment target lasts. */
  alignSpan: number
}

export function planRun(options: TrainOptions, defaults: Defaults, network: RunNetwork): Run {
  const {preset, features, vocabulary, ctcWeight, ctcAlignWeight} = network
  const stepSec = outputStepSeconds({features, preset})
  return {
    ...defaults,
    settings: runSettings(options, defaults, network),
    geometry: presetGeometry(preset, features),
    stepSec,
    trigger: {threshold: 0.5, minSteps: 1, refractorySteps: refractorySteps(preset)},
    ...(vocabulary !== undefined && ctcWeight > 0 ? {ctc: {weight: ctcWeight, blank: vocabulary.tokens.length, alignWeight: ctcAlignWeight}} : {}),
    alignSpan: Math.max(1, Math.round(ALIGN_SPAN_SEC / stepSec)),
  }
}

function runSettings(options: TrainOptions, defaults: Defaults, network: RunNetwork): Record<string, unknown> {
  const {from, freeze, vocabulary} = network
  return {
    batch: options.batch,
    lr: options.lr,
    lrDecay: options.lrDecay,
    cropAroundLabels: options.cropAroundLabels,
    classWeight: options.classWeight,
    seed: options.seed,
    epochSize: options.epochSize,
    cropFrames: options.cropFrames,
    valCount: options.valCount,
    valEvery: defaults.valEvery,
    targetFaPerHour: options.targetFaPerHour,
    maxFrr: options.maxFrr,
    threads: defaults.threads,
    hardNegativeWeight: defaults.hardNegativeWeight,
    augment: network.augment,
    ...(options.initFrom !== undefined ? {initFrom: options.initFrom, initMember: options.initMember ?? 1} : {}),
    ...(from !== undefined ? {from, freeze} : {}),
    ...(vocabulary ? {ctcWeight: network.ctcWeight, ctcUnit: vocabulary.unit, ctcAlignWeight: network.ctcAlignWeight} : {}),
  }
}
