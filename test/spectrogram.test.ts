import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {readAudio} from '../src/audio/read.js'
import {SpectrogramFramer, frameCount, spectrogram} from '../src/features/index.js'
import {decodeNpy} from '../src/util/npy.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/spectrogram/', import.meta.url))
const SHARED = fileURLToPath(new URL('../../shared/vectors/spectrogram/', import.meta.url))

/** max |a - b| / max |b| against matplotlib's (bins x frames) matrix. */
async function relativeErrorAgainstMatplotlib(wav: string, npy: string): Promise<{error: number; frames: number}> {
  const audio = await readAudio(wav)
  const spec = spectrogram(audio.samples)
  const ref = decodeNpy(new Uint8Array(readFileSync(npy)))
  const [bins, frames] = ref.shape
  expect([spec.bins, spec.frames]).toEqual([bins, frames])
  let maxDiff = 0
  let maxRef = 0
  for (let k = 0; k < bins; k++) {
    for (let f = 0; f < frames; f++) {
      const b = ref.data[k * frames + f]
      maxDiff = Math.max(maxDiff, Math.abs(spec.data[f * bins + k] - b))
      maxRef = Math.max(maxRef, Math.abs(b))
    }
  }
  return {error: maxDiff / maxRef, frames}
}

describe('spectrogram matches matplotlib specgram(NFFT=200, Fs=8000, noverlap=120)', () => {
  for (const [name, frames] of [
    ['tone_chirp_1s', 549],
    ['stereo_odd', 152],
    ['short_150', 1],
  ] as const) {
    it(`on ${name}`, async () => {
      const r = await relativeErrorAgainstMatplotlib(`${FIXTURES}${name}.wav`, `${FIXTURES}${name}.npy`)
      expect(r.frames).toBe(frames)
      expect(r.error).toBeLessThan(1e-6)
    })
  }

  it.skipIf(!existsSync(`${SHARED}example_train_10s.wav`))('on the 10 s course clip (../shared)', async () => {
    const r = await relativeErrorAgainstMatplotlib(`${SHARED}example_train_10s.wav`, `${SHARED}example_train_10s.npy`)
    expect(r.frames).toBe(5511)
    expect(r.error).toBeLessThan(1e-6)
  })
})

describe('spectrogram shape', () => {
  it('a 10 s clip at 44.1 kHz gives exactly 5511 x 101', () => {
    const spec = spectrogram(new Float64Array(441_000))
    expect([spec.frames, spec.bins]).toEqual([5511, 101])
  })

  it('a signal shorter than one segment is zero-padded to one frame, as matplotlib does', () => {
    expect(frameCount(1)).toBe(1)
    expect(frameCount(199)).toBe(1)
    expect(frameCount(200)).toBe(1)
    expect(frameCount(279)).toBe(1)
    expect(frameCount(280)).toBe(2)
    expect(frameCount(0)).toBe(0)
  })

  it('a pure tone peaks in the bin of its frequency', () => {
    const x = new Float64Array(44_100).map((_, i) => 10_000 * Math.sin((2 * Math.PI * 2205 * i) / 44_100))
    const spec = spectrogram(x)
    const row = spec.data.subarray(100 * 101, 101 * 101)
    expect(row.indexOf(Math.max(...row))).toBe(10) // 2205 Hz / 220.5 Hz per bin
  })
})

/** A small deterministic PRNG so the random chunkings are reproducible. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}

describe('streaming framer', () => {
  const random = mulberry32(7)
  const signal = new Float64Array(3 * 44_100 + 37).map(() => Math.round((random() - 0.5) * 20_000))
  const batch = spectrogram(signal)

  function streamed(chunkSize: () => number, x: Float64Array): Float64Array {
    const framer = new SpectrogramFramer()
    const parts: Float64Array[] = []
    for (let pos = 0; pos < x.length; ) {
      const n = Math.min(x.length - pos, chunkSize())
      parts.push(framer.push(x.subarray(pos, pos + n)).data)
      pos += n
    }
    parts.push(framer.flush().data)
    const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0))
    let at = 0
    for (const p of parts) {
      out.set(p, at)
      at += p.length
    }
    return out
  }

  for (const [label, size] of [
    ['1 sample', () => 1],
    ['79 samples', () => 79],
    ['1 s', () => 44_100],
    ['random sizes from 1 sample to 1 s', () => 1 + Math.floor(random() ** 3 * 44_100)],
  ] as const) {
    it(`equals the batch function bit for bit with chunks of ${label}`, () => {
      const out = streamed(size, signal)
      expect(out.length).toBe(batch.data.length)
      expect(sameBits(out, batch.data)).toBe(true)
    })
  }

  it('gives the zero-padded frame of a short signal on flush', () => {
    const short = signal.subarray(0, 150)
    expect(Array.from(streamed(() => 40, short))).toEqual(Array.from(spectrogram(short).data))
  })

  it('starts over after reset()', () => {
    const framer = new SpectrogramFramer()
    framer.push(signal.subarray(0, 1000))
    framer.reset()
    const again = framer.push(signal.subarray(0, 44_100))
    expect(sameBits(again.data, spectrogram(signal.subarray(0, 44_100)).data)).toBe(true)
  })
})
