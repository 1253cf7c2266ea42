import {EMBEDDING_SIZE} from '../../features/speech-embedding.js'
import {writeFileAtomic} from '../../util/atomic.js'
import {frameFile, unframeFile} from '../../util/framed-file.js'
import {readInput} from '../../util/read-input.js'
import {InputError} from '../../util/errors.js'

/**
 * Experimental (train --voice-map; no sure win on the real-voice benchmark, bench/RESULTS.md). A voice map:
 * a linear map of speech-embedding steps (each read with its neighbours) toward where people's voices put
 * the same speech. Fit by ridge regression on sentences read by people and by the
 * synthesizers, aligned step to step (bench/embedding/make-voice-map.mjs); during training half the
 * example rows (the user's clips of the word and of other words, never the word bank's or the
 * real-speech bank's) go through it, so the networks also learn the word as it sounds nearer people.
 * A map learned as well by a small neural network fit the held-out sentences no better (6,672 against
 * 6,679 per step), so it stays linear. Training-only: a model never carries it.
 *
 * File: "RWVMAP1\n", a little-endian uint32 header length, a JSON header ({context, bins, frontEnd,
 * sources}), then the weights as float64, ((2 context + 1) bins + 1) rows (the last the bias) of `bins`.
 */
export interface VoiceMap {
  /** Steps read either side of the step mapped. */
  context: number
  /** The features' width (96). */
  bins: number
  /** Which front end made the features it maps (its weights' sha256). */
  frontEnd: string
  /** Rows: input feature ((c + context) bins + k for step t + c, dimension k; the last is the bias); columns: output dimension. */
  weights: Float64Array
  sources?: unknown
}

/** Share of the example rows mapped in a batch. */
export const VOICE_MAP_SHARE = 0.5

const MAGIC = 'RWVMAP1\n'

/** Input features of the map: (2 context + 1) steps of `bins` and a bias. */
export function mapInputs(context: number, bins = EMBEDDING_SIZE): number {
  return (2 * context + 1) * bins + 1
}

/**
 * `part` (steps x bins) mapped in place; steps beyond either end read the nearest step. Written by hand:
 * a ~28 k multiply-add product per step, on rows of a few hundred steps.
 */
export function mapVoice(part: Float32Array, map: VoiceMap): void {
  const source = Float32Array.from(part)
  mapSteps(source, map, 0, source.length / map.bins, part)
}

/**
 * Steps [from, to) of `source` mapped into `out` (same layout). Each output sums the bias, then the inputs in
 * order, in float64; the output dimension is innermost so the weights are read in memory order.
 */
function mapSteps(source: Float32Array, map: VoiceMap, from: number, to: number, out: Float32Array): void {
  const {bins: D, context, weights: W} = map
  const steps = source.length / D
  const bias = (mapInputs(context, D) - 1) * D
  const sums = new Float64Array(D)
  for (let t = from; t < to; t++) {
    for (let d = 0; d < D; d++) sums[d] = W[bias + d]
    for (let c = -context; c <= context; c++) {
      const u = Math.min(steps - 1, Math.max(0, t + c))
      const row = (c + context) * D
      for (let k = 0; k < D; k++) {
        const x = source[u * D + k]
        const w = (row + k) * D
        for (let d = 0; d < D; d++) sums[d] += x * W[w + d]
      }
    }
    for (let d = 0; d < D; d++) out[t * D + d] = sums[d]
  }
}

/**
 * A voice map over one training run's examples: each example is mapped whole the first time a batch draws it
 * and kept, so a batch's crop of it costs a copy (a batch maps ~600 steps, ~35 ms in this loop; a run draws the
 * same few thousand examples over and over).
 */
export interface VoiceMapper {
  map: VoiceMap
  wholes: WeakMap<Float32Array, Float32Array>
}

export function voiceMapper(map: VoiceMap): VoiceMapper {
  return {map, wholes: new WeakMap()}
}

/**
 * Steps `first`.. of `data` (an example, steps x bins, kept by the caller: it keys the whole's mapping) mapped into `out`: equal, bit for bit, to mapVoice on that
 * crop alone. Only the crop's first `context` steps differ from the whole example's mapping (their earlier
 * neighbours are cut off), so those are mapped from the crop itself.
 */
export function mapCrop(mapper: VoiceMapper, data: Float32Array, first: number, out: Float32Array): void {
  const {map, wholes} = mapper
  const D = map.bins
  let whole = wholes.get(data)
  if (whole === undefined) {
    whole = new Float32Array(data.length)
    mapSteps(data, map, 0, data.length / D, whole)
    wholes.set(data, whole)
  }
  const crop = data.subarray(first * D)
  const head = Math.min(map.context, crop.length / D)
  out.set(whole.subarray((first + head) * D), head * D)
  mapSteps(crop, map, 0, head, out)
}

/** Sums of a ridge regression, filled pair by pair. */
export interface MapFit {
  context: number
  bins: number
  xtx: Float64Array
  xty: Float64Array
  pairs: number
}

export function startFit(context: number, bins = EMBEDDING_SIZE): MapFit {
  const F = mapInputs(context, bins)
  return {context, bins, xtx: new Float64Array(F * F), xty: new Float64Array(F * bins), pairs: 0}
}

/** One aligned pair: step `i` of `from` (steps x bins, with its neighbours) should map to step `j` of `to`. */
export function addPair(fit: MapFit, from: Float32Array, i: number, to: Float32Array, j: number): void {
  const {context, bins: D, xtx, xty} = fit
  const F = mapInputs(context, D)
  const steps = from.length / D
  const x = new Float64Array(F)
  for (let c = -context; c <= context; c++) {
    const t = Math.min(steps - 1, Math.max(0, i + c))
    for (let k = 0; k < D; k++) x[(c + context) * D + k] = from[t * D + k]
  }
  x[F - 1] = 1
  for (let a = 0; a < F; a++) {
    const xa = x[a]
    if (xa === 0) continue
    for (let b = 0; b < F; b++) xtx[a * F + b] += xa * x[b]
    for (let d = 0; d < D; d++) xty[a * D + d] += xa * to[j * D + d]
  }
  fit.pairs++
}

/**
 * The ridge solution (penalty `ridge` per thousand pairs on every weight but the bias), by Cholesky.
 * Written by hand: a 289 x 289 solve, once, where no small npm package solves positive-definite systems in float64.
 */
export function solveFit(fit: MapFit, ridge: number, frontEnd: string, sources?: unknown): VoiceMap {
  const {context, bins: D} = fit
  const F = mapInputs(context, D)
  const A = Float64Array.from(fit.xtx)
  const lambda = (ridge * fit.pairs) / 1000
  for (let a = 0; a < F - 1; a++) A[a * F + a] += lambda
  const L = new Float64Array(F * F)
  for (let i = 0; i < F; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * F + j]
      for (let k = 0; k < j; k++) s -= L[i * F + k] * L[j * F + k]
      L[i * F + j] = i === j ? Math.sqrt(s) : s / L[j * F + j]
    }
  }
  const W = new Float64Array(F * D)
  const y = new Float64Array(F)
  for (let d = 0; d < D; d++) {
    for (let i = 0; i < F; i++) {
      let s = fit.xty[i * D + d]
      for (let k = 0; k < i; k++) s -= L[i * F + k] * y[k]
      y[i] = s / L[i * F + i]
    }
    for (let i = F - 1; i >= 0; i--) {
      let s = y[i]
      for (let k = i + 1; k < F; k++) s -= L[k * F + i] * W[k * D + d]
      W[i * D + d] = s / L[i * F + i]
    }
  }
  if (!W.every(Number.isFinite)) throw new Error('voice map: the fit is singular (too few pairs?)')
  return {context, bins: D, frontEnd, weights: W, ...(sources === undefined ? {} : {sources})}
}

export function encodeVoiceMap(map: VoiceMap): Buffer {
  const weights = Buffer.alloc(map.weights.length * 8)
  map.weights.forEach((w, i) => weights.writeDoubleLE(w, i * 8))
  return frameFile(MAGIC, {context: map.context, bins: map.bins, frontEnd: map.frontEnd, sources: map.sources}, weights)
}

export function decodeVoiceMap(bytes: Buffer, file: string): VoiceMap {
  const fail = (problem: string): never => {
    throw new InputError(file, problem)
  }
  const framed = unframeFile(bytes, MAGIC, file, 'voice map')
  const header = framed.header as {context: number; bins: number; frontEnd: string; sources?: unknown}
  const {context, bins, frontEnd} = header
  const body = framed.body
  if (!Number.isInteger(context) || context < 0 || context > 8 || !Number.isInteger(bins) || bins < 1 || bins > 4096 || typeof frontEnd !== 'string') fail('corrupt header')
  const count = mapInputs(context, bins) * bins
  if (body.length !== count * 8) fail(`truncated: ${body.length} bytes of weights, the header says ${count * 8}`)
  const weights = new Float64Array(count)
  for (let i = 0; i < count; i++) weights[i] = body.readDoubleLE(i * 8)
  if (!weights.every(Number.isFinite)) fail('corrupt weights (not finite)')
  return {context, bins, frontEnd, weights, ...(header.sources === undefined ? {} : {sources: header.sources})}
}

export async function writeVoiceMap(file: string, map: VoiceMap): Promise<void> {
  await writeFileAtomic(file, encodeVoiceMap(map))
}

export async function readVoiceMap(file: string): Promise<VoiceMap> {
  return decodeVoiceMap(await readInput(file), file)
}
