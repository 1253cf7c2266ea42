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
}

export const COURSE_TRIGGER: TriggerParams = {threshold: 0.5, minSteps: 1, refractorySteps: 75}

export interface TriggerEvent {
  /** Output step at which the event fired (counted from the start of the stream). */
  step: number
  /** Highest probability among the steps that made it fire. */
  score: number
}

export class TriggerDetector {
  private step = 0
  private run = 0
  private runPeak = 0
  private lastFire = -Infinity
  private armed = true

  constructor(readonly params: TriggerParams = COURSE_TRIGGER) {
    if (!(params.threshold > 0 && params.threshold < 1)) throw new RangeError(`threshold must be in (0, 1), got ${params.threshold}`)
    if (!(params.minSteps >= 1)) throw new RangeError(`minSteps must be >= 1, got ${params.minSteps}`)
    if (!(params.refractorySteps >= 0)) throw new RangeError(`refractorySteps must be >= 0, got ${params.refractorySteps}`)
  }

  /** Feed the next steps' probabilities; returns the events they complete. */
  push(probabilities: ArrayLike<number>): TriggerEvent[] {
    const events: TriggerEvent[] = []
    const {threshold, minSteps, refractorySteps} = this.params
    for (let i = 0; i < probabilities.length; i++, this.step++) {
      const p = probabilities[i]
      if (p > threshold) {
        this.run++
        this.runPeak = Math.max(this.runPeak, p)
        if (this.armed && this.run >= minSteps && this.step - this.lastFire > refractorySteps) {
          events.push({step: this.step, score: this.runPeak})
          this.lastFire = this.step
          this.armed = false
        }
      } else {
        this.run = 0
        this.runPeak = 0
        this.armed = true
      }
    }
    return events
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
  }
}

/** All events of a whole probability sequence. */
export function detectTriggers(probabilities: ArrayLike<number>, params: TriggerParams = COURSE_TRIGGER): TriggerEvent[] {
  return new TriggerDetector(params).push(probabilities)
}
