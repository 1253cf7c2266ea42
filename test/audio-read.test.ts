import {describe, expect, it} from 'vitest'

import {SAMPLE_RATE, decodeWav} from '../src/audio/read.js'
import {StreamingResampler, resample} from '../src/audio/resample.js'
import {InputError} from '../src/util/errors.js'
import {buildWav, encodeSamples} from './helpers/wav.js'

const ramp = (n: number, scale = 100) => Array.from({length: n}, (_, i) => ((i * scale) % 60_000) - 30_000)

describe('WAV ingestion: every PCM and float layout lands in int16 units at 44.1 kHz', () => {
  const left = [0, 1000, -2000, 32_000, -32_768, 256, -256, 12_544]
  const right = left.map((v) => -v / 2)
  for (const [bits, float, tolerance] of [
    [8, false, 128],
    [16, false, 0],
    [24, false, 1 / 256],
    [32, false, 1 / 65536],
    [32, true, 1e-3],
    [64, true, 1e-9],
  ] as const) {
    it(`${bits}-bit ${float ? 'float' : 'integer'}, stereo, channel 0 by default`, () => {
      const bytes = buildWav({formatTag: float ? 3 : 1, channels: 2, sampleRate: SAMPLE_RATE, bitsPerSample: bits, data: encodeSamples([left, right], bits, float)})
      const audio = decodeWav(bytes, 'x.wav')
      expect(audio.info).toMatchObject({channels: 2, sampleRate: SAMPLE_RATE, bitsPerSample: bits, encoding: float ? 'float' : 'int', frames: left.length})
      for (let i = 0; i < left.length; i++) expect(Math.abs(audio.samples[i] - left[i])).toBeLessThanOrEqual(tolerance)
    })
  }

  it('--mix averages the channels', () => {
    const bytes = buildWav({channels: 2, sampleRate: SAMPLE_RATE, bitsPerSample: 16, data: encodeSamples([left, right], 16)})
    const audio = decodeWav(bytes, 'x.wav', {mix: true})
    expect(Array.from(audio.samples)).toEqual(left.map((v, i) => (v + right[i]) / 2))
  })

  it('WAVE_FORMAT_EXTENSIBLE with float and integer sub-formats, 6 channels', () => {
    const chans = Array.from({length: 6}, (_, c) => left.map((v) => v / (c + 1)))
    const asFloat = decodeWav(buildWav({channels: 6, sampleRate: SAMPLE_RATE, bitsPerSample: 32, extensibleSubformat: 3, data: encodeSamples(chans, 32, true)}), 'f.wav')
    const asInt = decodeWav(buildWav({channels: 6, sampleRate: SAMPLE_RATE, bitsPerSample: 24, extensibleSubformat: 1, data: encodeSamples(chans, 24)}), 'i.wav')
    for (let i = 0; i < left.length; i++) {
      expect(asFloat.samples[i]).toBeCloseTo(left[i], 2)
      expect(asInt.samples[i]).toBeCloseTo(left[i], 2)
    }
    expect(asFloat.info.encoding).toBe('float')
  })

  it('skips unknown chunks (LIST) between fmt and data, including odd-sized ones', () => {
    const bytes = buildWav({channels: 1, sampleRate: SAMPLE_RATE, bitsPerSample: 16, data: encodeSamples([left], 16), extraChunks: [{id: 'LIST', body: new Uint8Array(7)}]})
    expect(Array.from(decodeWav(bytes, 'x.wav').samples)).toEqual(left)
  })

  it('resamples other rates to 44.1 kHz, keeping the duration', () => {
    const tone = Array.from({length: 16_000}, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16_000)))
    const audio = decodeWav(buildWav({channels: 1, sampleRate: 16_000, bitsPerSample: 16, data: encodeSamples([tone], 16)}), 't.wav')
    expect(audio.info.sampleRate).toBe(16_000)
    expect(audio.info.durationSec).toBe(1)
    expect(audio.samples.length).toBe(44_100)
  })

  it('accepts a streaming header (data size 0xFFFFFFFF) and reads to the end of the file', () => {
    const bytes = buildWav({channels: 1, sampleRate: SAMPLE_RATE, bitsPerSample: 16, data: encodeSamples([left], 16), declaredDataSize: 0xffffffff})
    expect(decodeWav(bytes, 'pipe.wav').info.frames).toBe(left.length)
  })

  it('reads a data chunk whose header says size 0 (a streaming recorder never patched it) to the end of the file', () => {
    const bytes = buildWav({channels: 1, sampleRate: SAMPLE_RATE, bitsPerSample: 16, data: encodeSamples([left], 16), declaredDataSize: 0})
    expect(Array.from(decodeWav(bytes, 'recorder.wav').samples)).toEqual(left)
  })
})

describe('resampling is band-limited and accurate', () => {
  const tone = (f: number, rate: number, n: number) => Float64Array.from({length: n}, (_, i) => 10_000 * Math.sin((2 * Math.PI * f * i) / rate))
  const rms = (x: Float64Array, from = 3000, to = x.length - 3000) => {
    let s = 0
    for (let i = from; i < to; i++) s += x[i] * x[i]
    return Math.sqrt(s / (to - from))
  }

  it('a 1 kHz tone upsampled 16 kHz -> 44.1 kHz equals the tone sampled at 44.1 kHz (1e-3)', () => {
    const y = resample(tone(1000, 16_000, 16_000), 16_000, 44_100)
    const ref = tone(1000, 44_100, y.length)
    const err = y.map((v, i) => v - ref[i])
    expect(rms(err) / rms(ref)).toBeLessThan(1e-3)
  })

  it('a 23 kHz tone at 48 kHz (above the new Nyquist) is removed, not aliased (> 60 dB down)', () => {
    const y = resample(tone(23_000, 48_000, 48_000), 48_000, 44_100)
    expect(20 * Math.log10(rms(y) / (10_000 / Math.SQRT2))).toBeLessThan(-60)
  })

  it('a 5 kHz tone passes 48 kHz -> 44.1 kHz unchanged in level (0.1 dB)', () => {
    const y = resample(tone(5000, 48_000, 48_000), 48_000, 44_100)
    expect(Math.abs(20 * Math.log10(rms(y) / (10_000 / Math.SQRT2)))).toBeLessThan(0.1)
  })

  it('with a band (3.8 kHz, 44.1 -> 16 kHz) the band passes flat (0.01 dB) and what would fold into it is stopped (> 75 dB down)', () => {
    const band = {band: 3800}
    for (const f of [300, 1000, 3800]) {
      const y = resample(tone(f, 44_100, 44_100), 44_100, 16_000, band)
      expect(Math.abs(20 * Math.log10(rms(y, 1000, y.length - 1000) / (10_000 / Math.SQRT2))), `${f} Hz`).toBeLessThan(0.01)
    }
    // 12.3 and 19 kHz fold to 3.7 and 3 kHz at 16 kHz; 6 kHz is outside the band and may pass.
    for (const f of [12_300, 19_000]) {
      const y = resample(tone(f, 44_100, 44_100), 44_100, 16_000, band)
      expect(20 * Math.log10(rms(y, 1000, y.length - 1000) / (10_000 / Math.SQRT2)), `${f} Hz`).toBeLessThan(-75)
    }
  })

  it('the streaming resampler, with or without a band, gives the offline one\'s samples whatever the chunking (1e-6)', () => {
    const x = Float64Array.from({length: 30_000}, (_, i) => Math.sin(i * 0.05) * 1000 + ((i * 7919) % 13))
    for (const [from, to, options] of [[44_100, 16_000, {}], [44_100, 16_000, {band: 3800}], [48_000, 16_000, {band: 3800}], [16_000, 44_100, {}]] as const) {
      const offline = resample(x, from, to, options)
      for (const size of [1, 777, 4410]) {
        const stream = new StreamingResampler(from, to, options)
        const parts: number[] = []
        for (let at = 0; at < x.length; at += size) for (const v of stream.push(x.subarray(at, at + size))) parts.push(v)
        expect(parts.length).toBeGreaterThan(offline.length - 80)
        let worst = 0
        for (let i = 0; i < parts.length; i++) worst = Math.max(worst, Math.abs(parts[i] - offline[i]))
        expect(worst, `${from} -> ${to} ${JSON.stringify(options)} in ${size}s`).toBeLessThan(1e-6)
      }
    }
  })
})

describe('bad WAV input gives a one-line error naming the file', () => {
  const good = buildWav({channels: 1, sampleRate: SAMPLE_RATE, bitsPerSample: 16, data: encodeSamples([ramp(1000)], 16)})
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['an empty file', new Uint8Array(0), /empty file/],
    ['a text file', new TextEncoder().encode('this is not audio, just some text\n'), /not a WAV file/],
    ['a truncated data chunk', good.subarray(0, 1200), /truncated data chunk \(expected 2000 bytes, found 1156\)/],
    ['a truncated header', good.subarray(0, 30), /truncated fmt chunk|no data chunk/],
    ['mu-law', buildWav({formatTag: 7, channels: 1, sampleRate: 8000, bitsPerSample: 8, data: new Uint8Array(100)}), /unsupported codec mu-law/],
    ['IMA ADPCM', buildWav({formatTag: 0x11, channels: 1, sampleRate: 8000, bitsPerSample: 4, data: new Uint8Array(100)}), /unsupported codec IMA ADPCM/],
    ['a zero-length data chunk', buildWav({channels: 1, sampleRate: SAMPLE_RATE, bitsPerSample: 16, data: new Uint8Array(0)}), /empty data chunk/],
    ['12-bit samples', buildWav({channels: 1, sampleRate: SAMPLE_RATE, bitsPerSample: 12, data: new Uint8Array(0)}), /unsupported 12-bit/],
    ['a data chunk claiming 4 GB', buildWav({channels: 1, sampleRate: SAMPLE_RATE, bitsPerSample: 16, data: new Uint8Array(10), declaredDataSize: 0xfffffff0}), /truncated data chunk/],
    ['a NaN float sample', buildWav({formatTag: 3, channels: 1, sampleRate: SAMPLE_RATE, bitsPerSample: 32, data: new Uint8Array(new Float32Array([0, Number.NaN]).buffer)}), /sample 1 is NaN/],
    ['a sample rate of 0', buildWav({channels: 1, sampleRate: 0, bitsPerSample: 16, data: new Uint8Array(4)}), /sample rate of 0/],
  ]
  for (const [label, bytes, message] of cases) {
    it(label, () => {
      let caught: unknown
      try {
        decodeWav(bytes, 'clip.wav')
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(InputError)
      const text = (caught as Error).message
      expect(text).toMatch(/^Cannot read clip\.wav: /)
      expect(text).toMatch(message)
      expect(text).not.toContain('\n')
    })
  }
})
