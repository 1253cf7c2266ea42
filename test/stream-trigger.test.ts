import {describe, expect, it} from 'vitest'

import {COURSE_TRIGGER, TriggerDetector, detectTriggers} from '../src/stream/trigger.js'

/** A probability curve: zeros with given [start, length, value] bumps. */
function curve(length: number, bumps: Array<[number, number, number]>): Float32Array {
  const p = new Float32Array(length)
  for (const [start, n, v] of bumps) p.fill(v, start, start + n)
  return p
}

describe('trigger post-processing', () => {
  it('fires once at the first step above the threshold, with the course defaults', () => {
    expect(detectTriggers(curve(400, [[100, 50, 0.9]]))).toEqual([{step: 100, score: expect.closeTo(0.9, 6)}])
  })

  it('one long utterance fires once, even when it stays high past the refractory period', () => {
    expect(detectTriggers(curve(600, [[100, 300, 0.8]]))).toHaveLength(1)
  })

  it('a second word inside the refractory period is suppressed; one after it fires', () => {
    const p = curve(800, [
      [100, 20, 0.9],
      [150, 20, 0.9], // 50 steps after the first: within 75
      [300, 20, 0.9],
    ])
    expect(detectTriggers(p).map((e) => e.step)).toEqual([100, 300])
  })

  it('minSteps requires a run of consecutive steps above the threshold', () => {
    const p = curve(300, [
      [10, 2, 0.9],
      [100, 5, 0.9],
    ])
    expect(detectTriggers(p, {...COURSE_TRIGGER, minSteps: 3}).map((e) => e.step)).toEqual([102])
  })

  it('the threshold is strict, as in the course (p > 0.5)', () => {
    expect(detectTriggers(curve(100, [[10, 10, 0.5]]))).toEqual([])
  })

  it('gives the same events however the steps are split into chunks', () => {
    const p = curve(2000, [
      [5, 30, 0.7],
      [300, 100, 0.95],
      [420, 10, 0.6],
      [900, 3, 0.9],
      [1500, 60, 0.99],
    ])
    const whole = detectTriggers(p, {threshold: 0.5, minSteps: 2, refractorySteps: 75})
    const detector = new TriggerDetector({threshold: 0.5, minSteps: 2, refractorySteps: 75})
    const chunked = []
    for (let i = 0; i < p.length; i += 37) chunked.push(...detector.push(p.subarray(i, i + 37)))
    expect(chunked).toEqual(whole)
    expect(whole.length).toBeGreaterThan(2)
  })

  it('reset() forgets the refractory state', () => {
    const d = new TriggerDetector()
    d.push(curve(20, [[5, 10, 0.9]]))
    d.reset()
    expect(d.push(curve(20, [[5, 10, 0.9]]))).toEqual([{step: 5, score: expect.closeTo(0.9, 6)}])
  })

  it('detectTriggers scores an event with the peak of its excursion above the threshold, not the probability at firing time', () => {
    const p = Float32Array.from([0, 0.6, 0.7, 0.95, 0.8, 0.3, 0, 0.99, 0])
    // The second bump is a new excursion inside the refractory period: suppressed, and not part of the first word's peak.
    expect(detectTriggers(p)).toEqual([{step: 1, score: expect.closeTo(0.95, 6)}])
  })

  it('a stream reports the event when it fires (firing-time score) and its peak when the word is over, however it is chunked', () => {
    const p = Float32Array.from([0, 0.6, 0.7, 0.95, 0.8, 0.3, 0, 0, 0.55, 0.9, 0.97])
    for (const size of [1, 2, 4, p.length]) {
      const d = new TriggerDetector({threshold: 0.5, minSteps: 1, refractorySteps: 2})
      const events = []
      const peaks = []
      for (let i = 0; i < p.length; i += size) {
        events.push(...d.push(p.subarray(i, i + size)))
        peaks.push(...d.takePeaks())
      }
      expect(events).toEqual([{step: 1, score: expect.closeTo(0.6, 6)}, {step: 8, score: expect.closeTo(0.55, 6)}])
      expect(peaks).toEqual([{step: 1, peak: expect.closeTo(0.95, 6)}])
      // The second word is still above the threshold when the stream ends.
      expect(d.finishPeaks()).toEqual([{step: 8, peak: expect.closeTo(0.97, 6)}])
    }
  })

  it('rearmRatio: a word whose probability dips just under the threshold fires once; two words with a real fall between them fire twice', () => {
    const wobble = curve(600, [
      [100, 40, 0.3],
      [140, 10, 0.2], // dips under 0.25, not under half of it
      [150, 40, 0.3], // back above, 50 steps after firing: past a refractory of 38
    ])
    const trigger = {threshold: 0.25, minSteps: 1, refractorySteps: 38}
    expect(detectTriggers(wobble, trigger).map((e) => e.step)).toEqual([100, 150])
    expect(detectTriggers(wobble, {...trigger, rearmRatio: 0.5}).map((e) => e.step)).toEqual([100])
    const twoWords = curve(600, [
      [100, 40, 0.3],
      [150, 40, 0.3], // zeros between: the probability fell to 0
    ])
    expect(detectTriggers(twoWords, {...trigger, rearmRatio: 0.5}).map((e) => e.step)).toEqual([100, 150])
    // The same in a stream fed in chunks, and the excursion peaks still close at the threshold.
    const stream = new TriggerDetector({...trigger, rearmRatio: 0.5})
    const steps = [...stream.push(wobble.subarray(0, 145)), ...stream.push(wobble.subarray(145))].map((e) => e.step)
    expect(steps).toEqual([100])
    expect(stream.finishPeaks().map((e) => e.step)).toEqual([100])
  })

  it('smoothSteps: each step is averaged with the steps before it, so a lone spike does not fire and a held word does, however it is chunked', () => {
    const trigger = {threshold: 0.5, minSteps: 1, refractorySteps: 10, smoothSteps: 4}
    const p = new Float32Array(60)
    p[10] = 1 // a spike: 1/4 at most once averaged
    for (let t = 30; t < 36; t++) p[t] = 0.9 // a word: (0.9 + 0.9 + 0.9 + 0) / 4 = 0.675 at its third step
    expect(detectTriggers(p, trigger).map((e) => e.step)).toEqual([32])
    expect(detectTriggers(p, {...trigger, smoothSteps: 1}).map((e) => e.step)).toEqual([10, 30])
    // The peak of the excursion is the averaged one (0.9 once four steps are in).
    expect(detectTriggers(p, trigger)[0].score).toBeCloseTo(0.9, 6)
    // The first steps average what there is: a stream that starts high fires at once.
    expect(detectTriggers(new Float32Array([0.9, 0.9]), trigger).map((e) => e.step)).toEqual([0])
    for (const cut of [1, 11, 31, 33]) {
      const stream = new TriggerDetector(trigger)
      expect([...stream.push(p.subarray(0, cut)), ...stream.push(p.subarray(cut))].map((e) => e.step)).toEqual([32])
    }
    // reset() forgets the steps it was averaging.
    const stream = new TriggerDetector(trigger)
    stream.push(new Float32Array([0.9, 0.9, 0.9]))
    stream.reset()
    expect(stream.push(new Float32Array([0, 0.9, 0.9])).map((e) => e.step)).toEqual([2])
    expect(() => new TriggerDetector({...trigger, smoothSteps: 0})).toThrow(/smoothSteps/)
    expect(() => new TriggerDetector({...trigger, smoothSteps: 2.5})).toThrow(/smoothSteps/)
  })

  it('rejects nonsense parameters', () => {
    expect(() => new TriggerDetector({threshold: 1.5, minSteps: 1, refractorySteps: 0})).toThrow(/threshold/)
    expect(() => new TriggerDetector({threshold: 0.5, minSteps: 1, refractorySteps: 0, rearmRatio: 0})).toThrow(/rearmRatio/)
    expect(() => new TriggerDetector({threshold: 0.5, minSteps: 1, refractorySteps: 0, rearmRatio: 1.5})).toThrow(/rearmRatio/)
  })
})
