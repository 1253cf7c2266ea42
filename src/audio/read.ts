import {readFile, stat} from 'node:fs/promises'

import {InputError} from '../util/errors.js'
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
  sampleRate: number
  channels: number
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

/** Decode WAV bytes already in memory; `file` only names them in errors. */
export function decodeWav(bytes: Uint8Array, file: string, options: ReadOptions = {}): Audio {
  let layout
  try {
    layout = parseWavLayout(bytes)
  } catch (error) {
    if (error instanceof WavFormatError) throw new InputError(file, error.message)
    throw error
  }
  const raw = decodeChannel(bytes, layout, options.mix ? 'mix' : 0)
  const limit = layout.encoding === 'float' ? MAX_FLOAT_FULL_SCALE * 32768 : Infinity
  for (let i = 0; i < raw.length; i++) {
    if (!Number.isFinite(raw[i])) throw new InputError(file, `sample ${i} is ${raw[i]} (not a finite number)`)
    if (Math.abs(raw[i]) > limit) throw new InputError(file, `sample ${i} is ${(raw[i] / 32768).toExponential(2)} times full scale (float samples lie near -1..1; the file is corrupt)`)
  }
  const info: AudioInfo = {
    file,
    sampleRate: layout.sampleRate,
    channels: layout.channels,
    bitsPerSample: layout.bitsPerSample,
    encoding: layout.encoding,
    frames: layout.frames,
    durationSec: layout.frames / layout.sampleRate,
  }
  return {info, samples: resample(raw, layout.sampleRate, SAMPLE_RATE)}
}

export async function readAudio(file: string, options: ReadOptions = {}): Promise<Audio> {
  return decodeWav(await readBytes(file), file, options)
}

/** Read a whole input file, turning filesystem failures into one-line user errors. */
export async function readBytes(file: string): Promise<Uint8Array> {
  let size: number
  try {
    const st = await stat(file)
    if (st.isDirectory()) throw new InputError(file, 'is a directory, not a WAV file')
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
