import {describe, expect, it} from 'vitest'

import {deriveRng} from '../src/dataset/rng.js'
import {augmentChannel, changeSpeed, parseVoiceAugments, peakingFilter, reverberate} from '../src/dataset/voice-augment.js'

const RATE = 44_100
const tone = (hz: number, seconds: number) => Float64Array.from({length: Math.round(seconds * RATE)}, (_, i) => 1000 * Math.sin((2 * Math.PI * hz * i) / RATE))
const rms = (x: Float64Array, from = 0, to = x.length) => {
  let sum = 0
  for (let i = from; i < to; i++) sum += x[i] * x[i]
  return Math.sqrt(sum / (to - from))
}

describe('voice augmentation on audio (speech-embedding recipe)', () => {
  it('speed: a clip played 1.1x faster is 1/1.1 as long and its tone 1.1x higher', () => {
    const x = tone(500, 1)
    const fast = changeSpeed(x, 1.1, RATE)
    expect(Math.abs(fast.length - x.length / 1.1)).toBeLessThan(2)
    // Zero crossings count the frequency.
    const crossings = (s: Float64Array) => s.reduce((n, v, i) => n + (i > 0 && Math.sign(v) !== Math.sign(s[i - 1]) ? 1 : 0), 0) / (s.length / RATE)
    expect(crossings(fast) / crossings(x)).toBeCloseTo(1.1, 2)
  })

  it('eq: a peaking band raises a tone at its centre by its gain and leaves a far one alone', () => {
    const near = tone(1000, 0.5)
    peakingFilter(near, 1000, 6, 1, RATE)
    expect(20 * Math.log10(rms(near, RATE / 10) / rms(tone(1000, 0.5), RATE / 10))).toBeCloseTo(6, 0)
    const far = tone(8000, 0.5)
    peakingFilter(far, 200, 6, 1, RATE)
    expect(Math.abs(20 * Math.log10(rms(far, RATE / 10) / rms(tone(8000, 0.5), RATE / 10)))).toBeLessThan(0.3)
  })

  it('reverb: sound goes on after the source stops, at the asked wet energy, and the direct sound stays', () => {
    const x = new Float64Array(RATE)
    x.set(tone(300, 0.3))
    const room = reverberate(x, 0.5, 0.5, RATE)
    expect(room.length).toBe(x.length)
    expect(rms(room, Math.round(0.35 * RATE), Math.round(0.5 * RATE))).toBeGreaterThan(10)
    const tail = room.map((v, i) => v - x[i])
    expect(rms(tail) ** 2 / rms(x) ** 2).toBeCloseTo(0.5, 2)
    // Deterministic: the same room twice.
    expect(Array.from(reverberate(x, 0.5, 0.5, RATE).subarray(20_000, 20_010))).toEqual(Array.from(room.subarray(20_000, 20_010)))
  })

  it('applies each lever about half the time, from its own generator, and names the levers it knows', () => {
    const x = tone(700, 0.2)
    let changed = 0
    for (let seed = 0; seed < 40; seed++) if (augmentChannel(Float64Array.from(x), deriveRng('aug', seed), RATE, ['reverb']).some((v, i) => v !== x[i])) changed++
    expect(changed).toBeGreaterThan(10)
    expect(changed).toBeLessThan(30)
    expect(parseVoiceAugments('all')).toEqual(['speed', 'eq', 'reverb'])
    expect(parseVoiceAugments('none')).toEqual([])
    expect(() => parseVoiceAugments('speed,warp')).toThrow(/unknown augment "warp"/)
  })
})
