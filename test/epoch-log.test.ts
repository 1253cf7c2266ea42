import {describe, expect, it} from 'vitest'

import {type EpochLine, formatEpochLine} from '../src/train/epoch-log.js'

const base: EpochLine = {
  epoch: 3,
  epochs: 12,
  loss: 0.12345,
  valLoss: 0.2,
  threshold: 0.62,
  minSteps: 2,
  rule: 'fa-target',
  targetFaPerHour: 0.5,
  maxFrr: 0.05,
  missed: 3,
  triggers: 40,
  falseAccepts: 1,
  faPerHour: 4.88,
  nonTriggerHours: 12.3 / 60,
}

describe("train's line per epoch", () => {
  it('says the loss, the chosen threshold and why, then misses and false accepts per hour at it, in one line', () => {
    const line = formatEpochLine({...base, previousMinSteps: 2, extra: '2.31 ex/s'})
    expect(line).toBe(
      'epoch 3/12: loss 0.1235 (validation 0.2000); threshold 0.62, fires after 2 steps above it, chosen as the fewest misses within 0.5 false accepts/h: ' +
        'missed 3 of 40 triggers (7.5%), 1 false accept in 12.3 min (4.88/h); 2.31 ex/s',
    )
    expect(line).not.toMatch(/\n/)
  })

  it('counts in words: "1 false accept", "2 false accepts", "1 step"', () => {
    expect(formatEpochLine({...base, falseAccepts: 2})).toMatch(/2 false accepts in/)
    expect(formatEpochLine({...base, minSteps: 1})).toMatch(/fires after 1 step above it/)
  })

  it('says why the steps changed since the last validation', () => {
    expect(formatEpochLine({...base, previousMinSteps: 1})).toMatch(/fires after 2 steps above it \(was 1: 2 did better on this validation\)/)
  })

  it('names each rule the threshold can come from', () => {
    expect(formatEpochLine({...base, rule: 'frr-limit'})).toMatch(/chosen as none within 0.5 false accepts\/h missed <= 5.0%, so the highest threshold that does/)
    expect(formatEpochLine({...base, rule: 'default', threshold: 0.5})).toMatch(/threshold 0.5, .* chosen as no threshold missed <= 5.0%, so the default/)
  })
})
