import * as tf from '@tensorflow/tfjs'

import type {TokenDecoder} from '../ctc/decode.js'
import {type Vocabulary, inVocabulary} from '../dataset/phrases.js'
import type {ErrorRate} from '../metrics/edit-distance.js'
import {type TokenHeadOutput, transcriptionReport} from '../metrics/evaluate-model.js'
import {type OperatingPoint, type ScoredAudio, detCurve, evaluateAt, perStepAccuracy} from '../metrics/events.js'
import {type TriggerParams} from '../stream/trigger.js'
import type {TrainExample} from './examples.js'

/**
 * Validation as the field measures a detector: events, not steps. The
 * model's per-step probabilities over whole validation examples go through
 * the same trigger post-processing `detect` uses, then missed triggers and
 * false accepts are counted (src/metrics/events.ts).
 */

export interface Validation {
  loss: number
  accuracy: number
  point: OperatingPoint
  /** Every threshold's operating point, for choosing the model's threshold. */
  curve: OperatingPoint[]
}

export interface Scores {
  scored: ScoredAudio[]
  loss: number
  accuracy: number
  /** The token head's posteriors with each example's reference words; [] without a head or vocabulary. */
  heads: TokenHeadOutput[]
}

/**
 * The trigger head's probabilities (and BCE, accuracy) over `examples`; with
 * a token head and `vocabulary`, also its best-path transcript of each example
 * against the words the example holds.
 */
export function scoreExamples(model: tf.LayersModel, examples: readonly TrainExample[], stepSec: number, batch = 4, vocabulary?: Vocabulary): Scores {
  const scored: ScoredAudio[] = []
  const heads: TokenHeadOutput[] = []
  let lossSum = 0
  let accSum = 0
  let steps = 0
  for (let i = 0; i < examples.length; i += batch) {
    const group = examples.slice(i, i + batch)
    const frames = group[0].frames
    const bins = group[0].features.length / frames
    // Validation examples are whole clips of one length; a shorter straggler is scored alone.
    const same = group.filter((e) => e.frames === frames)
    const rest = group.filter((e) => e.frames !== frames)
    const x = new Float32Array(same.length * frames * bins)
    same.forEach((e, k) => x.set(e.features, k * frames * bins))
    const [probs, tokens] = tf.tidy(() => {
      const out = model.predict(tf.tensor3d(x, [same.length, frames, bins]))
      const outputs = Array.isArray(out) ? out : [out]
      return [outputs[0].dataSync() as Float32Array, outputs.length > 1 ? (outputs[1].dataSync() as Float32Array) : undefined]
    })
    const ty = probs.length / same.length
    same.forEach((e, k) => {
      if (tokens && vocabulary && e.transcript) {
        const c = vocabulary.tokens.length + 1
        heads.push({file: `val-${i + k}`, tokens: tokens.slice(k * ty * c, (k + 1) * ty * c), steps: ty, reference: e.transcript.filter((w) => inVocabulary(w, vocabulary))})
      }
      const p = probs.slice(k * ty, (k + 1) * ty)
      const n = Math.min(ty, e.labels.length)
      for (let s = 0; s < n; s++) {
        const q = Math.min(1 - 1e-7, Math.max(1e-7, p[s]))
        lossSum -= e.labels[s] ? Math.log(q) : Math.log(1 - q)
      }
      steps += n
      accSum += perStepAccuracy(p, e.labels) * n
      scored.push({name: `val-${i + k}`, probabilities: p, stepSec, durationSec: ty * stepSec, truthsSec: e.truthsSec})
    })
    if (rest.length > 0) {
      const more = scoreExamples(model, rest, stepSec, 1, vocabulary)
      scored.push(...more.scored)
      heads.push(...more.heads)
      const n = rest.reduce((a, e) => a + e.labels.length, 0)
      lossSum += more.loss * n
      accSum += more.accuracy * n
      steps += n
    }
  }
  return {scored, loss: steps ? lossSum / steps : 0, accuracy: steps ? accSum / steps : 0, heads}
}

/**
 * Scores on validation; with a token head, also the decoder (beam search or
 * best path after some smoothing) with the fewest word errors there, chosen
 * as the threshold is, and its word error rate.
 */
export function validate(
  model: tf.LayersModel,
  examples: readonly TrainExample[],
  stepSec: number,
  trigger: TriggerParams,
  vocabulary?: Vocabulary,
): Validation & {scored: ScoredAudio[]; wer: ErrorRate | null; decoder?: TokenDecoder} {
  const {scored, loss, accuracy, heads} = scoreExamples(model, examples, stepSec, 4, vocabulary)
  const base = {loss, accuracy, point: evaluateAt(scored, trigger), curve: detCurve(scored, trigger), scored}
  if (!vocabulary || heads.length === 0) return {...base, wer: null}
  const report = transcriptionReport(heads, {...vocabulary, blank: vocabulary.tokens.length}, 0)
  const chosen = report.candidates.find((c) => c.decoder === report.bestDecoder)!
  return {...base, wer: chosen.wer, decoder: report.bestDecoder}
}

export interface TriggerChoice {
  trigger: TriggerParams
  rule: ReturnType<typeof chooseThreshold>['rule']
  point: OperatingPoint
}

/**
 * Threshold and minimum run length together. Requiring a few consecutive
 * steps above the threshold (Mycroft Precise fires after 3 chunks) removes
 * one-step spikes at little cost in misses; which length helps is measured
 * here rather than assumed. Preference: the threshold rule's better case,
 * then fewer misses (fa-target) or fewer false accepts (frr-limit), then the
 * shorter run.
 */
export function chooseTrigger(scored: readonly ScoredAudio[], base: TriggerParams, targetFaPerHour: number, maxFrr: number, runs: readonly number[] = [1, 2, 3, 5]): TriggerChoice {
  const rank = {'fa-target': 0, 'frr-limit': 1, default: 2}
  let best: TriggerChoice | undefined
  for (const minSteps of runs) {
    const params = {...base, minSteps}
    const curve = detCurve(scored, params)
    const {threshold, rule} = chooseThreshold(curve, targetFaPerHour, maxFrr)
    const point = curve.find((p) => p.threshold === threshold) ?? evaluateAt(scored, {...params, threshold})
    const candidate = {trigger: {...params, threshold}, rule, point}
    if (best === undefined) {
      best = candidate
      continue
    }
    const better =
      rank[rule] < rank[best.rule] ||
      (rank[rule] === rank[best.rule] &&
        (rule === 'fa-target'
          ? point.frr < best.point.frr || (point.frr === best.point.frr && point.faPerHour < best.point.faPerHour)
          : point.faPerHour < best.point.faPerHour || (point.faPerHour === best.point.faPerHour && point.frr < best.point.frr)))
    if (better) best = candidate
  }
  return best!
}

/**
 * The model's threshold, from the validation DET curve. Validation holds
 * minutes of audio, so a false-accept target of a fraction per hour means
 * "none at all", and hard negatives (deactivate, reactivate) may make that
 * cost most triggers. So:
 *   1. the lowest miss rate among thresholds within `targetFaPerHour`, if it
 *      misses at most `maxFrr` (ties: the middle threshold, away from both
 *      the misses below and the false accepts above);
 *   2. else the highest threshold missing at most `maxFrr` (the fewest false
 *      accepts at an acceptable miss rate);
 *   3. else 0.5.
 */
export function chooseThreshold(curve: readonly OperatingPoint[], targetFaPerHour: number, maxFrr = 0.05): {threshold: number; rule: 'fa-target' | 'frr-limit' | 'default'} {
  const scored = curve.filter((p) => p.triggers > 0)
  const ok = scored.filter((p) => p.faPerHour <= targetFaPerHour)
  if (ok.length > 0) {
    const best = Math.min(...ok.map((p) => p.frr))
    if (best <= maxFrr) {
      const tied = ok.filter((p) => p.frr === best).map((p) => p.threshold)
      return {threshold: tied[Math.floor((tied.length - 1) / 2)], rule: 'fa-target'}
    }
  }
  const within = scored.filter((p) => p.frr <= maxFrr)
  if (within.length > 0) return {threshold: Math.max(...within.map((p) => p.threshold)), rule: 'frr-limit'}
  return {threshold: 0.5, rule: 'default'}
}
