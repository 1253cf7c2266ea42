/**
 * FLAC, Ogg Vorbis, Ogg Opus and MP3 through the @wasm-audio-decoders family
 * (libFLAC, libvorbis, libopus and mpg123 compiled to WebAssembly, embedded in
 * the npm packages: no native binary, nothing fetched at install or run time).
 *
 * The decoders are asynchronous (their WebAssembly compiles on first use) and
 * decode a whole file at once here: they can take a file in pieces, but the
 * resampler to 44.1 kHz needs the whole signal anyway, so a long compressed
 * file is held in memory (WAV keeps streaming from disk; see source.ts).
 *
 * The decoders are lenient: they skip what they cannot parse and decode a cut
 * file to fewer samples without complaint. So the container is checked here
 * first (FLAC's STREAMINFO and sample count, Ogg's page checksums and
 * end-of-stream page, MP3's frame header and Xing/Info frame count), and a
 * decode that reports errors or no samples is a corrupt file.
 */
import {AudioFormatError, type AudioFormat, FORMAT_NAMES, id3v2Size, isMpegFrameHeader} from './formats.js'
import {checkOgg} from './ogg.js'
import {MAX_SAMPLE_RATE, MIN_SAMPLE_RATE} from './wav-header.js'

export interface DecodedPcm {
  format: AudioFormat
  sampleRate: number
  channels: number
  /** Bit depth of a FLAC; undefined for the lossy codecs (their decoders give floats). */
  bitsPerSample?: number
  /** One Float32Array per channel, full scale +-1. */
  channelData: Float32Array[]
  frames: number
}

interface DecodeResult {
  channelData: Float32Array[]
  samplesDecoded: number
  sampleRate: number
  errors: Array<{message: string; frameNumber?: number; inputBytes?: number}>
}

interface Decoder {
  ready: Promise<void>
  free(): void
}

/**
 * Run one decoder over the whole file and free it (its WebAssembly memory)
 * whatever happens. The decoders also print every error they meet with
 * console.error (libopus, libFLAC, mpg123); the same errors come back in
 * `errors`, which become the one-line message, so the printing is held back
 * while they run.
 */
async function withDecoder<D extends Decoder>(make: () => Promise<D>, run: (d: D) => DecodeResult | Promise<DecodeResult>): Promise<DecodeResult> {
  muteConsole()
  const decoder = await make().catch((error: unknown) => {
    unmuteConsole()
    throw error
  })
  try {
    await decoder.ready
    return await run(decoder)
  } finally {
    unmuteConsole()
    try {
      decoder.free()
    } catch {
      // A decoder that failed half-way may have nothing left to free.
    }
  }
}

/** Decodes may overlap (clip folders load several files at once): the console is restored when the last one ends. */
let muted = 0
let saved: Pick<Console, 'error' | 'warn'> | undefined

function muteConsole(): void {
  if (muted++ > 0) return
  saved = {error: console.error, warn: console.warn}
  console.error = () => {}
  console.warn = () => {}
}

function unmuteConsole(): void {
  if (--muted > 0 || !saved) return
  console.error = saved.error
  console.warn = saved.warn
  saved = undefined
}

interface FlacStreamInfo {
  sampleRate: number
  channels: number
  bitsPerSample: number
  /** 0 when the encoder did not know (a stream). */
  totalSamples: number
  maxBlockSize: number
}

/** "fLaC", then metadata blocks, the first of which must be STREAMINFO. */
export function parseFlacHeader(bytes: Uint8Array): FlacStreamInfo {
  if (bytes.length < 8 + 34) throw new AudioFormatError(`truncated FLAC header (only ${bytes.length} bytes)`)
  if ((bytes[4] & 0x7f) !== 0) throw new AudioFormatError('corrupt FLAC: the first metadata block is not STREAMINFO')
  const length = (bytes[5] << 16) | (bytes[6] << 8) | bytes[7]
  if (length < 34) throw new AudioFormatError(`corrupt FLAC: STREAMINFO of ${length} bytes (34 expected)`)
  const s = 8
  const maxBlockSize = (bytes[s + 2] << 8) | bytes[s + 3]
  const sampleRate = (bytes[s + 10] << 12) | (bytes[s + 11] << 4) | (bytes[s + 12] >> 4)
  const channels = ((bytes[s + 12] >> 1) & 7) + 1
  const bitsPerSample = (((bytes[s + 12] & 1) << 4) | (bytes[s + 13] >> 4)) + 1
  const totalSamples = (bytes[s + 13] & 0x0f) * 2 ** 32 + ((bytes[s + 14] << 24) >>> 0) + (bytes[s + 15] << 16) + (bytes[s + 16] << 8) + bytes[s + 17]
  checkRate(sampleRate)
  // libFLAC-in-WebAssembly's float conversion gives Infinity for 12- and 20-bit samples, and its frame parser loses sync on 4..7- or 32-bit ones.
  if (![8, 16, 24].includes(bitsPerSample)) throw new AudioFormatError(`unsupported ${bitsPerSample}-bit FLAC (rnn-wake reads 8-, 16- and 24-bit FLAC); convert it, e.g. flac -d, then sox in.wav -b 16 out.wav`)
  // Walk the rest of the metadata so that a file cut inside it says so.
  let pos = 4
  for (;;) {
    if (pos + 4 > bytes.length) throw new AudioFormatError('truncated: the file ends inside the FLAC metadata')
    const last = (bytes[pos] & 0x80) !== 0
    const size = (bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3]
    pos += 4 + size
    if (pos > bytes.length) throw new AudioFormatError('truncated: the file ends inside the FLAC metadata')
    if (last) break
  }
  if (pos >= bytes.length) throw new AudioFormatError('no audio frames after the FLAC metadata (truncated?)')
  return {sampleRate, channels, bitsPerSample, totalSamples, maxBlockSize}
}

function checkRate(rate: number): void {
  if (rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE) {
    throw new AudioFormatError(`unsupported sample rate ${rate} Hz (rnn-wake reads ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz)`)
  }
}

interface MpegInfo {
  channels: number
  /** Samples per frame (384, 1152 or 576). */
  frameSamples: number
  /** Frame count from a Xing/Info frame, when there is one. */
  frames?: number
}

/** The first frame header after any ID3v2 tag, and the frame count a Xing/Info frame (LAME's) records. */
export function parseMpegHeader(bytes: Uint8Array): MpegInfo {
  const at = id3v2Size(bytes)
  if (!isMpegFrameHeader(bytes, at)) throw new AudioFormatError(`corrupt MP3: no MPEG audio frame ${at > 0 ? 'after the ID3 tag' : 'at the start'}`)
  const version = (bytes[at + 1] >> 3) & 3 // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
  const layer = 4 - ((bytes[at + 1] >> 1) & 3)
  const mono = bytes[at + 3] >> 6 === 3
  const frameSamples = layer === 1 ? 384 : layer === 2 || version === 3 ? 1152 : 576
  const info: MpegInfo = {channels: mono ? 1 : 2, frameSamples}
  if (layer === 3) {
    const side = version === 3 ? (mono ? 17 : 32) : mono ? 9 : 17
    const tag = at + 4 + side
    if (tag + 12 <= bytes.length) {
      const id = String.fromCharCode(...bytes.subarray(tag, tag + 4))
      if ((id === 'Xing' || id === 'Info') && bytes[tag + 7] & 1) {
        info.frames = ((bytes[tag + 8] << 24) >>> 0) + (bytes[tag + 9] << 16) + (bytes[tag + 10] << 8) + bytes[tag + 11]
      }
    }
  }
  return info
}

const MAX_CHANNELS = 255

async function decodeWith(format: Exclude<AudioFormat, 'wav'>, bytes: Uint8Array): Promise<DecodeResult> {
  switch (format) {
    case 'flac': {
      const {FLACDecoder} = await import('@wasm-audio-decoders/flac')
      return withDecoder(async () => new FLACDecoder(), (d) => d.decodeFile(bytes))
    }
    case 'ogg-vorbis': {
      const {OggVorbisDecoder} = await import('@wasm-audio-decoders/ogg-vorbis')
      return withDecoder(async () => new OggVorbisDecoder(), (d) => d.decodeFile(bytes))
    }
    case 'ogg-opus': {
      const {OggOpusDecoder} = await import('ogg-opus-decoder')
      return withDecoder(async () => new OggOpusDecoder(), (d) => d.decodeFile(bytes))
    }
    case 'mp3': {
      const {MPEGDecoder} = await import('mpg123-decoder')
      return withDecoder(async () => new MPEGDecoder(), (d) => d.decode(bytes))
    }
  }
}

/**
 * Decode a FLAC, Ogg Vorbis, Ogg Opus or MP3 file held in memory. Throws
 * AudioFormatError (a problem with the bytes) for anything it cannot use.
 */
export async function decodeCompressed(bytes: Uint8Array, format: Exclude<AudioFormat, 'wav'>): Promise<DecodedPcm> {
  const name = FORMAT_NAMES[format]
  let flac: FlacStreamInfo | undefined
  let mpeg: MpegInfo | undefined
  if (format === 'flac') flac = parseFlacHeader(bytes)
  else if (format === 'mp3') mpeg = parseMpegHeader(bytes)
  else checkOgg(bytes)

  let result: DecodeResult
  try {
    result = await decodeWith(format, bytes)
  } catch (error) {
    // The decoders throw plain Errors (and WebAssembly traps) on what they cannot parse.
    const message = error instanceof Error ? error.message : String(error)
    throw new AudioFormatError(`corrupt ${name}: the decoder failed (${message.split('\n')[0].slice(0, 160)})`)
  }
  const {errors, sampleRate, samplesDecoded} = result
  if (errors.length > 0) {
    const e = errors[0]
    const where = e.frameNumber !== undefined ? ` at frame ${e.frameNumber}` : ''
    throw new AudioFormatError(`corrupt ${name}: ${errors.length} decoding error${errors.length === 1 ? '' : 's'}, the first${where}: ${String(e.message).slice(0, 160)}`)
  }
  if (!(samplesDecoded > 0)) throw new AudioFormatError(`no audio samples could be decoded from the ${name} data (corrupt or truncated)`)
  checkRate(sampleRate)
  // mpg123 always gives two channels; the frame header says whether the MP3 is mono.
  const channels = mpeg ? Math.min(mpeg.channels, result.channelData.length) : result.channelData.length
  if (channels < 1 || channels > MAX_CHANNELS) throw new AudioFormatError(`corrupt ${name}: the decoder reports ${channels} channels`)
  const channelData = result.channelData.slice(0, channels)
  for (const c of channelData) if (c.length < samplesDecoded) throw new AudioFormatError(`corrupt ${name}: a channel holds ${c.length} of ${samplesDecoded} samples`)

  let frames = samplesDecoded
  if (flac && flac.totalSamples > 0 && samplesDecoded < flac.totalSamples) {
    // The decoders' frame parser (codec-parser) drops a short last frame now and then (4097 samples from
    // flac -8 decode to 4096): one block missing at the end is that, and is filled with silence; more is a cut file.
    if (flac.totalSamples - samplesDecoded > Math.max(flac.maxBlockSize, 16)) {
      throw new AudioFormatError(`truncated: ${samplesDecoded} of the ${flac.totalSamples} samples STREAMINFO declares could be decoded`)
    }
    frames = flac.totalSamples
  }
  if (mpeg?.frames !== undefined) {
    // Gapless decoding drops the encoder delay and padding (under two frames and LAME's 529 + 576 samples).
    const expected = mpeg.frames * mpeg.frameSamples
    if (samplesDecoded < expected - 2 * mpeg.frameSamples - 1105) {
      throw new AudioFormatError(`truncated: ${samplesDecoded} samples decoded, the Xing/Info frame declares ${mpeg.frames} frames (about ${expected} samples)`)
    }
  }
  if (flac) {
    // The decoder divides by 2^(bits-1) - 1; undo that, so a FLAC reads exactly as the WAV it was made from.
    const max = 2 ** (flac.bitsPerSample - 1)
    for (const c of channelData) for (let i = 0; i < samplesDecoded; i++) c[i] = Math.round(c[i] * (max - 1)) / max
  }
  const fit = (c: Float32Array): Float32Array => {
    if (c.length === frames) return c
    if (c.length > frames) return c.subarray(0, frames)
    const out = new Float32Array(frames)
    out.set(c.subarray(0, samplesDecoded))
    return out
  }
  return {
    format,
    sampleRate,
    channels,
    bitsPerSample: flac?.bitsPerSample,
    channelData: channelData.map(fit),
    frames,
  }
}
