/**
 * Trigger post-processing, separate from the model: turns per-step
 * probabilities into events. The course fires when p > 0.5 and more than 75
 * steps passed since the last firing; on its own that fires twice on one
 * utterance whose probability stays high for longer than 75 steps, so an
 * event also needs the probability to have dropped below the threshold
 * since the last one (re-arming). Unlike the course loop, the very first
 * steps of a stream may fire (the course skips the first 75).
 */
export interface TriggerParams {
  /** Probability a step must exceed. */
  threshold: number
  /** Consecutive steps above the threshold before firing (the course: 1). */
  minSteps: number
  /** Steps after an event during which no new event fires (the course: 75, ~545 ms). */
  refractorySteps: number
  /**
   * After an event, the detector re-arms once the probability falls to this
   * fraction of the threshold (absent: 1, as soon as it falls below the
   * threshold). Below 1 it is a hysteresis: an ensemble's mean can wobble
   * around a low threshold within one spoken word, and each wobble would
   * otherwise fire again once the refractory period is over.
   */
  rearmRatio?: number
  /**
   * Each step's probability is first averaged with the steps before it, this many in all (absent: 1, none):
   * a word holds the probability up for several steps, a stray step of running speech does not.
   */
  smoothSteps?: number
}

export const COURSE_TRIGGER: TriggerParams = {threshold: 0.5, minSteps: 1, refractorySteps: 75}

export interface TriggerEvent {
  /** Output step at which the event fired (counted from the start of the stream). */
  step: number
  /**
   * From push: the highest probability among the steps that made it fire (all
   * a stream knows when it fires). From detectTriggers: the peak of the whole
   * excursion above the threshold, which may come after the firing step.
   */
  score: number
}

/** The end of the excursion above the threshold an event fired in: its peak. */
export interface ExcursionPeak {
  /** The event's (firing) step. */
  step: number
  /** Highest probability from the excursion's start to its end (the word's peak). */
  peak: number
}

export class TriggerDetector {
  private step = 0
  private run = 0
  private runPeak = 0
  private lastFire = -Infinity
  private armed = true
  /** The event fired in the current excursion, until the probability drops below the threshold. */
  private open: ExcursionPeak | undefined
  private closed: ExcursionPeak[] = []
  /** The last smoothSteps probabilities (a ring indexed by step), when smoothing. */
  private recent: Float64Array

  constructor(readonly params: TriggerParams = COURSE_TRIGGER) {
    if (!(params.threshold > 0 && params.threshold < 1)) throw new RangeError(`threshold must be in (0, 1), got ${params.threshold}`)
    if (!(params.minSteps >= 1)) throw new RangeError(`minSteps must be >= 1, got ${params.minSteps}`)
    if (!(params.refractorySteps >= 0)) throw new RangeError(`refractorySteps must be >= 0, got ${params.refractorySteps}`)
    if (params.rearmRatio !== undefined && !(params.rearmRatio > 0 && params.rearmRatio <= 1)) throw new RangeError(`rearmRatio must be in (0, 1], got ${params.rearmRatio}`)
    if (params.smoothSteps !== undefined && !(Number.isInteger(params.smoothSteps) && params.smoothSteps >= 1)) throw new RangeError(`smoothSteps must be an integer >= 1, got ${params.smoothSteps}`)
    this.recent = new Float64Array(params.smoothSteps ?? 1)
  }

  /** Step `this.step`'s probability averaged over it and the steps before it (smoothSteps in all, fewer at the start). */
  private smoothed(p: number): number {
    const width = this.recent.length
    if (width === 1) return p
    this.recent[this.step % width] = p
    const count = Math.min(this.step + 1, width)
    let sum = 0
    for (let k = 0; k < count; k++) sum += this.recent[k]
    return sum / count
  }

  /** Feed the next steps' probabilities; returns the events they complete. */
  push(probabilities: ArrayLike<number>): TriggerEvent[] {
    const events: TriggerEvent[] = []
    const {threshold, minSteps, refractorySteps} = this.params
    const rearmAt = threshold * (this.params.rearmRatio ?? 1)
    for (let i = 0; i < probabilities.length; i++, this.step++) {
      const p = this.smoothed(probabilities[i])
      if (p > threshold) {
        this.run++
        this.runPeak = Math.max(this.runPeak, p)
        if (this.open) this.open.peak = Math.max(this.open.peak, p)
        if (this.armed && this.run >= minSteps && this.step - this.lastFire > refractorySteps) {
          events.push({step: this.step, score: this.runPeak})
          this.open = {step: this.step, peak: this.runPeak}
          this.lastFire = this.step
          this.armed = false
        }
      } else {
        this.run = 0
        this.runPeak = 0
        if (p <= rearmAt) this.armed = true
        if (this.open) this.closed.push(this.open)
        this.open = undefined
      }
    }
    return events
  }

  /**
   * The excursions that ended (fell back to the threshold) in the steps pushed
   * since the last call, each with the peak of the event that fired in it.
   * Events are never held back for this: a stream reports an event when it
   * fires, and its peak when the word is over.
   */
  takePeaks(): ExcursionPeak[] {
    const out = this.closed
    this.closed = []
    return out
  }

  /** End of the stream: also the excursion still above the threshold, if an event fired in it. */
  finishPeaks(): ExcursionPeak[] {
    if (this.open) this.closed.push(this.open)
    this.open = undefined
    return this.takePeaks()
  }

  /** Steps consumed so far. */
  get steps(): number {
    return this.step
  }

  reset(): void {
    this.step = 0
    this.run = 0
    this.runPeak = 0
    this.lastFire = -Infinity
    this.armed = true
    this.open = undefined
    this.closed = []
    this.recent.fill(0)
  }
}

/** All events of a whole probability sequence, each scored with the peak of its excursion. */
export function detectTriggers(probabilities: ArrayLike<number>, params: TriggerParams = COURSE_TRIGGER): TriggerEvent[] {
  const detector = new TriggerDetector(params)
  const events = detector.push(probabilities)
  const peaks = new Map(detector.finishPeaks().map((e) => [e.step, e.peak]))
  return events.map((e) => ({step: e.step, score: peaks.get(e.step) ?? e.score}))
}
