import {describe, expect, it} from 'vitest'

import {type ScoredAudio, detCurve, evaluateAt, matchEvents, nonTriggerSeconds, percentile, perStepAccuracy, pointForTargetFA} from '../src/metrics/events.js'
import {COURSE_TRIGGER} from '../src/stream/trigger.js'

const STEP = 10 / 1375

/** Probabilities of a 10 s clip (1375 steps) with bumps [startStep, length, value]. */
function clip(name: string, truthsSec: number[], bumps: Array<[number, number, number]>, durationSec = 10): ScoredAudio {
  const p = new Float32Array(Math.round(durationSec / STEP))
  for (const [s, n, v] of bumps) p.fill(v, s, s + n)
  return {name, probabilities: p, stepSec: STEP, durationSec, truthsSec}
}

describe('event matching', () => {
  it('pairs each trigger with the earliest detection in its window; the rest are misses and false accepts', () => {
    const m = matchEvents([1.2, 1.3, 5.0, 9.9], [1.0, 4.0, 7.0], {earlySec: 0.5, lateSec: 1.0})
    expect(m.hits.map((h) => [h.truthSec, h.detectionSec])).toEqual([
      [1.0, 1.2],
      [4.0, 5.0],
    ])
    expect(m.missedSec).toEqual([7.0])
    expect(m.falseAcceptSec).toEqual([1.3, 9.9])
    expect(m.hits[0].latencySec).toBeCloseTo(0.2, 9)
  })

  it('counts non-trigger time outside the (merged) windows', () => {
    expect(nonTriggerSeconds(clip('a', [2, 2.5], []), {earlySec: 0.5, lateSec: 1})).toBeCloseTo(10 - 2, 9)
    expect(nonTriggerSeconds(clip('b', [], []))).toBe(10)
  })
})

describe('evaluate agrees with a count by hand on a tiny set', () => {
  // Hand count at threshold 0.5 (course trigger):
  // a: triggers end at 2 s and 6 s; bumps at step 290 (2.11 s, 0.9) and step 1000 (7.28 s, 0.8):
  //    2 s hit; 6 s: 7.28 s is 1.28 s late -> miss, and a false accept.
  // b: no trigger; bump at step 500 (0.6) -> false accept; bump at step 900 (0.4) below threshold.
  // c: trigger ends at 5 s; bump at step 700 (5.10 s, 0.95) -> hit.
  // => triggers 3, missed 1, FA 2. Non-trigger time: a 10 - 3, b 10, c 10 - 1.5 = 25.5 s.
  const items = [
    clip('a', [2, 6], [
      [290, 30, 0.9],
      [1000, 30, 0.8],
    ]),
    clip('b', [], [
      [500, 30, 0.6],
      [900, 30, 0.4],
    ]),
    clip('c', [5], [[700, 30, 0.95]]),
  ]

  it('at the course threshold', () => {
    const p = evaluateAt(items, COURSE_TRIGGER)
    expect([p.triggers, p.missed, p.falseAccepts]).toEqual([3, 1, 2])
    expect(p.frr).toBeCloseTo(1 / 3, 9)
    expect(p.nonTriggerHours * 3600).toBeCloseTo(25.5, 6)
    expect(p.faPerHour).toBeCloseTo(2 / (25.5 / 3600), 6)
    expect(p.latenciesSec.map((l) => Number(l.toFixed(3)))).toEqual([Number(((291 * STEP) - 2).toFixed(3)), Number((701 * STEP - 5).toFixed(3))])
  })

  it('over thresholds: a higher threshold trades false accepts for misses', () => {
    const curve = detCurve(items, COURSE_TRIGGER, [0.3, 0.5, 0.7, 0.85, 0.92])
    expect(curve.map((p) => [p.missed, p.falseAccepts])).toEqual([
      [1, 3], // 0.3: the 0.4 bump fires too
      [1, 2],
      [1, 1], // 0.7: the 0.6 bump stops
      [1, 0], // 0.85: the late 0.8 bump stops
      [2, 0], // 0.92: the 0.9 hit is lost
    ])
    expect(pointForTargetFA(curve, 0)?.threshold).toBe(0.85)
    expect(pointForTargetFA(curve, 1000)?.threshold).toBe(0.3)
  })

  it('per-step accuracy and percentiles', () => {
    expect(perStepAccuracy([0.9, 0.2, 0.6, 0.1], [1, 0, 0, 1])).toBe(0.5)
    expect(percentile([3, 1, 2], 0.5)).toBe(2)
  })
})

describe('labels at another model stride', () => {
  it('maps the course labels onto fewer steps by time', async () => {
    const {labelsAtSteps} = await import('../src/metrics/evaluate-model.js')
    const labels = new Uint8Array(1375)
    labels.fill(1, 500, 550)
    const half = labelsAtSteps(labels, 688)
    expect(half.length).toBe(688)
    const ones = half.reduce((n, v) => n + v, 0)
    expect(ones).toBeGreaterThanOrEqual(24)
    expect(ones).toBeLessThanOrEqual(26)
    expect(half.indexOf(1)).toBe(Math.ceil((500 * 688) / 1375))
    expect(labelsAtSteps(labels, 1375)).toBe(labels)
  })
})
