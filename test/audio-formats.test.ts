import {mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {buildFlac} from '../bench/fuzz-codecs.mjs'
import {sniffFormat} from '../src/audio/formats.js'
import {SAMPLE_RATE, decodeAudio, decodeWav, readAudio} from '../src/audio/read.js'
import {encodeWav16} from '../src/audio/write.js'
import {spectrogram} from '../src/features/spectrogram.js'
import {InputError} from '../src/util/errors.js'
import {ROOT, runCli} from './helpers/cli.js'

/**
 * FLAC, Ogg Vorbis, Ogg Opus and MP3 (issue 17). The lossy fixtures in
 * test/fixtures/formats were made from the shipped demo clip, seconds 1.0 to
 * 4.5 ("activate lights on"), with oggenc -q 0, opusenc --bitrate 24 and
 * lame -V 8 (see test/fixtures/formats/README.md); the FLAC of that clip is
 * written here, from the same samples.
 */

const FIXTURES = join(ROOT, 'test', 'fixtures', 'formats')
const fixture = (name: string) => join(FIXTURES, name)
const DEMO = join(ROOT, 'data', 'demo', 'activate-demo.wav')

/** The demo clip's seconds 1.0 to 4.5, the source of the lossy fixtures, as int16 values. */
function demoExcerpt(): Int16Array {
  const all = decodeWav(readFileSync(DEMO), DEMO).samples
  return Int16Array.from(all.subarray(SAMPLE_RATE, SAMPLE_RATE + 154_350))
}

function flacOf(samples: ArrayLike<number>[], rate: number, bits = 16, blockSize = 4096): Uint8Array {
  return buildFlac({channels: samples.map((c) => Array.from(c)), bits, rate, blockSize})
}

describe('formats are told by content, not by name', () => {
  const head = (s: string, pad = 64) => {
    const out = new Uint8Array(pad)
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
    return out
  }
  const ogg = (packet: string) => head(`OggS\x00\x02${'\x00'.repeat(20)}\x01\x1e${packet}`)

  it('recognises the magic bytes of each format it reads', () => {
    expect(sniffFormat(head('RIFF\x24\x00\x00\x00WAVE'))).toBe('wav')
    expect(sniffFormat(head('RF64\xff\xff\xff\xffWAVE'))).toBe('wav')
    expect(sniffFormat(head('fLaC\x80\x00\x00\x22'))).toBe('flac')
    expect(sniffFormat(ogg('\x01vorbis'))).toBe('ogg-vorbis')
    expect(sniffFormat(ogg('OpusHead'))).toBe('ogg-opus')
    expect(sniffFormat(head('ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\xc4'))).toBe('mp3')
    expect(sniffFormat(Uint8Array.from([0xff, 0xfb, 0x90, 0xc4, 0, 0, 0, 0]))).toBe('mp3')
    expect(sniffFormat(Uint8Array.from([0xff, 0xf3, 0x48, 0xc4, 0, 0, 0, 0]))).toBe('mp3') // MPEG-2 layer III
  })

  it('names the codecs and containers it does not read', () => {
    const named = (bytes: Uint8Array) => {
      try {
        sniffFormat(bytes)
      } catch (error) {
        return (error as Error).message
      }
      throw new Error('expected a rejection')
    }
    expect(named(readFileSync(fixture('tone-oggflac.oga')))).toMatch(/^unsupported codec: Ogg FLAC/)
    expect(named(readFileSync(fixture('tone-speex.spx')))).toMatch(/^unsupported codec: Ogg Speex/)
    expect(named(head('\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00'))).toMatch(/^unsupported format: MP4\/M4A \(AAC or ALAC, brand "M4A"\)/)
    expect(named(Uint8Array.from([0xff, 0xf1, 0x50, 0x80, 0, 0, 0, 0]))).toMatch(/^unsupported codec: AAC \(ADTS\)/)
    expect(named(head('FORM\x00\x00\x00\x00AIFF'))).toMatch(/^unsupported format: AIFF/)
    expect(named(ogg('\x80theora'))).toMatch(/Theora video/)
    expect(named(new TextEncoder().encode('just some text, no audio'))).toBe('not an audio file rnn-wake reads (WAV, FLAC, Ogg Vorbis, Ogg Opus or MP3; it starts with bytes 6a 75 73 74)')
  })
})

describe('FLAC reads exactly as the WAV it was made from', () => {
  it('a real encoder\'s FLAC (flac -8: LPC subframes, stereo, 22.05 kHz) gives the WAV\'s samples, channel 0 and mixed', async () => {
    for (const mix of [false, true]) {
      const flac = await readAudio(fixture('tone-stereo-22k.flac'), {mix})
      const wav = await readAudio(fixture('tone-stereo-22k.wav'), {mix})
      expect(flac.info).toMatchObject({format: 'flac', sampleRate: 22_050, channels: 2, bitsPerSample: 16, frames: wav.info.frames})
      expect(Array.from(flac.samples)).toEqual(Array.from(wav.samples))
    }
  })

  it('8-, 16- and 24-bit FLAC land on the int16 scale as WAVs of the same depth do', async () => {
    for (const bits of [8, 16, 24]) {
      const half = 2 ** (bits - 1)
      const ints = [0, 1, -1, half - 1, -half, Math.floor(half / 3)]
      const audio = await decodeAudio(flacOf([ints], SAMPLE_RATE, bits), `x${bits}.flac`)
      expect(Array.from(audio.samples)).toEqual(ints.map((v) => (v * 32768) / half))
    }
  })

  it('refuses 12- and 20-bit FLAC by name (the WebAssembly decoder turns them into Infinity)', async () => {
    await expect(decodeAudio(flacOf([[1, 2, 3]], SAMPLE_RATE, 12), 'odd.flac')).rejects.toThrow('Cannot read odd.flac: unsupported 12-bit FLAC (rnn-wake reads 8-, 16- and 24-bit FLAC)')
  })
})

describe('one clip as WAV, FLAC, Ogg Vorbis, Ogg Opus and MP3', () => {
  const excerpt = demoExcerpt()
  const dir = mkdtempSync(join(tmpdir(), 'rnn-wake-formats-'))
  const files = {
    wav: join(dir, 'clip.wav'),
    flac: join(dir, 'clip.flac'),
    vorbis: fixture('demo-1.0-4.5s.ogg'),
    opus: fixture('demo-1.0-4.5s.opus'),
    mp3: fixture('demo-1.0-4.5s.mp3'),
  }
  writeFileSync(files.wav, encodeWav16(Float64Array.from(excerpt)))
  writeFileSync(files.flac, flacOf([excerpt], SAMPLE_RATE))

  it('gives the same spectrogram shape; FLAC the same values, the lossy codecs within 25 % (L1 of power) and 5 dB (mean, loud cells) of the WAV\'s', async () => {
    const ref = spectrogram((await readAudio(files.wav)).samples)
    expect([ref.frames, ref.bins]).toEqual([1927, 101])
    const flac = spectrogram((await readAudio(files.flac)).samples)
    expect(Array.from(flac.data)).toEqual(Array.from(ref.data))
    const db = (x: number) => 10 * Math.log10(x + 1e-10)
    let loudest = -Infinity
    for (const v of ref.data) loudest = Math.max(loudest, db(v))
    for (const [name, file] of [['vorbis', files.vorbis], ['opus', files.opus], ['mp3', files.mp3]]) {
      const audio = await readAudio(file)
      expect(audio.samples.length, name).toBe(excerpt.length)
      const spec = spectrogram(audio.samples)
      expect([spec.frames, spec.bins], name).toEqual([ref.frames, ref.bins])
      let l1 = 0
      let power = 0
      let dbSum = 0
      let loud = 0
      for (let i = 0; i < ref.data.length; i++) {
        l1 += Math.abs(spec.data[i] - ref.data[i])
        power += ref.data[i]
        if (db(ref.data[i]) > loudest - 50) {
          dbSum += Math.abs(db(spec.data[i]) - db(ref.data[i]))
          loud++
        }
      }
      expect(l1 / power, name).toBeLessThan(0.25)
      expect(dbSum / loud, name).toBeLessThan(5)
    }
  })

  it('gives the same detections and transcripts with the shipped model (rnn-wake detect)', () => {
    const list = Object.values(files)
    const r = runCli(['detect', ...list, '--json', '--backend', 'cpu'])
    expect(r.status, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout) as {files: Array<{file: string; steps: number; detections: Array<{step: number; seconds: number; score: number; transcript?: {text: string}}>}>}
    const [wav, ...others] = result.files
    expect(wav.detections.map((d) => [d.seconds, d.transcript?.text])).toEqual([[expect.closeTo(1.61, 1), 'lights on']])
    for (const f of others) {
      expect(f.steps, f.file).toBe(wav.steps)
      expect(f.detections.map((d) => [d.step, d.transcript?.text]), f.file).toEqual(wav.detections.map((d) => [d.step, d.transcript?.text]))
      expect(Math.abs(f.detections[0].score - wav.detections[0].score), f.file).toBeLessThan(0.1)
    }
  })
})

describe('bad compressed input: one line naming the file and the problem, exit 3, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-wake-bad-formats-'))
  const bytes = (name: string) => new Uint8Array(readFileSync(fixture(name)))
  const flac = flacOf([Array.from({length: 5000}, (_, i) => (i * 37) % 2000)], 16_000, 16, 500)
  const corrupt = (b: Uint8Array, at: number) => {
    const out = Uint8Array.from(b)
    for (let i = 0; i < 8; i++) out[at + i] ^= 0x55
    return out
  }
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['cut.flac', flac.subarray(0, Math.floor(flac.length * 0.6)), /truncated: \d+ of the 5000 samples STREAMINFO declares could be decoded/],
    ['cut-in-header.flac', flac.subarray(0, 20), /truncated FLAC header \(only 20 bytes\)/],
    ['corrupt.flac', corrupt(flac, 2000), /corrupt FLAC|truncated: \d+ of the 5000 samples|no audio samples could be decoded from the FLAC data \(corrupt or truncated\)/],
    ['cut.ogg', bytes('seed-mono.ogg').subarray(0, 3000), /truncated: Ogg page \d+ needs \d+ bytes, the file holds \d+ more/],
    ['corrupt.ogg', corrupt(bytes('seed-mono.ogg'), 4000), /corrupt: Ogg page \d+ \(byte \d+\) fails its checksum/],
    ['cut.opus', bytes('seed-mono.opus').subarray(0, 1000), /truncated: Ogg page \d+ needs/],
    ['cut.mp3', bytes('seed-mono.mp3').subarray(0, 1500), /truncated: \d+ samples decoded, the Xing\/Info frame declares \d+ frames/],
    ['only-a-tag.mp3', Uint8Array.from('ID3\x04\x00\x00\x00\x00\x00\x40', (c) => c.charCodeAt(0)), /an ID3 tag with no audio after it/],
    ['text.flac', new TextEncoder().encode('this is not a FLAC, just text'), /not an audio file rnn-wake reads/],
    ['song.ogg', Uint8Array.from('\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00', (c) => c.charCodeAt(0)), /unsupported format: MP4\/M4A/],
    ['speech.spx', bytes('tone-speex.spx'), /unsupported codec: Ogg Speex/],
    ['tone.oga', bytes('tone-oggflac.oga'), /unsupported codec: Ogg FLAC/],
  ]
  for (const [name, content, message] of cases) {
    it(name, () => {
      const caseDir = mkdtempSync(join(dir, 'case-'))
      const file = join(caseDir, name)
      writeFileSync(file, content)
      const r = runCli(['spectrogram', file, '--out', join(caseDir, 'out.npy'), '--png', join(caseDir, 'out.png')])
      expect(r.status, r.stderr).toBe(3)
      const lines = r.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0].startsWith(`rnn-wake: Cannot read ${file}: `), lines[0]).toBe(true)
      expect(lines[0]).toMatch(message)
      expect(readdirSync(caseDir)).toEqual([name])
    })
  }

  it('decoders that fail at the same time print nothing and leave the console as it was', async () => {
    const {error, warn} = console
    const bad = [bytes('seed-mono.opus').subarray(0, 1000), flac.subarray(0, 3000), bytes('seed-mono.mp3').subarray(0, 900), Uint8Array.from(bytes('seed-mono.ogg'))]
    const results = await Promise.allSettled(bad.map((b, i) => decodeAudio(b, `f${i}`)))
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'fulfilled'])
    expect(console.error).toBe(error)
    expect(console.warn).toBe(warn)
  })

  it('in process the same problems are InputErrors', async () => {
    await expect(decodeAudio(bytes('seed-mono.opus').subarray(0, 1000), 'x.opus')).rejects.toBeInstanceOf(InputError)
  })
})
