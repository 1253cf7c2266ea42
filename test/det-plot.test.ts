import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {detEnvelope, drawDetCurve} from '../src/plot/det-plot.js'

describe('the DET curve is a monotone staircase', () => {
  it("a weak model's zig-zag (misses rise and fall as false accepts grow) becomes its lower envelope", () => {
    const points = [
      {threshold: 0.9, frr: 0.9, faPerHour: 0},
      {threshold: 0.8, frr: 0.95, faPerHour: 2},
      {threshold: 0.7, frr: 0.6, faPerHour: 5},
      {threshold: 0.6, frr: 0.7, faPerHour: 8},
      {threshold: 0.5, frr: 0.6, faPerHour: 9},
      {threshold: 0.4, frr: 0.3, faPerHour: 40},
    ]
    expect(detEnvelope(points).map((p) => p.threshold)).toEqual([0.9, 0.7, 0.4])
  })

  it('for any points: false accepts rise and misses fall along it, and no point lies below it', () => {
    const point = fc.record({threshold: fc.double({min: 0, max: 1, noNaN: true}), frr: fc.double({min: 0, max: 1, noNaN: true}), faPerHour: fc.double({min: 0, max: 1000, noNaN: true})})
    fc.assert(
      fc.property(fc.array(point, {minLength: 1, maxLength: 40}), (points) => {
        const front = detEnvelope(points)
        for (let i = 1; i < front.length; i++) {
          expect(front[i].faPerHour).toBeGreaterThanOrEqual(front[i - 1].faPerHour)
          expect(front[i].frr).toBeLessThan(front[i - 1].frr)
        }
        // Every point is matched or beaten by an envelope point with no more false accepts.
        for (const p of points) expect(front.some((f) => f.faPerHour <= p.faPerHour && f.frr <= p.frr)).toBe(true)
      }),
    )
  })

  it('draws a PNG', () => {
    const png = drawDetCurve([{threshold: 0.5, frr: 0.2, faPerHour: 1}], {operating: {threshold: 0.5, frr: 0.2, faPerHour: 1}, targetFaPerHour: 0.5}).toPng()
    expect(Buffer.from(png).subarray(1, 4).toString()).toBe('PNG')
  })
})
