import {type TriggerParams, detectTriggers} from '../stream/trigger.js'

/**
 * Event-level scoring of a wake-word detector, as the field reports it:
 * false-reject rate (missed triggers / triggers) against false accepts per
 * hour of non-trigger audio, over thresholds (a DET curve).
 */

/** How far from the end of a trigger word a detection still counts as finding it. */
export interface MatchWindow {
  /** Seconds before the word's end (a detector may fire on the word's last syllable). */
  earlySec: number
  /** Seconds after the word's end. */
  lateSec: number
}

export const DEFAULT_MATCH_WINDOW: MatchWindow = {earlySec: 0.5, lateSec: 1.0}

export interface EventMatch {
  hits: Array<{truthSec: number; detectionSec: number; latencySec: number}>
  missedSec: number[]
  falseAcceptSec: number[]
}

/**
 * Pair detections with trigger ends in time order: each trigger takes the
 * earliest unused detection inside its window; every detection left over is
 * a false accept, every trigger left over a miss.
 */
export function matchEvents(detectionsSec: readonly number[], truthsSec: readonly number[], window: MatchWindow = DEFAULT_MATCH_WINDOW): EventMatch {
  const detections = [...detectionsSec].sort((a, b) => a - b)
  const used = new Array<boolean>(detections.length).fill(false)
  const result: EventMatch = {hits: [], missedSec: [], falseAcceptSec: []}
  for (const truth of [...truthsSec].sort((a, b) => a - b)) {
    const i = detections.findIndex((d, k) => !used[k] && d >= truth - window.earlySec && d <= truth + window.lateSec)
    if (i < 0) {
      result.missedSec.push(truth)
    } else {
      used[i] = true
      result.hits.push({truthSec: truth, detectionSec: detections[i], latencySec: detections[i] - truth})
    }
  }
  detections.forEach((d, k) => {
    if (!used[k]) result.falseAcceptSec.push(d)
  })
  return result
}

/** One scored piece of audio: the model's per-step probabilities and where the triggers end. */
export interface ScoredAudio {
  name: string
  probabilities: Float32Array
  /** Seconds per output step. */
  stepSec: number
  durationSec: number
  truthsSec: number[]
}

/** Seconds of audio outside every trigger's match window: what false accepts are counted against. */
export function nonTriggerSeconds(item: ScoredAudio, window: MatchWindow = DEFAULT_MATCH_WINDOW): number {
  const spans = item.truthsSec
    .map((t) => [Math.max(0, t - window.earlySec), Math.min(item.durationSec, t + window.lateSec)] as const)
    .sort((a, b) => a[0] - b[0])
  let covered = 0
  let reach = 0
  for (const [a, b] of spans) {
    const from = Math.max(a, reach)
    if (b > from) covered += b - from
    reach = Math.max(reach, b)
  }
  return Math.max(0, item.durationSec - covered)
}

export interface OperatingPoint {
  threshold: number
  triggers: number
  missed: number
  falseAccepts: number
  nonTriggerHours: number
  frr: number
  faPerHour: number
  latenciesSec: number[]
}

/** Detection events as times, the step converted to the time at the end of that step. */
export function detectionTimes(item: ScoredAudio, trigger: TriggerParams): number[] {
  return detectTriggers(item.probabilities, trigger).map((e) => (e.step + 1) * item.stepSec)
}

export function evaluateAt(items: readonly ScoredAudio[], trigger: TriggerParams, window: MatchWindow = DEFAULT_MATCH_WINDOW): OperatingPoint {
  let triggers = 0
  let missed = 0
  let falseAccepts = 0
  let nonTrigger = 0
  const latenciesSec: number[] = []
  for (const item of items) {
    const m = matchEvents(detectionTimes(item, trigger), item.truthsSec, window)
    triggers += item.truthsSec.length
    missed += m.missedSec.length
    falseAccepts += m.falseAcceptSec.length
    nonTrigger += nonTriggerSeconds(item, window)
    for (const h of m.hits) latenciesSec.push(h.latencySec)
  }
  const nonTriggerHours = nonTrigger / 3600
  return {
    threshold: trigger.threshold,
    triggers,
    missed,
    falseAccepts,
    nonTriggerHours,
    frr: triggers ? missed / triggers : 0,
    faPerHour: nonTriggerHours > 0 ? falseAccepts / nonTriggerHours : 0,
    latenciesSec,
  }
}

/** FRR against FA/h over thresholds (a DET curve), thresholds ascending. */
export function detCurve(items: readonly ScoredAudio[], trigger: TriggerParams, thresholds: readonly number[] = defaultThresholds(), window = DEFAULT_MATCH_WINDOW): OperatingPoint[] {
  return thresholds.map((threshold) => evaluateAt(items, {...trigger, threshold}, window))
}

export function defaultThresholds(): number[] {
  const t: number[] = []
  for (let i = 1; i < 100; i++) t.push(i / 100)
  for (const extra of [0.991, 0.993, 0.995, 0.997, 0.999]) t.push(extra)
  // Networks on the speech embedding are confident: their scores on real speech reach 0.99999.
  for (const extra of [0.9995, 0.9998, 0.9999, 0.99995, 0.99998, 0.99999, 0.999995, 0.999998, 0.999999]) t.push(extra)
  return t
}

/** The operating point with the lowest FRR whose FA/h is at most the target (ties: the lower threshold). */
export function pointForTargetFA(curve: readonly OperatingPoint[], targetFaPerHour: number): OperatingPoint | undefined {
  let best: OperatingPoint | undefined
  for (const p of curve) {
    if (p.faPerHour > targetFaPerHour) continue
    if (!best || p.frr < best.frr) best = p
  }
  return best
}

/** The course's metric: fraction of output steps where (p > 0.5) equals the 0/1 label. */
export function perStepAccuracy(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = Math.min(probabilities.length, labels.length)
  let right = 0
  for (let i = 0; i < n; i++) if (probabilities[i] > 0.5 === labels[i] > 0.5) right++
  return n ? right / n : 0
}

export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}
