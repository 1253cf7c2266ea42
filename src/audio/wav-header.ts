/**
 * RIFF/WAVE container parsing and sample decoding.
 *
 * Why not wavefile for reading: it trusts the header's chunk sizes (a
 * truncated file decodes silently to fewer samples, a data chunk claiming
 * 4 GB is taken at its word) and it decodes WAVE_FORMAT_EXTENSIBLE float as
 * integers. Users need a precise one-line reason when a file is bad, so the
 * container walk and the (small) PCM/float decode live here; wavefile still
 * writes our WAVs and supplies the resampler.
 */

export const FORMAT_PCM = 1
export const FORMAT_FLOAT = 3
export const FORMAT_EXTENSIBLE = 0xfffe

/** Codes a user might meet, so the error names the codec rather than a number. */
const CODEC_NAMES: Record<number, string> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'mu-law',
  0x11: 'IMA ADPCM',
  0x31: 'GSM 6.10',
  0x50: 'MPEG',
  0x55: 'MP3',
}

export interface WavLayout {
  /** 1 = integer PCM, 3 = IEEE float (EXTENSIBLE resolved to its sub-format). */
  encoding: 'int' | 'float'
  channels: number
  sampleRate: number
  bitsPerSample: number
  blockAlign: number
  dataOffset: number
  dataBytes: number
  /** Sample frames (samples per channel). */
  frames: number
}

/** A problem with the bytes; the caller adds the file name. */
export class WavFormatError extends Error {}

function fourCC(view: DataView, at: number): string {
  return String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3))
}

/** The rates a WAV may have; the same range a model's rnn-wake.json allows for its front end. */
export const MIN_SAMPLE_RATE = 1000
export const MAX_SAMPLE_RATE = 1_000_000

/**
 * Data chunk sizes a streaming writer leaves when it cannot seek back to patch
 * the header (arecord to a pipe, sox -t wav -: 0xFFFFFFFF or 0x7FFFFFFF; many
 * streaming recorders: 0). Such a chunk runs to the end of the file.
 */
const STREAMING_SIZES = new Set([0, 0xffffffff, 0x7fffffff])

/** True for a data chunk size that means "until the end of the file". */
export function isStreamingSize(size: number): boolean {
  return STREAMING_SIZES.has(size)
}

export function parseWavLayout(bytes: Uint8Array): WavLayout {
  if (bytes.length === 0) throw new WavFormatError('empty file')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length < 12) throw new WavFormatError(`not a WAV file (only ${bytes.length} bytes)`)
  const riff = fourCC(view, 0)
  if (riff === 'RIFX') throw new WavFormatError('big-endian RIFX WAV is not supported')
  if ((riff !== 'RIFF' && riff !== 'RF64') || fourCC(view, 8) !== 'WAVE') throw new WavFormatError('not a WAV file (no RIFF/WAVE header)')
  /** RF64 (EBU Tech 3306, WAV over 4 GB): the real data size is in a ds64 chunk, the data chunk says 0xFFFFFFFF. */
  let ds64DataBytes: number | undefined

  let fmt: Omit<WavLayout, 'dataOffset' | 'dataBytes' | 'frames'> | undefined
  let pos = 12
  while (pos + 8 <= bytes.length) {
    const id = fourCC(view, pos)
    const size = view.getUint32(pos + 4, true)
    const body = pos + 8
    const available = bytes.length - body
    if (id === 'ds64' && riff === 'RF64') {
      if (size < 24 || available < 24) throw new WavFormatError('truncated ds64 chunk')
      ds64DataBytes = view.getUint32(body + 8, true) + view.getUint32(body + 12, true) * 2 ** 32
    } else if (id === 'fmt ') {
      if (size < 16 || available < 16) throw new WavFormatError('truncated fmt chunk')
      fmt = parseFmt(view, body, Math.min(size, available))
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('data chunk before fmt chunk')
      let dataBytes = size
      if (riff === 'RF64' && size === 0xffffffff) {
        if (ds64DataBytes === undefined) throw new WavFormatError('RF64 WAV without a ds64 chunk')
        dataBytes = ds64DataBytes
        if (dataBytes > available) throw new WavFormatError(`truncated data chunk (expected ${dataBytes} bytes, found ${available})`)
      } else if (size > available || (size === 0 && available > 0)) {
        if (!isStreamingSize(size)) {
          throw new WavFormatError(`truncated data chunk (expected ${size} bytes, found ${available})`)
        }
        dataBytes = available - (available % fmt.blockAlign)
      }
      if (dataBytes === 0) throw new WavFormatError('no audio samples (empty data chunk)')
      const frames = Math.floor(dataBytes / fmt.blockAlign)
      if (frames === 0) throw new WavFormatError(`data chunk of ${dataBytes} bytes holds no whole sample frame`)
      return {...fmt, dataOffset: body, dataBytes: frames * fmt.blockAlign, frames}
    }
    // Chunks are word-aligned: an odd size is followed by one pad byte.
    pos = body + size + (size & 1)
  }
  if (!fmt) throw new WavFormatError('no fmt chunk')
  throw new WavFormatError('no data chunk')
}

function parseFmt(view: DataView, at: number, size: number): Omit<WavLayout, 'dataOffset' | 'dataBytes' | 'frames'> {
  let tag = view.getUint16(at, true)
  const channels = view.getUint16(at + 2, true)
  const sampleRate = view.getUint32(at + 4, true)
  const blockAlign = view.getUint16(at + 12, true)
  const bitsPerSample = view.getUint16(at + 14, true)
  if (tag === FORMAT_EXTENSIBLE) {
    if (size < 40) throw new WavFormatError('truncated WAVE_FORMAT_EXTENSIBLE fmt chunk')
    // The sub-format GUID starts with the plain format code.
    tag = view.getUint16(at + 24, true)
  }
  if (tag !== FORMAT_PCM && tag !== FORMAT_FLOAT) {
    const name = CODEC_NAMES[tag] ?? `format code ${tag}`
    throw new WavFormatError(`unsupported codec ${name} (format ${tag}); convert it to PCM, e.g. sox in.wav -e signed-integer out.wav`)
  }
  if (channels === 0) throw new WavFormatError('fmt chunk declares 0 channels')
  if (sampleRate === 0) throw new WavFormatError('fmt chunk declares a sample rate of 0 Hz')
  // Everything is resampled to 44.1 kHz, and the cost follows the rate, not the
  // file size: a 45-byte file claiming 4294967295 Hz asked for a 9 GB filter
  // kernel, and 1 kB at 1 Hz for 44 million samples. Real audio lies well inside.
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new WavFormatError(`unsupported sample rate ${sampleRate} Hz (rnn-wake reads ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz)`)
  }
  const encoding = tag === FORMAT_FLOAT ? 'float' : 'int'
  const okBits = encoding === 'float' ? [32, 64] : [8, 16, 24, 32]
  if (!okBits.includes(bitsPerSample)) {
    throw new WavFormatError(`unsupported ${bitsPerSample}-bit ${encoding === 'float' ? 'float' : 'integer'} samples`)
  }
  const expectedAlign = (bitsPerSample / 8) * channels
  if (blockAlign !== expectedAlign) {
    throw new WavFormatError(`inconsistent fmt chunk (block align ${blockAlign}, expected ${expectedAlign})`)
  }
  return {encoding, channels, sampleRate, bitsPerSample, blockAlign}
}

/**
 * Decode one channel (or the mean of all channels) to Float64 in int16 units:
 * integers of other depths are scaled to the int16 range, floats (full scale
 * +-1) multiplied by 32768, so every source lands on the scale the course's
 * spectrogram was defined on.
 */
export function decodeChannel(bytes: Uint8Array, layout: WavLayout, channel: number | 'mix'): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const {frames, channels, blockAlign, dataOffset, bitsPerSample, encoding} = layout
  const width = bitsPerSample / 8
  const read = sampleReader(view, encoding, bitsPerSample)
  const out = new Float64Array(frames)
  const first = channel === 'mix' ? 0 : channel
  const last = channel === 'mix' ? channels - 1 : channel
  const scale = 1 / (last - first + 1)
  for (let i = 0; i < frames; i++) {
    const base = dataOffset + i * blockAlign
    let sum = 0
    for (let c = first; c <= last; c++) sum += read(base + c * width)
    out[i] = sum * scale
  }
  return out
}

function sampleReader(view: DataView, encoding: 'int' | 'float', bits: number): (at: number) => number {
  if (encoding === 'float') {
    return bits === 32 ? (at) => view.getFloat32(at, true) * 32768 : (at) => view.getFloat64(at, true) * 32768
  }
  switch (bits) {
    case 8:
      // 8-bit WAV is unsigned with 128 as silence.
      return (at) => (view.getUint8(at) - 128) * 256
    case 16:
      return (at) => view.getInt16(at, true)
    case 24:
      return (at) => ((view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) / 256)
    default:
      return (at) => view.getInt32(at, true) / 65536
  }
}
