// Fuzz target: the WAV reader (decodeWav, i.e. parseWavLayout + decode + resample).
// Inputs are random bytes, random bytes behind a RIFF header, and valid WAVs of
// every layout the reader supports with a few edits aimed at the header fields
// it trusts (chunk sizes, format code, channels, rate, block align, bits).
import fc from 'fast-check'

import {FuzzFailure, INTERESTING_U16, INTERESTING_U32, applyByteEdit, bounded, byteEditArb, checkRejection, concat, seeded} from './fuzz-common.mjs'

const LAYOUTS = [
  {tag: 1, bits: 8},
  {tag: 1, bits: 16},
  {tag: 1, bits: 24},
  {tag: 1, bits: 32},
  {tag: 3, bits: 32},
  {tag: 3, bits: 64},
]

const CHUNK_IDS = ['LIST', 'JUNK', 'fact', 'bext', 'fmt ', 'data', 'cue ', '\0\0\0\0']

export const wavSpecArb = fc.record({
  layout: fc.constantFrom(...LAYOUTS),
  extensible: fc.boolean(),
  channels: fc.oneof({weight: 4, arbitrary: fc.integer({min: 1, max: 2})}, {weight: 1, arbitrary: fc.integer({min: 3, max: 8})}),
  rate: fc.oneof(fc.constantFrom(8000, 16_000, 22_050, 44_100, 48_000, 96_000), fc.integer({min: 1000, max: 200_000})),
  frames: fc.integer({min: 1, max: 300}),
  before: fc.array(fc.record({id: fc.constantFrom(...CHUNK_IDS.slice(0, 4)), size: fc.nat(9)}), {maxLength: 2}),
  between: fc.array(fc.record({id: fc.constantFrom(...CHUNK_IDS.slice(0, 4)), size: fc.nat(9)}), {maxLength: 2}),
  after: fc.array(fc.record({id: fc.constantFrom(...CHUNK_IDS), size: fc.nat(9)}), {maxLength: 1}),
  streaming: fc.boolean(),
  seed: fc.nat(),
})

/**
 * A valid WAV and the offsets of the fields the reader trusts, so that edits
 * can aim at them. Sample values are in range (floats within +-1).
 */
export function buildWav(spec) {
  const {layout, channels, rate, frames, extensible} = spec
  const width = layout.bits / 8
  const blockAlign = width * channels
  const random = seeded(spec.seed)
  const data = new Uint8Array(frames * blockAlign)
  const view = new DataView(data.buffer)
  for (let at = 0; at < data.length; at += width) {
    const x = random() * 2 - 1
    if (layout.tag === 3 && width === 4) view.setFloat32(at, x, true)
    else if (layout.tag === 3) view.setFloat64(at, x, true)
    else if (width === 1) view.setUint8(at, Math.floor(random() * 256))
    else if (width === 2) view.setInt16(at, Math.round(x * 32767), true)
    else if (width === 3) view.setUint16(at, Math.floor(random() * 65536), true), view.setInt8(at + 2, Math.round(x * 127))
    else view.setInt32(at, Math.round(x * 2147483647), true)
  }

  const fmtSize = extensible ? 40 : 16
  const fmt = new DataView(new ArrayBuffer(fmtSize))
  fmt.setUint16(0, extensible ? 0xfffe : layout.tag, true)
  fmt.setUint16(2, channels, true)
  fmt.setUint32(4, rate, true)
  fmt.setUint32(8, rate * blockAlign, true)
  fmt.setUint16(12, blockAlign, true)
  fmt.setUint16(14, layout.bits, true)
  if (extensible) {
    fmt.setUint16(16, 22, true)
    fmt.setUint16(18, layout.bits, true)
    fmt.setUint16(24, layout.tag, true)
    const guid = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]
    guid.forEach((b, i) => fmt.setUint8(26 + i, b))
  }

  const fields = {}
  const parts = []
  let offset = 12
  const chunk = (id, body, declared = body.length, pad = true) => {
    const head = new DataView(new ArrayBuffer(8))
    for (let i = 0; i < 4; i++) head.setUint8(i, id.charCodeAt(i))
    head.setUint32(4, declared, true)
    parts.push(new Uint8Array(head.buffer), body)
    const at = offset
    offset += 8 + body.length
    if (pad && body.length % 2 === 1) {
      parts.push(new Uint8Array(1))
      offset += 1
    }
    return at
  }
  const filler = (size) => Uint8Array.from({length: size}, () => Math.floor(random() * 256))
  for (const c of spec.before) chunk(c.id, filler(c.size))
  const fmtAt = chunk('fmt ', new Uint8Array(fmt.buffer))
  for (const c of spec.between) chunk(c.id, filler(c.size))
  // A streaming writer never comes back to pad the data, and anything after it
  // (a LIST chunk, say) would be read as samples under a streaming size.
  const dataAt = chunk('data', data, spec.streaming ? 0xffffffff : data.length, !spec.streaming)
  if (!spec.streaming) for (const c of spec.after) chunk(c.id, filler(c.size))
  Object.assign(fields, {
    riffSize: 4,
    fmtSize: fmtAt + 4,
    formatTag: fmtAt + 8,
    channels: fmtAt + 10,
    sampleRate: fmtAt + 12,
    byteRate: fmtAt + 16,
    blockAlign: fmtAt + 20,
    bitsPerSample: fmtAt + 22,
    subFormat: extensible ? fmtAt + 32 : fmtAt + 8,
    dataSize: dataAt + 4,
    data: dataAt + 8,
  })
  const body = concat(...parts)
  const riff = new DataView(new ArrayBuffer(12))
  for (let i = 0; i < 4; i++) riff.setUint8(i, 'RIFF'.charCodeAt(i))
  riff.setUint32(4, 4 + body.length, true)
  for (let i = 0; i < 4; i++) riff.setUint8(8 + i, 'WAVE'.charCodeAt(i))
  return {bytes: concat(new Uint8Array(riff.buffer), body), fields}
}

const FIELDS_16 = ['formatTag', 'channels', 'blockAlign', 'bitsPerSample', 'subFormat']
const FIELDS_32 = ['riffSize', 'fmtSize', 'sampleRate', 'byteRate', 'dataSize']

/** An edit aimed at a named header field, with a value from the list of boundary values. */
const fieldEditArb = fc.oneof(
  fc.record({field: fc.constantFrom(...FIELDS_16), value: fc.oneof(fc.constantFrom(...INTERESTING_U16), fc.nat(0xffff))}),
  fc.record({field: fc.constantFrom(...FIELDS_32), value: fc.oneof(fc.constantFrom(...INTERESTING_U32), fc.nat(0xffffffff))}),
)

/** Sample values that are not audio: what random bytes read as floats look like. */
const HOSTILE_SAMPLES = [5e303, 1e300, -1e300, 3.4e38, 1e7, -1e7, 1e6, 32768, NaN, Infinity, -Infinity, 5e-324]

const sampleEditArb = fc.record({index: fc.nat(), value: fc.constantFrom(...HOSTILE_SAMPLES)})

/** Overwrite one float sample (integer layouts cannot hold such values, so they are left alone). */
function applySampleEdit(bytes, fields, spec, edit) {
  if (spec.layout.tag !== 3) return bytes
  const width = spec.layout.bits / 8
  const at = fields.data + (edit.index % (spec.frames * spec.channels)) * width
  if (at + width > bytes.length) return bytes
  const out = new Uint8Array(bytes)
  const view = new DataView(out.buffer)
  if (width === 4) view.setFloat32(at, edit.value, true)
  else view.setFloat64(at, edit.value, true)
  return out
}

function applyFieldEdit(bytes, fields, edit) {
  const at = fields[edit.field]
  const width = FIELDS_16.includes(edit.field) ? 2 : 4
  if (at + width > bytes.length) return bytes
  const out = new Uint8Array(bytes)
  const view = new DataView(out.buffer)
  if (width === 2) view.setUint16(at, edit.value, true)
  else view.setUint32(at, edit.value, true)
  return out
}

export const wavCaseArb = fc.oneof(
  {weight: 1, arbitrary: fc.record({kind: fc.constant('random'), bytes: fc.uint8Array({maxLength: 200})})},
  {weight: 1, arbitrary: fc.record({kind: fc.constant('riff'), tail: fc.uint8Array({maxLength: 200}), mix: fc.boolean()})},
  {weight: 1, arbitrary: fc.record({kind: fc.constant('valid'), spec: wavSpecArb, mix: fc.boolean()})},
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('mutated'),
      spec: wavSpecArb,
      fieldEdits: fc.array(fieldEditArb, {maxLength: 3}),
      sampleEdits: fc.array(sampleEditArb, {maxLength: 2}),
      byteEdits: fc.array(byteEditArb, {maxLength: 3}),
      mix: fc.boolean(),
    }),
  },
)

export function wavCaseBytes(c) {
  if (c.kind === 'random') return c.bytes
  if (c.kind === 'riff') return concat(new TextEncoder().encode('RIFF\x24\x00\x00\x00WAVE'), c.tail)
  const {bytes, fields} = buildWav(c.spec)
  if (c.kind === 'valid') return bytes
  let out = bytes
  for (const e of c.sampleEdits) out = applySampleEdit(out, fields, c.spec, e)
  for (const e of c.fieldEdits) out = applyFieldEdit(out, fields, e)
  for (const e of c.byteEdits) out = applyByteEdit(out, e)
  return out
}

/**
 * The target. `lib` is the reader under test (src/ in the test suite, dist/
 * in the bench): {decodeWav, InputError, UserError, SAMPLE_RATE}.
 */
export function wavTarget(lib, {ms = 2000, rssMB = 200} = {}) {
  const file = 'fuzz/case.wav'
  return {
    name: 'WAV reader (decodeWav)',
    arbitrary: wavCaseArb,
    async setup() {},
    async teardown() {},
    /** Resolves to 'accepted' or the rejection's message; throws FuzzFailure when the property breaks. */
    async check(c) {
      const bytes = wavCaseBytes(c)
      return bounded(
        () => {
          let audio
          try {
            audio = lib.decodeWav(bytes, file, {mix: c.mix ?? false})
          } catch (error) {
            const message = checkRejection(error, {UserError: lib.UserError, kind: lib.InputError, prefix: `Cannot read ${file}: `})
            if (c.kind === 'valid') throw new FuzzFailure(`a valid WAV was rejected: ${message}`)
            return message
          }
          checkAudio(audio, bytes, c, lib.SAMPLE_RATE)
          return 'accepted'
        },
        {ms, rssMB, what: 'decodeWav'},
      )
    },
  }
}

function checkAudio(audio, bytes, c, rate) {
  const {info, samples} = audio
  if (!(samples instanceof Float64Array)) throw new FuzzFailure('samples are not a Float64Array')
  if (!(info.frames >= 1 && info.channels >= 1 && info.sampleRate >= 1)) throw new FuzzFailure(`accepted with an empty layout: ${JSON.stringify(info)}`)
  if ((info.frames * info.channels * info.bitsPerSample) / 8 > bytes.length) throw new FuzzFailure(`claims ${info.frames} frames, more than the ${bytes.length} bytes hold`)
  const expected = info.sampleRate === rate ? info.frames : Math.ceil((info.frames * rate) / info.sampleRate)
  if (samples.length !== expected) throw new FuzzFailure(`${samples.length} samples at ${rate} Hz for ${info.frames} frames at ${info.sampleRate} Hz (expected ${expected})`)
  // Squared, as the spectrogram does: an accepted value must not overflow there either.
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i] * samples[i])) throw new FuzzFailure(`accepted, but sample ${i} is ${samples[i]}`)
  }
  if (c.kind === 'valid') {
    const {spec} = c
    const want = {frames: spec.frames, channels: spec.channels, sampleRate: spec.rate, bitsPerSample: spec.layout.bits, encoding: spec.layout.tag === 3 ? 'float' : 'int'}
    for (const [k, v] of Object.entries(want)) if (info[k] !== v) throw new FuzzFailure(`valid WAV read with ${k} ${info[k]}, written with ${v}`)
  }
}
