import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {FuzzFailure} from '../bench/fuzz-common.mjs'
import {CODEC_TARGETS, codecTarget} from '../bench/fuzz-codecs.mjs'
import {SAMPLE_RATE, decodeAudio} from '../src/audio/read.js'
import {InputError, UserError} from '../src/util/errors.js'

/**
 * Hostile FLAC, Ogg Vorbis, Ogg Opus and MP3 input (issue 17). The generators
 * live in bench/fuzz-codecs.mjs so that bench/fuzz.mjs runs the same property
 * 10,000 times per reader; here 100 seeded cases per reader keep the suite
 * fast. FUZZ_RUNS overrides the count, FUZZ_SEED replays a failure.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 100)
const SEED = Number(process.env.FUZZ_SEED ?? 17)
const lib = {decodeAudio, InputError, UserError, SAMPLE_RATE}

describe('compressed-audio readers under hostile input', () => {
  for (const format of CODEC_TARGETS) {
    it(`${format}: decodes or rejects with one line naming the file, in bounded time and memory (${RUNS} random, truncated and mutated files)`, async () => {
      const target = codecTarget(format, lib)
      await fc.assert(
        fc.asyncProperty(target.arbitrary, async (c) => {
          await target.check(c)
        }),
        {numRuns: RUNS, seed: SEED},
      )
    }, 60_000 + RUNS * 50)
  }

  it('the property catches what it should (a reader that throws TypeError, or returns NaN, fails it)', async () => {
    const throwing = codecTarget('flac', {...lib, decodeAudio: async () => {
      throw new TypeError('oops')
    }})
    await expect(throwing.check({kind: 'magic', tail: new Uint8Array(4), mix: false})).rejects.toBeInstanceOf(FuzzFailure)
    const nan = codecTarget('mp3', {...lib, decodeAudio: async () => ({info: {frames: 1, channels: 1, sampleRate: SAMPLE_RATE}, samples: Float64Array.of(Number.NaN)})})
    await expect(nan.check({kind: 'magic', tail: new Uint8Array(4), mix: false})).rejects.toThrow(/sample 0 is NaN/)
  })
})
