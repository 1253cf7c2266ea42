// Fuzz targets: the compressed-audio readers (decodeAudio on FLAC, Ogg Vorbis,
// Ogg Opus and MP3 bytes: format sniffing, the container checks, the
// WebAssembly decoders, channel rule and resampling). Inputs are random bytes
// behind each format's magic, valid files (FLACs written here with random
// layouts; tiny Ogg and MP3 files from test/fixtures/formats, made by
// oggenc/opusenc/lame from the demo clip), and those files truncated and
// edited. Ogg edits are also re-checksummed, so that the decoder, not the page
// CRC, meets the damage.
import {readFileSync} from 'node:fs'

import fc from 'fast-check'

import {pageCrc} from '../dist/src/audio/ogg.js'
import {FuzzFailure, applyByteEdit, bounded, byteEditArb, checkRejection, concat, seeded} from './fuzz-common.mjs'

const FIXTURES = new URL('../test/fixtures/formats/', import.meta.url)
const fixture = (name) => new Uint8Array(readFileSync(new URL(name, FIXTURES)))

// ---------------------------------------------------------------- FLAC writer

class BitWriter {
  constructor() {
    this.bytes = []
    this.acc = 0
    this.n = 0
  }

  /** Write the low `bits` bits of `value` (two's complement for negatives), most significant first. */
  write(value, bits) {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | (Math.floor(value / 2 ** i) & 1)
      if (++this.n === 8) {
        this.bytes.push(this.acc)
        this.acc = 0
        this.n = 0
      }
    }
  }

  align() {
    while (this.n !== 0) this.write(0, 1)
  }

  get length() {
    return this.bytes.length
  }
}

function crc8(bytes, from, to) {
  let crc = 0
  for (let i = from; i < to; i++) {
    crc ^= bytes[i]
    for (let k = 0; k < 8; k++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff
  }
  return crc
}

function crc16(bytes, from, to) {
  let crc = 0
  for (let i = from; i < to; i++) {
    crc ^= bytes[i] << 8
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff
  }
  return crc
}

/** FLAC's UTF-8-like frame number. */
function utf8Number(w, n) {
  if (n < 0x80) return w.write(n, 8)
  const bytes = []
  let rest = n
  let limit = 0x1f
  while (rest > limit) {
    bytes.unshift(0x80 | (rest & 0x3f))
    rest = Math.floor(rest / 64)
    limit >>= 1
  }
  const count = bytes.length + 1
  w.write(((0xff << (8 - count)) & 0xff) | rest, 8)
  for (const b of bytes) w.write(b, 8)
}

/**
 * Frame-header codes for the rate and sample size, as libFLAC writes them.
 * (The decoders' frame parser, codec-parser, cannot follow frames that say
 * "as in STREAMINFO" (code 0): a real encoder writes 0 only for a rate no
 * code can express, which the generator below leaves out.)
 */
const RATE_CODES = {88_200: 1, 176_400: 2, 192_000: 3, 8000: 4, 16_000: 5, 22_050: 6, 24_000: 7, 32_000: 8, 44_100: 9, 48_000: 10, 96_000: 11}
const BITS_CODES = {8: 1, 12: 2, 16: 4, 20: 5, 24: 6}

/**
 * A valid FLAC of integer samples (`channels[c][i]`, within `bits`), written
 * with VERBATIM subframes in fixed-size blocks: simple enough to write here,
 * and a real libFLAC stream all the same (STREAMINFO, frame headers with
 * CRC-8, frames with CRC-16).
 */
export function buildFlac({channels, bits, rate, blockSize}) {
  const frames = channels[0].length
  const w = new BitWriter()
  for (const ch of 'fLaC') w.write(ch.charCodeAt(0), 8)
  w.write(1, 1) // last metadata block
  w.write(0, 7) // STREAMINFO
  w.write(34, 24)
  w.write(blockSize, 16)
  w.write(blockSize, 16)
  w.write(0, 24) // min frame size unknown
  w.write(0, 24) // max frame size unknown
  w.write(rate, 20)
  w.write(channels.length - 1, 3)
  w.write(bits - 1, 5)
  w.write(frames, 36)
  for (let i = 0; i < 16; i++) w.write(0, 8) // MD5 unknown
  for (let start = 0, number = 0; start < frames; start += blockSize, number++) {
    const n = Math.min(blockSize, frames - start)
    const frameStart = w.length
    w.write(0b11111111111110, 14)
    w.write(0, 1) // reserved
    w.write(0, 1) // fixed block size
    w.write(0b0111, 4) // block size: 16 bits at the end of the header
    const rateCode = RATE_CODES[rate] ?? (rate % 1000 === 0 && rate <= 255_000 ? 12 : rate <= 0xffff ? 13 : rate % 10 === 0 && rate / 10 <= 0xffff ? 14 : 0)
    w.write(rateCode, 4)
    w.write(channels.length - 1, 4) // independent channels
    w.write(BITS_CODES[bits] ?? 0, 3)
    w.write(0, 1)
    utf8Number(w, number)
    w.write(n - 1, 16)
    if (rateCode === 12) w.write(rate / 1000, 8)
    else if (rateCode === 13) w.write(rate, 16)
    else if (rateCode === 14) w.write(rate / 10, 16)
    w.write(crc8(w.bytes, frameStart, w.length), 8)
    for (const ch of channels) {
      w.write(0, 1)
      w.write(0b000001, 6) // VERBATIM
      w.write(0, 1) // no wasted bits
      for (let i = start; i < start + n; i++) w.write(ch[i] < 0 ? ch[i] + 2 ** bits : ch[i], bits)
    }
    w.align()
    w.write(crc16(w.bytes, frameStart, w.length), 16)
  }
  return Uint8Array.from(w.bytes)
}

export const flacSpecArb = fc.record({
  channels: fc.oneof({weight: 4, arbitrary: fc.integer({min: 1, max: 2})}, {weight: 1, arbitrary: fc.integer({min: 3, max: 8})}),
  bits: fc.oneof({weight: 9, arbitrary: fc.constantFrom(8, 16, 24)}, {weight: 1, arbitrary: fc.constantFrom(4, 12, 20, 32)}),
  rate: fc.oneof(fc.constantFrom(8000, 16_000, 22_050, 44_100, 48_000, 96_000), fc.integer({min: 1000, max: 65_535}), fc.integer({min: 6554, max: 20_000}).map((r) => r * 10)),
  frames: fc.integer({min: 1, max: 3000}),
  blockSize: fc.oneof(fc.constantFrom(16, 192, 576, 1152, 4096, 4608), fc.integer({min: 16, max: 4608})),
  seed: fc.nat(),
})

/** Integer samples for a spec: random, full range. */
export function flacSamples(spec) {
  const random = seeded(spec.seed)
  const half = 2 ** (spec.bits - 1)
  return Array.from({length: spec.channels}, () => Array.from({length: spec.frames}, () => Math.floor(random() * 2 * half) - half))
}

// ------------------------------------------------------------------ Ogg pages

/** Recompute every whole page's checksum, so that edited bytes reach the decoder. */
export function rechecksumOgg(bytes) {
  const out = new Uint8Array(bytes)
  const view = new DataView(out.buffer)
  let pos = 0
  while (pos + 27 <= out.length && view.getUint32(pos, false) === 0x4f676753) {
    const segments = out[pos + 26]
    if (pos + 27 + segments > out.length) break
    let end = pos + 27 + segments
    for (let i = 0; i < segments; i++) end += out[pos + 27 + i]
    if (end > out.length) break
    view.setUint32(pos + 22, pageCrc(out, pos, end), true)
    pos = end
  }
  return out
}

// ------------------------------------------------------------------- targets

const SEEDS = {
  'ogg-vorbis': ['seed-mono.ogg', 'seed-stereo.ogg'],
  'ogg-opus': ['seed-mono.opus', 'seed-stereo.opus'],
  mp3: ['seed-mono.mp3', 'seed-stereo-22k.mp3'],
}

const MAGIC = {
  flac: 'fLaC',
  'ogg-vorbis': 'OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1e\x01vorbis',
  'ogg-opus': 'OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead',
  mp3: 'ID3\x04\x00\x00\x00\x00\x00\x00',
}

export const CODEC_TARGETS = ['flac', 'ogg-vorbis', 'ogg-opus', 'mp3']

function caseArb(format) {
  const source = format === 'flac' ? fc.record({spec: flacSpecArb}) : fc.record({seed: fc.nat(SEEDS[format].length - 1)})
  return fc.oneof(
    {weight: 1, arbitrary: fc.record({kind: fc.constant('magic'), tail: fc.uint8Array({maxLength: 400}), mix: fc.boolean()})},
    {weight: 1, arbitrary: fc.record({kind: fc.constant('valid'), source, mix: fc.boolean()})},
    {weight: 2, arbitrary: fc.record({kind: fc.constant('truncated'), source, keep: fc.double({min: 0, max: 1, noNaN: true}), mix: fc.boolean()})},
    {
      weight: 6,
      arbitrary: fc.record({kind: fc.constant('mutated'), source, edits: fc.array(byteEditArb, {minLength: 1, maxLength: 4}), rechecksum: fc.boolean(), mix: fc.boolean()}),
    },
  )
}

/** The bytes of a case, and the samples a valid FLAC holds. */
export function codecCaseBytes(format, c) {
  if (c.kind === 'magic') {
    const bytes = concat(Uint8Array.from(MAGIC[format], (ch) => ch.charCodeAt(0)), c.tail)
    return {bytes: format.startsWith('ogg') ? rechecksumOgg(bytes) : bytes}
  }
  let bytes
  let samples
  if (format === 'flac') {
    samples = flacSamples(c.source.spec)
    bytes = buildFlac({...c.source.spec, channels: samples})
  } else {
    bytes = fixture(SEEDS[format][c.source.seed])
  }
  if (c.kind === 'valid') return {bytes, samples}
  if (c.kind === 'truncated') return {bytes: bytes.slice(0, Math.floor(c.keep * bytes.length))}
  let out = bytes
  for (const e of c.edits) out = applyByteEdit(out, e)
  if (c.rechecksum && format !== 'flac' && format !== 'mp3') out = rechecksumOgg(out)
  return {bytes: out}
}

/**
 * The target for one format. `lib` is the reader under test (src/ in the test
 * suite, dist/ in the bench): {decodeAudio, InputError, UserError, SAMPLE_RATE}.
 */
export function codecTarget(format, lib, {ms = 3000, rssMB = 200} = {}) {
  const file = `fuzz/case.${format}`
  return {
    name: `${format} reader (decodeAudio)`,
    arbitrary: caseArb(format),
    async setup() {},
    async teardown() {},
    async check(c) {
      const {bytes, samples} = codecCaseBytes(format, c)
      return bounded(
        async () => {
          let audio
          try {
            audio = await lib.decodeAudio(bytes, file, {mix: c.mix ?? false})
          } catch (error) {
            const message = checkRejection(error, {UserError: lib.UserError, kind: lib.InputError, prefix: `Cannot read ${file}: `})
            if (c.kind === 'valid' && !knownFlacRefusal(format, c, message)) throw new FuzzFailure(`a valid ${format} file was rejected: ${message}`)
            return message
          }
          checkDecoded(audio, c, lib.SAMPLE_RATE, format, samples)
          return 'accepted'
        },
        {ms, rssMB, what: `decodeAudio (${format})`},
      )
    },
  }
}

/**
 * Valid FLACs the reader refuses by design: 4-, 12-, 20- and 32-bit ones, by
 * name (see src/audio/compressed.ts), and a file of one frame that the
 * decoders' frame parser (codec-parser) cannot find, reported as holding no
 * samples: counted among the rejections, not as failures.
 */
function knownFlacRefusal(format, c, message) {
  if (format !== 'flac') return false
  const {spec} = c.source
  if (![8, 16, 24].includes(spec.bits)) return /unsupported \d+-bit FLAC/.test(message)
  return spec.frames <= spec.blockSize && /no audio samples could be decoded/.test(message)
}

function checkDecoded(audio, c, rate, format, written) {
  const {info, samples} = audio
  if (!(samples instanceof Float64Array)) throw new FuzzFailure('samples are not a Float64Array')
  if (!(info.frames >= 1 && info.channels >= 1 && info.sampleRate >= 1000)) throw new FuzzFailure(`accepted with an empty layout: ${JSON.stringify(info)}`)
  const expected = info.sampleRate === rate ? info.frames : Math.ceil((info.frames * rate) / info.sampleRate)
  if (samples.length !== expected) throw new FuzzFailure(`${samples.length} samples at ${rate} Hz for ${info.frames} frames at ${info.sampleRate} Hz (expected ${expected})`)
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i] * samples[i])) throw new FuzzFailure(`accepted, but sample ${i} is ${samples[i]}`)
  }
  if (c.kind !== 'valid') return
  if (format === 'flac' && ![8, 16, 24].includes(c.source.spec.bits)) throw new FuzzFailure(`a ${c.source.spec.bits}-bit FLAC was accepted`)
  if (format === 'ogg-vorbis' || format === 'ogg-opus' || format === 'mp3') {
    if (info.format !== format) throw new FuzzFailure(`a ${format} file read as ${info.format}`)
    return
  }
  // A valid FLAC: exactly what was written, in int16 units.
  const {spec} = c.source
  const want = {format: 'flac', frames: spec.frames, channels: spec.channels, sampleRate: spec.rate, bitsPerSample: spec.bits}
  for (const [k, v] of Object.entries(want)) if (info[k] !== v) throw new FuzzFailure(`valid FLAC read with ${k} ${info[k]}, written with ${v}`)
  if (spec.rate === rate) {
    const scale = 32768 / 2 ** (spec.bits - 1)
    const used = c.mix ? written : written.slice(0, 1)
    // The decoders' frame parser may drop a short last frame, which the reader fills with silence.
    let end = spec.frames
    while (end > 0 && samples[end - 1] === 0) end--
    if (spec.frames - end > spec.blockSize) end = spec.frames
    for (let i = 0; i < end; i++) {
      let sum = 0
      for (const ch of used) sum += ch[i]
      const want = (sum / used.length) * scale
      if (Math.abs(samples[i] - want) > 1e-6 * Math.max(1, Math.abs(want))) throw new FuzzFailure(`valid FLAC sample ${i} read as ${samples[i]}, written as ${want}`)
    }
  }
}
