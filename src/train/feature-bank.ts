import {writeFileAtomic} from '../util/atomic.js'
import {frameFile, unframeFile} from '../util/framed-file.js'
import {readInput} from '../util/read-input.js'
import {InputError} from '../util/errors.js'

/**
 * A bank of frozen features: sequences of front-end frames (e.g. speech-embedding steps of hours
 * of real speech), stored once so training can draw negatives from them in seconds instead of
 * running the front end again. Stored as 8-bit codes with a per-dimension scale (a quarter of
 * float32's size; the rounding error, at most half a code step, is far below the embedding's
 * own spread).
 *
 * File: "RWBANK1\n", a little-endian uint32 header length, a JSON header
 * ({bins, frontEnd, sequences: [{name, frames}], min[], step[], sources}), then the codes,
 * frame-major, sequence after sequence.
 */
export interface FeatureBank {
  bins: number
  /** Which front end made the frames (e.g. its weights' sha256). */
  frontEnd: string
  sequences: Array<{name: string; frames: number; data: Float32Array}>
  /** Free-form facts: sources, licences, hours. */
  sources?: unknown
}

const MAGIC = 'RWBANK1\n'

export function bankFrames(bank: FeatureBank): number {
  return bank.sequences.reduce((n, s) => n + s.frames, 0)
}

export function encodeBank(bank: FeatureBank): Buffer {
  const {bins} = bank
  const min = new Float64Array(bins).fill(Infinity)
  const max = new Float64Array(bins).fill(-Infinity)
  for (const s of bank.sequences) {
    for (let i = 0; i < s.data.length; i++) {
      const d = i % bins
      if (s.data[i] < min[d]) min[d] = s.data[i]
      if (s.data[i] > max[d]) max[d] = s.data[i]
    }
  }
  const step = Array.from(min, (lo, d) => (max[d] > lo ? (max[d] - lo) / 255 : 1))
  const header = {
    bins,
    frontEnd: bank.frontEnd,
    sequences: bank.sequences.map((s) => ({name: s.name, frames: s.frames})),
    min: Array.from(min, (v) => (Number.isFinite(v) ? v : 0)),
    step,
    sources: bank.sources,
  }
  const codes = Buffer.alloc(bankFrames(bank) * bins)
  let at = 0
  for (const s of bank.sequences) {
    for (let i = 0; i < s.data.length; i++) {
      const d = i % bins
      codes[at++] = Math.round((s.data[i] - min[d]) / step[d])
    }
  }
  return frameFile(MAGIC, header, codes)
}

export function decodeBank(bytes: Buffer, file: string): FeatureBank {
  const fail = (problem: string): never => {
    throw new InputError(file, problem)
  }
  const framed = unframeFile(bytes, MAGIC, file, 'feature bank')
  const header = framed.header as {bins: number; frontEnd: string; sequences: Array<{name: string; frames: number}>; min: number[]; step: number[]; sources?: unknown}
  const {bins, sequences, min, step} = header
  if (!Number.isInteger(bins) || bins < 1 || !Array.isArray(sequences) || !Array.isArray(min) || min.length !== bins || !Array.isArray(step) || step.length !== bins) fail('corrupt header')
  const frames = sequences.reduce((n, s) => n + (Number.isInteger(s.frames) && s.frames >= 0 ? s.frames : fail('corrupt header')), 0)
  const codes = framed.body
  if (codes.length !== frames * bins) fail(`truncated: ${codes.length} bytes of features, the header says ${frames * bins}`)
  let at = 0
  const decoded = sequences.map(({name, frames: n}) => {
    const data = new Float32Array(n * bins)
    for (let i = 0; i < data.length; i++) data[i] = min[i % bins] + codes[at++] * step[i % bins]
    return {name, frames: n, data}
  })
  return {bins, frontEnd: header.frontEnd, sequences: decoded, sources: header.sources}
}

export async function writeBank(file: string, bank: FeatureBank): Promise<void> {
  await writeFileAtomic(file, encodeBank(bank))
}

export async function readBank(file: string): Promise<FeatureBank> {
  return decodeBank(await readInput(file), file)
}
