import * as tf from '@tensorflow/tfjs'

import {deriveRng} from '../../dataset/rng.js'
import {EMBEDDING_SIZE, EMBEDDING_STEP_SECONDS} from '../../features/speech-embedding.js'
import {buildModel, seedDropout} from '../../model/build.js'
import type {ModelPreset} from '../../model/presets.js'
import {averagedOutputs} from '../../model/predict.js'
import {detectTriggers, type TriggerParams} from '../../stream/trigger.js'
import {type FeatureBank, bankFrames} from '../feature-bank.js'
import type {TokenDecoder} from '../../ctc/decode.js'
import {type Vocabulary, inVocabulary} from '../../dataset/phrases.js'
import {type TokenHeadOutput, transcriptionReport} from '../../metrics/evaluate-model.js'
import type {VocabularyConfig} from '../../model/config.js'
import {withTokenHeadLoss} from '../parallel.js'
import {type BatchOptions, type EmbeddedExample, type ExampleSet, makeBatch} from './data.js'
import {vocabularyTargets} from '../token-targets.js'
import {ALIGN_SPAN_STEPS} from './tokens.js'
import {type DomainCritic, domainLoss, reversalScale} from './domain.js'

/**
 * The course's network on the speech embedding: a per-step projection (a Conv1D of kernel 1),
 * one GRU, a per-step sigmoid. Steps are 80 ms, so the GRU sees ~12 steps a second instead of
 * ~690, and it needs far fewer units: the embedding already carries what a word sounds like.
 */
export const SPEECH_EMBEDDING_PRESET: ModelPreset = {
  name: 'speech-embedding',
  features: EMBEDDING_SIZE,
  conv: {filters: 64, kernelSize: 1, strides: 1},
  gruUnits: [64],
  dropout: 0.2,
  recurrentActivation: 'sigmoid',
}

/** Trigger post-processing of the recipe: one step above the threshold fires; 1 s refractory; re-arm below half. */
export function embeddingTrigger(threshold: number): TriggerParams {
  return {threshold, minSteps: 1, refractorySteps: Math.round(1 / EMBEDDING_STEP_SECONDS), rearmRatio: 0.5}
}

/** Model stage: a fresh network for the preset, seeded; with `tokens` > 0, a CTC token head over that many tokens beside the trigger head. */
export function freshModel(preset: ModelPreset, seed: number, tokens = 0): tf.LayersModel {
  return buildModel(preset, {fused: true, seed, ...(tokens > 0 ? {ctcTokens: tokens} : {})})
}

/** The token head's training: its vocabulary and loss weights (CTC, and the alignment cross-entropy beside it). */
export interface TokenHead {
  vocabulary: Vocabulary
  weight: number
  alignWeight: number
}

export interface StepResult {
  loss: number
  /** The CTC term per step (with a token head). */
  ctc?: number
  /** The domain critic's weighted cross-entropy (with a critic): near weight x 0.69 when the features fool it. */
  domain?: number
}

/** Step stage: one optimizer step on a batch, weighted binary cross-entropy per step (plus the token head's and the domain critic's losses); returns the loss. */
export function trainStep(model: tf.LayersModel, optimizer: tf.Optimizer, set: ExampleSet, bank: FeatureBank, options: BatchOptions & {seed: number; step: number; tokens?: TokenHead; domain?: DomainCritic; progress?: number}): StepResult {
  const batch = makeBatch(set, bank, deriveRng('rnn-wake/embedding-batch', options.seed, options.step), options)
  seedDropout(model, options.seed * 1_000_003 + options.step)
  const x = tf.tensor3d(batch.x, [batch.size, batch.steps, EMBEDDING_SIZE])
  const y = tf.tensor3d(batch.y, [batch.size, batch.steps, 1])
  const w = tf.tensor3d(batch.weights, [batch.size, batch.steps, 1])
  const fromBank = options.domain && tf.tensor2d(batch.fromBank, [batch.size, batch.steps])
  const domainMask = options.domain && tf.tensor2d(batch.domainMask, [batch.size, batch.steps])
  const head = options.tokens
  const ctc = head && {weight: head.weight, alignWeight: head.alignWeight, blank: head.vocabulary.tokens.length, targets: batch.words.map((words) => vocabularyTargets(words.map((w) => w.word), words.map((w) => w.endStep), head.vocabulary, batch.steps, ALIGN_SPAN_STEPS))}
  let ctcValue: tf.Scalar | undefined
  let domainValue: tf.Scalar | undefined
  try {
    const loss = optimizer.minimize(() => {
      const applied = (options.domain ? options.domain.tapped : model).apply(x, {training: true}) as tf.Tensor | tf.Tensor[]
      const all = Array.isArray(applied) ? applied : [applied]
      const out = options.domain ? all.slice(1) : all
      const p = tf.clipByValue(out[0], 1e-7, 1 - 1e-7)
      const bce = tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))))
      let trigger = tf.div(tf.sum(tf.mul(bce, w)), tf.sum(w)) as tf.Scalar
      if (options.domain && fromBank) {
        const critic = domainLoss(options.domain, all[0], fromBank, reversalScale(options.progress ?? 1), domainMask)
        domainValue = tf.keep(critic)
        trigger = tf.add(trigger, critic) as tf.Scalar
      }
      if (!ctc || out.length < 2) return trigger
      const joint = withTokenHeadLoss(trigger, out[1] as tf.Tensor3D, ctc)
      ctcValue = tf.keep(joint.ctc)
      return joint.total
    }, true)
    const value = loss?.dataSync()[0] ?? NaN
    loss?.dispose()
    return {loss: value, ...(ctcValue ? {ctc: ctcValue.dataSync()[0]} : {}), ...(domainValue ? {domain: domainValue.dataSync()[0]} : {})}
  } finally {
    tf.dispose([x, y, w])
    fromBank?.dispose()
    domainMask?.dispose()
    ctcValue?.dispose()
    domainValue?.dispose()
  }
}

/** The trigger probabilities of one feature sequence, run from a fresh state as a stream would. */
export function scoreSequence(model: tf.LayersModel, data: Float32Array, steps: number): Float32Array {
  return scoreNetworks([model], data, steps).trigger
}

/**
 * The outputs of one or more networks on a feature sequence, each run from a fresh state as a
 * stream would, averaged as an ensemble's are (predictFeatures): the trigger probabilities, and
 * the token head's posteriors when the networks have one.
 */
export function scoreNetworks(networks: readonly tf.LayersModel[], data: Float32Array, steps: number): {trigger: Float32Array; tokens?: Float32Array} {
  if (steps === 0) return {trigger: new Float32Array(0)}
  const input = tf.tensor3d(data, [1, steps, EMBEDDING_SIZE])
  try {
    return averagedOutputs(networks, () => input)
  } finally {
    input.dispose()
  }
}

export interface Calibration {
  threshold: number
  /** Hours of real speech the threshold was set on. */
  hours: number
  /** False accepts there at the threshold. */
  falseAccepts: number
  /** FA/h that one false accept is on this much audio. */
  resolution: number
  /** Whether the audio is long enough to measure the target (3 false accepts at the target or more). */
  supported: boolean
}

/**
 * Calibrate stage: the lowest threshold (on a 0.01 grid up to 0.98, then in logit steps up to 1 - 1e-6) at which the
 * calibration speech (real, never trained on) gives at most `targetFaPerHour`. Every false
 * accept counts, so on short audio this is "no false accept at all" and says so.
 */
export function calibrateThreshold(model: tf.LayersModel | readonly tf.LayersModel[] | ((data: Float32Array, steps: number) => Float32Array), calibration: FeatureBank, targetFaPerHour: number): Calibration {
  const score = typeof model === 'function' ? model : (data: Float32Array, steps: number) => scoreNetworks(asNetworks(model), data, steps).trigger
  const tracks = calibration.sequences.map((s) => score(s.data, s.frames))
  const hours = bankHours(calibration)
  const allowed = Math.floor(targetFaPerHour * hours + 1e-9)
  const falseAcceptsAt = (threshold: number) => tracks.reduce((n, t) => n + detectTriggers(t, embeddingTrigger(threshold)).length, 0)
  const grid: number[] = []
  for (let t = 0.05; t < 0.99; t += 0.01) grid.push(Math.round(t * 100) / 100)
  // Scores of a confident network saturate near 1 on some real speech: go on in steps of the logit.
  for (let k = 8; k <= 24; k++) grid.push(Number((1 - 10 ** (-k / 4)).toPrecision(8)))
  let chosen = grid[grid.length - 1]
  for (const t of grid) {
    if (falseAcceptsAt(t) <= allowed) {
      chosen = t
      break
    }
  }
  return {threshold: chosen, hours, falseAccepts: falseAcceptsAt(chosen), resolution: hours > 0 ? 1 / hours : Infinity, supported: hours * targetFaPerHour >= 3}
}

/** Hours of audio a bank of speech-embedding features holds. */
export function bankHours(bank: FeatureBank): number {
  return (bankFrames(bank) * EMBEDDING_STEP_SECONDS) / 3600
}

/** One network, or the networks of an ensemble, as a list. */
function asNetworks(model: tf.LayersModel | readonly tf.LayersModel[]): readonly tf.LayersModel[] {
  return Array.isArray(model) ? model : [model as tf.LayersModel]
}

/** Evaluate stage: share of held-out positive examples whose labelled steps fire at `threshold` (an ensemble's: its networks averaged). */
export function missedShare(model: tf.LayersModel | readonly tf.LayersModel[], examples: readonly EmbeddedExample[], threshold: number): number {
  if (examples.length === 0) return NaN
  let missed = 0
  for (const e of examples) {
    const p = scoreNetworks(asNetworks(model), e.data, e.steps).trigger
    const first = e.positiveSteps[0] ?? e.steps
    // A detection from 0.5 s before the label to its end counts (the event matcher's window).
    const from = Math.max(0, first - Math.round(0.5 / EMBEDDING_STEP_SECONDS))
    let hit = false
    for (let k = from; k < e.steps && k <= (e.positiveSteps.at(-1) ?? first) + 6; k++) if (p[k] > threshold) hit = true
    if (!hit) missed++
  }
  return missed / examples.length
}

/**
 * Evaluate stage, token head: the decoder (beam search, or best path after 1-9 steps of
 * smoothing) with the fewest word errors on held-out examples (the trigger, half of them with a
 * phrase after it), as `evaluate --write-threshold` chooses one for the spectrogram recipe.
 * Falls back to best path on raw posteriors when there is nothing to decode.
 */
export function chooseDecoder(model: tf.LayersModel | readonly tf.LayersModel[], examples: readonly EmbeddedExample[], vocabulary: Vocabulary): {decoder: TokenDecoder; wordErrorRate: number} {
  const config: VocabularyConfig = {unit: vocabulary.unit, tokens: vocabulary.tokens, blank: vocabulary.tokens.length}
  const heads: TokenHeadOutput[] = examples.map((e, k) => {
    const tokens = scoreNetworks(asNetworks(model), e.data, e.steps).tokens
    if (tokens === undefined) throw new Error('chooseDecoder: the network has no token head')
    return {file: `held-out-${k}`, tokens, steps: e.steps, reference: (e.words ?? []).map((w) => w.word).filter((w) => inVocabulary(w, vocabulary))}
  })
  if (heads.length === 0) return {decoder: {kind: 'best-path', smoothSteps: 1}, wordErrorRate: NaN}
  const report = transcriptionReport(heads, config, 0)
  const best = report.candidates.find((c) => JSON.stringify(c.decoder) === JSON.stringify(report.bestDecoder))
  return {decoder: report.bestDecoder, wordErrorRate: best?.wer.rate ?? NaN}
}
