import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {FuzzFailure, bounded} from '../bench/fuzz-common.mjs'
import {buildWav, wavTarget} from '../bench/fuzz-wav.mjs'
import {SAMPLE_RATE, decodeWav} from '../src/audio/read.js'
import {InputError, UserError} from '../src/util/errors.js'

/**
 * Hostile WAV input (issue 8). The generators live in bench/fuzz-wav.mjs so
 * that bench/fuzz.mjs runs the same property 10,000+ times; here a few hundred
 * cases keep the suite fast. FUZZ_RUNS overrides the count, FUZZ_SEED replays
 * a failure.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400)
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)
const target = wavTarget({decodeWav, InputError, UserError, SAMPLE_RATE})

describe('WAV reader under hostile input', () => {
  it(`decodes or rejects with one line naming the file, in bounded time and memory (${RUNS} random and mutated WAVs)`, async () => {
    await fc.assert(
      fc.asyncProperty(target.arbitrary, async (c) => {
        await target.check(c)
      }),
      {numRuns: RUNS, seed: SEED},
    )
  }, 60_000 + RUNS * 20)

  /** A 16-bit mono WAV of `frames` samples at `rate` whose header fields can then be overwritten. */
  function header(rate = 44_100, frames = 100) {
    const spec = {layout: {tag: 1, bits: 16}, extensible: false, channels: 1, rate, frames, before: [], between: [], after: [], streaming: false, seed: 1}
    return buildWav(spec)
  }

  function rejection(bytes: Uint8Array): string {
    try {
      decodeWav(bytes, 'big.wav')
    } catch (error) {
      expect(error).toBeInstanceOf(InputError)
      return (error as Error).message
    }
    throw new Error('expected the WAV to be rejected')
  }

  it('a data chunk claiming 4 GB in a 244-byte file is rejected as truncated before anything is allocated', async () => {
    const {bytes, fields} = header()
    new DataView(bytes.buffer).setUint32(fields.dataSize, 0xfffffffe, true)
    const message = await bounded(() => rejection(bytes), {ms: 100, rssMB: 20, what: '4 GB data chunk'})
    expect(message).toBe('Cannot read big.wav: truncated data chunk (expected 4294967294 bytes, found 200)')
  })

  it('a streaming-size data chunk (0xFFFFFFFF) reads only the bytes that are there', async () => {
    const {bytes, fields} = header()
    new DataView(bytes.buffer).setUint32(fields.dataSize, 0xffffffff, true)
    const audio = await bounded(() => decodeWav(bytes, 'pipe.wav'), {ms: 100, rssMB: 20, what: 'streaming size'})
    expect(audio.info.frames).toBe(100)
  })

  it('a sample rate far outside audio (1 Hz, 4 GHz) is rejected instead of resampling to gigabytes', async () => {
    // Before the fix a 244-byte file at 4294967295 Hz built a 9 GB resampling
    // kernel (75 s), and 1 kB at 1 Hz became 44 million samples (12 s).
    for (const rate of [1, 999, 1_000_001, 0xffffffff]) {
      const {bytes} = header(rate)
      const message = await bounded(() => rejection(bytes), {ms: 100, rssMB: 20, what: `${rate} Hz`})
      expect(message).toMatch(new RegExp(`^Cannot read big\\.wav: unsupported sample rate ${rate} Hz \\(rnn-wake reads 1000 to 1000000 Hz\\)$`))
    }
    for (const rate of [1000, 8000, 192_000, 1_000_000]) {
      const audio = await bounded(() => decodeWav(header(rate).bytes, 'ok.wav'), {ms: 1000, rssMB: 50, what: `${rate} Hz`})
      expect(audio.samples.length).toBe(Math.ceil((100 * SAMPLE_RATE) / rate))
    }
  })

  it('float samples far beyond full scale are refused (1e300 squared is Infinity in the spectrogram)', async () => {
    const spec = {layout: {tag: 3, bits: 64}, extensible: false, channels: 1, rate: 16_000, frames: 50, before: [], between: [], after: [], streaming: false, seed: 1}
    const {bytes, fields} = buildWav(spec)
    new DataView(bytes.buffer).setFloat64(fields.data + 8 * 7, 1e300, true)
    expect(rejection(bytes)).toBe('Cannot read big.wav: sample 7 is 1.00e+300 times full scale (float samples lie near -1..1; the file is corrupt)')
  })

  it('the property catches what it should (a reader that throws TypeError fails it)', async () => {
    const broken = wavTarget({decodeWav: () => {
      throw new TypeError('oops')
    }, InputError, UserError, SAMPLE_RATE})
    await expect(broken.check({kind: 'random', bytes: new Uint8Array(4)})).rejects.toBeInstanceOf(FuzzFailure)
  })
})
