import {readFile, stat} from 'node:fs/promises'

import {InputError} from '../util/errors.js'
import {decodeCompressed} from './compressed.js'
import {type AudioFormat, AudioFormatError, sniffFormat} from './formats.js'
import {resample} from './resample.js'
import {WavFormatError, decodeChannel, parseWavLayout} from './wav-header.js'

/** Every stage after ingestion works at the course's rate. */
export const SAMPLE_RATE = 44_100

/**
 * Float samples are full scale at +-1. Values a million times that are not
 * audio (random bytes read as floats are often 1e30 or 1e300), and finite ones
 * near 1e300 still overflowed to Infinity in the resampler and spectrogram.
 */
const MAX_FLOAT_FULL_SCALE = 1e6

export interface AudioInfo {
  file: string
  /** Told from the content, not the name. */
  format: AudioFormat
  sampleRate: number
  channels: number
  /** The WAV's or FLAC's sample size; 32 (float) for the lossy codecs, whose decoders give floats. */
  bitsPerSample: number
  encoding: 'int' | 'float'
  /** Samples per channel in the file, at its own rate. */
  frames: number
  durationSec: number
}

export interface Audio {
  info: AudioInfo
  /** Mono, 44.1 kHz, int16 units (not clipped, not rounded). */
  samples: Float64Array
}

export interface ReadOptions {
  /** Average all channels instead of taking channel 0 (the course's choice). */
  mix?: boolean
}

/**
 * Decode WAV bytes already in memory; `file` only names them in errors.
 * Synchronous and WAV only: files of any format go through decodeAudio.
 */
export function decodeWav(bytes: Uint8Array, file: string, options: ReadOptions = {}): Audio {
  let layout
  try {
    layout = parseWavLayout(bytes)
  } catch (error) {
    if (error instanceof WavFormatError) throw new InputError(file, error.message)
    throw error
  }
  const raw = decodeChannel(bytes, layout, options.mix ? 'mix' : 0)
  if (layout.encoding === 'float') checkFloatSamples(raw, file)
  const info: AudioInfo = {
    file,
    format: 'wav',
    sampleRate: layout.sampleRate,
    channels: layout.channels,
    bitsPerSample: layout.bitsPerSample,
    encoding: layout.encoding,
    frames: layout.frames,
    durationSec: layout.frames / layout.sampleRate,
  }
  return {info, samples: resample(raw, layout.sampleRate, SAMPLE_RATE)}
}

/** Samples in int16 units that came from floats: finite and near full scale, or the file is corrupt. */
function checkFloatSamples(raw: Float64Array, file: string): void {
  const limit = MAX_FLOAT_FULL_SCALE * 32768
  for (let i = 0; i < raw.length; i++) {
    if (!Number.isFinite(raw[i])) throw new InputError(file, `sample ${i} is ${raw[i]} (not a finite number)`)
    if (Math.abs(raw[i]) > limit) throw new InputError(file, `sample ${i} is ${(raw[i] / 32768).toExponential(2)} times full scale (float samples lie near -1..1; the file is corrupt)`)
  }
}

/**
 * Decode audio bytes of any format rnn-wake reads (WAV, FLAC, Ogg Vorbis,
 * Ogg Opus, MP3; told from the content): one channel (channel 0, or the mean
 * with `mix`), at 44.1 kHz, in int16 units, exactly as a WAV is read.
 */
export async function decodeAudio(bytes: Uint8Array, file: string, options: ReadOptions = {}): Promise<Audio> {
  let format: AudioFormat
  try {
    format = sniffFormat(bytes)
  } catch (error) {
    if (error instanceof AudioFormatError) throw new InputError(file, error.message)
    throw error
  }
  if (format === 'wav') return decodeWav(bytes, file, options)
  let pcm
  try {
    pcm = await decodeCompressed(bytes, format)
  } catch (error) {
    if (error instanceof AudioFormatError) throw new InputError(file, error.message)
    throw error
  }
  const {channelData, frames, sampleRate, channels} = pcm
  const raw = new Float64Array(frames)
  const used = options.mix ? channelData : channelData.slice(0, 1)
  const scale = 32768 / used.length
  for (const c of used) for (let i = 0; i < frames; i++) raw[i] += c[i]
  for (let i = 0; i < frames; i++) raw[i] *= scale
  checkFloatSamples(raw, file)
  const info: AudioInfo = {
    file,
    format,
    sampleRate,
    channels,
    bitsPerSample: pcm.bitsPerSample ?? 32,
    encoding: pcm.bitsPerSample === undefined ? 'float' : 'int',
    frames,
    durationSec: frames / sampleRate,
  }
  return {info, samples: resample(raw, sampleRate, SAMPLE_RATE)}
}

/** Read and decode an audio file (see decodeAudio for the formats). */
export async function readAudio(file: string, options: ReadOptions = {}): Promise<Audio> {
  return decodeAudio(await readBytes(file), file, options)
}


/** Read a whole input file, turning filesystem failures into one-line user errors. */
export async function readBytes(file: string): Promise<Uint8Array> {
  let size: number
  try {
    const st = await stat(file)
    if (st.isDirectory()) throw new InputError(file, 'is a directory, not an audio file')
    size = st.size
  } catch (error) {
    if (error instanceof InputError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new InputError(file, code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(error))
  }
  if (size === 0) throw new InputError(file, 'empty file')
  try {
    return new Uint8Array(await readFile(file))
  } catch (error) {
    throw new InputError(file, String((error as Error).message))
  }
}
