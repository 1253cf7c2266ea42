import {describe, expect, it} from 'vitest'

import {decodeWav, encodeWav16} from '../src/audio/index.js'
import {
  COURSE_PARAMS,
  type Clip,
  type SynthSources,
  deriveRng,
  endMsOf,
  exampleRng,
  labelRuns,
  labelsFromEnds,
  normalize,
  outputSteps,
  synthesizeExample,
} from '../src/dataset/index.js'

const RATE = 44_100

function clip(word: string, source: string, samples: Float64Array): Clip {
  let sum = 0
  for (const v of samples) sum += v * v
  return {word, source, samples, rms: Math.sqrt(sum / samples.length)}
}

function tone(seconds: number, hz: number, amplitude: number): Float64Array {
  const x = new Float64Array(Math.round(seconds * RATE))
  for (let i = 0; i < x.length; i++) x[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / RATE)
  return x
}

function noise(seconds: number, amplitude: number, key: number): Float64Array {
  const rng = deriveRng('test-noise', key)
  return Float64Array.from({length: Math.round(seconds * RATE)}, () => (rng.next() - 0.5) * 2 * amplitude)
}

const SOURCES: SynthSources = {
  trigger: 'activate',
  triggers: [clip('activate', 'activates/a.wav', tone(0.5, 880, 10_000)), clip('activate', 'activates/b.wav', tone(0.8, 660, 20_000))],
  negatives: [clip('<other>', 'negatives/n.wav', tone(0.6, 300, 8000))],
  backgrounds: [clip('', 'backgrounds/bg.wav', noise(10, 1000, 1))],
}

describe('course geometry', () => {
  it('derives Ty = 1375 from the spectrogram of 10 s and the model conv, and puts 50 ones after a trigger end', () => {
    expect(outputSteps(10_000)).toBe(1375)
    // end_ms 5000 -> int(5000 * 1375 / 10000) = 687 -> ones at 688..737
    expect(labelRuns(labelsFromEnds([5000], COURSE_PARAMS))).toEqual([[688, 738]])
    // Near the end the run is clipped at Ty.
    expect(labelRuns(labelsFromEnds([9990], COURSE_PARAMS))).toEqual([[1374, 1375]])
    // Two close triggers make one merged run.
    expect(labelRuns(labelsFromEnds([1000, 1200], COURSE_PARAMS))).toEqual([[138, 216]])
    // The millisecond of the last sample: a clip ending (exclusively) at sample 441 ends in ms 9.
    expect(endMsOf(441, RATE)).toBe(9)
    expect(endMsOf(442, RATE)).toBe(10)
  })
})

describe('synthesizeExample', () => {
  it('is a pure function of the sources, the generator key and the params', () => {
    const a = synthesizeExample(SOURCES, exampleRng(5, 9))
    const b = synthesizeExample(SOURCES, exampleRng(5, 9))
    const c = synthesizeExample(SOURCES, exampleRng(5, 10))
    expect(Buffer.from(a.audio.buffer).equals(Buffer.from(b.audio.buffer))).toBe(true)
    expect(a.record).toEqual(b.record)
    expect(Buffer.from(a.audio.buffer).equals(Buffer.from(c.audio.buffer))).toBe(false)
  })

  it('places clips where the record says: the mix minus the background is the clip there', () => {
    // A silent background makes the inserted clips the whole signal.
    const silentBg: SynthSources = {...SOURCES, backgrounds: [clip('', 'backgrounds/quiet.wav', noise(10, 1e-9, 2))]}
    for (let i = 0; i < 20; i++) {
      const {audio, record, labels} = synthesizeExample(silentBg, exampleRng(1, i))
      expect(record.dbfs === null || Math.abs(record.dbfs + 20) < 0.1).toBe(true)
      expect(labelRuns(labels)).toEqual(record.labelRuns)
      let inside = 0
      let outside = 0
      const covered = new Uint8Array(audio.length)
      for (const c of record.clips) covered.fill(1, c.start, c.end)
      for (let k = 0; k < audio.length; k++) {
        if (covered[k]) inside += audio[k] * audio[k]
        else outside += audio[k] * audio[k]
      }
      if (record.clips.length > 0) expect(outside).toBeLessThan(1e-6 * inside + audio.length)
    }
  })

  it('draws 0..4 triggers and 0..2 negatives and records what did not fit', () => {
    const counts = new Set<number>()
    for (let i = 0; i < 100; i++) {
      const {record} = synthesizeExample(SOURCES, exampleRng(2, i))
      const triggers = record.clips.filter((c) => c.trigger).length
      counts.add(triggers)
      expect(triggers).toBeLessThanOrEqual(4)
      expect(record.clips.length - triggers).toBeLessThanOrEqual(2)
      expect(record.background).toEqual({source: 'backgrounds/bg.wav', start: 0, looped: false, gainDb: -20})
    }
    expect([...counts].sort()).toEqual([0, 1, 2, 3, 4])
    // With clips of 9 s there is room for one at most: the rest are skipped after 7 tries each.
    const crowded: SynthSources = {...SOURCES, triggers: [clip('activate', 'activates/long.wav', tone(9, 440, 5000))]}
    const skippedSome = Array.from({length: 30}, (_, i) => synthesizeExample(crowded, exampleRng(3, i)).record).find((r) => r.skipped.length > 0)
    expect(skippedSome).toBeDefined()
    expect(skippedSome!.clips.length).toBe(1)
  })

  it('loops a background shorter than the example from a random point', () => {
    const short: SynthSources = {...SOURCES, backgrounds: [clip('', 'backgrounds/short.wav', noise(1, 3000, 3))]}
    const starts = new Set<number>()
    for (let i = 0; i < 10; i++) {
      const {record} = synthesizeExample(short, exampleRng(4, i), {...COURSE_PARAMS, maxTriggers: 0, maxNegatives: 0})
      expect(record.background.looped).toBe(true)
      expect(record.background.start).toBeLessThan(RATE)
      starts.add(record.background.start)
    }
    expect(starts.size).toBe(10)
  })

  it('applies --speed by resampling and --snr relative to the background window', () => {
    const params = {...COURSE_PARAMS, speed: [0.8, 1.25] as [number, number], snrDb: [6, 6] as [number, number], maxTriggers: 1, maxNegatives: 0}
    let seen = 0
    for (let i = 0; i < 20; i++) {
      const {record} = synthesizeExample(SOURCES, exampleRng(6, i), params)
      for (const c of record.clips) {
        seen++
        const original = SOURCES.triggers.find((t) => t.source === c.source)!
        expect(Math.abs(c.end - c.start - original.samples.length / c.speed)).toBeLessThanOrEqual(1)
        // Background rms after -20 dB is ~57.7 (uniform noise of amplitude 1000); the tone's rms is amplitude / sqrt(2).
        const expectedDb = 6 - 20 * Math.log10(original.rms / (1000 / Math.sqrt(3) / 10))
        expect(Math.abs(c.gainDb - expectedDb)).toBeLessThan(0.2)
      }
    }
    expect(seen).toBeGreaterThan(5)
  })
})

describe('normalize', () => {
  it('reaches the target level exactly, and still does when the gain saturates peaks', () => {
    const quiet = noise(1, 100, 7)
    expect(Math.abs(normalize(quiet, -20).dbfs! + 20)).toBeLessThan(0.001)
    // Sparse clicks in near-silence: plain gain would saturate them and leave the result far below -20 dBFS.
    const spiky = noise(1, 1, 8)
    for (let i = 0; i < spiky.length; i += 2000) spiky[i] = 30_000
    const r = normalize(spiky, -20)
    expect(Math.abs(r.dbfs! + 20)).toBeLessThan(0.01)
    expect(r.audio.some((v) => v === 32767)).toBe(true)
    expect(normalize(new Float64Array(10), -20)).toMatchObject({gainDb: 0, dbfs: null})
  })
})

describe('encodeWav16', () => {
  it('writes a canonical 44-byte-header PCM16 WAV that reads back exactly', () => {
    const x = Int16Array.from([0, 1, -1, 32767, -32768, 1234, -4321])
    const bytes = encodeWav16(x, RATE)
    expect(bytes.length).toBe(44 + 2 * x.length)
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('RIFF')
    expect(Array.from(decodeWav(bytes, 'x.wav').samples)).toEqual(Array.from(x))
  })

  it('saturates and rounds int16-unit floats', () => {
    const bytes = encodeWav16([40_000, -40_000, 1.6, -1.6])
    expect(Array.from(decodeWav(bytes, 'x.wav').samples)).toEqual([32767, -32768, 2, -2])
  })
})

describe('rng', () => {
  it('is reproducible per key, unrelated across keys, and uniform enough', () => {
    const a = deriveRng('k', 1)
    const b = deriveRng('k', 1)
    const c = deriveRng('k', 2)
    const xs = Array.from({length: 10_000}, () => a.next())
    expect(Array.from({length: 10_000}, () => b.next())).toEqual(xs)
    expect(c.next()).not.toBe(xs[0])
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01)
    expect(xs.every((v) => v >= 0 && v < 1)).toBe(true)
    const hist = new Array(5).fill(0)
    for (let i = 0; i < 5000; i++) hist[a.int(5)]++
    expect(Math.min(...hist)).toBeGreaterThan(900)
    expect(Math.max(...hist)).toBeLessThan(1100)
  })
})
