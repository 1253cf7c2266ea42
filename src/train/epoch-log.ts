/**
 * The one line `train` prints per validated epoch, for a newcomer: the loss,
 * then what the run now uses as its trigger (threshold, steps above it, and
 * why those were chosen), then how that does on validation: missed triggers
 * and false accepts per hour.
 */

export type ThresholdRule = 'fa-target' | 'frr-limit' | 'default'

export interface EpochLine {
  epoch: number
  epochs: number
  loss: number
  valLoss: number
  threshold: number
  minSteps: number
  /** The previous validation's steps, to say why the number changed. */
  previousMinSteps?: number
  rule: ThresholdRule
  targetFaPerHour: number
  maxFrr: number
  missed: number
  triggers: number
  falseAccepts: number
  faPerHour: number
  nonTriggerHours: number
  /** Anything else to append (speed, CTC loss, WER), already worded. */
  extra?: string
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** Why this threshold: the rule of validate.ts's chooseThreshold, in words. */
export function ruleText(rule: ThresholdRule, targetFaPerHour: number, maxFrr: number): string {
  if (rule === 'fa-target') return `the fewest misses within ${targetFaPerHour} false accepts/h`
  if (rule === 'frr-limit') return `none within ${targetFaPerHour} false accepts/h missed <= ${pct(maxFrr)}, so the highest threshold that does`
  return `no threshold missed <= ${pct(maxFrr)}, so the default`
}

function stepsText(minSteps: number, previous: number | undefined): string {
  const steps = `fires after ${plural(minSteps, 'step')} above it`
  if (previous === undefined || previous === minSteps) return steps
  return `${steps} (was ${previous}: ${minSteps} did better on this validation)`
}

export function formatEpochLine(e: EpochLine): string {
  const minutes = e.nonTriggerHours * 60
  const missed = e.triggers > 0 ? `missed ${e.missed} of ${e.triggers} triggers (${pct(e.missed / e.triggers)})` : 'no triggers to miss'
  return (
    `epoch ${e.epoch}/${e.epochs}: loss ${e.loss.toFixed(4)} (validation ${e.valLoss.toFixed(4)}); ` +
    `threshold ${e.threshold}, ${stepsText(e.minSteps, e.previousMinSteps)}, chosen as ${ruleText(e.rule, e.targetFaPerHour, e.maxFrr)}: ` +
    `${missed}, ${plural(e.falseAccepts, 'false accept')} in ${minutes.toFixed(1)} min (${e.faPerHour.toFixed(2)}/h)` +
    (e.extra ? `; ${e.extra}` : '')
  )
}
