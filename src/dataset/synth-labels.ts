import {SAMPLE_RATE} from '../audio/index.js'
import {frameCount} from '../features/spectrogram.js'

/**
 * The time grid of a synthesized example and of its labels: everything the
 * label formula and the manifest checks need, and nothing about how the
 * audio was mixed.
 */
export interface LabelGeometry {
  sampleRate: number
  /** Example length in milliseconds (the course: 10 s). */
  durationMs: number
  /** Output steps of the model per example (the course: 1375). */
  ty: number
  /** Steps set to 1 after the end of each trigger (the course: 50). */
  labelSteps: number
}

/**
 * The course model's Conv1D (kernel 15, stride 4) in front of the GRUs is what
 * turns Tx spectrogram frames into Ty output steps; the labels must use the same Ty.
 */
const COURSE_CONV = {kernel: 15, stride: 4}

export function outputSteps(durationMs: number, sampleRate = SAMPLE_RATE): number {
  const tx = frameCount(Math.round((durationMs * sampleRate) / 1000))
  return Math.floor((tx - COURSE_CONV.kernel) / COURSE_CONV.stride) + 1
}

export const COURSE_GEOMETRY: LabelGeometry = {
  sampleRate: SAMPLE_RATE,
  durationMs: 10_000,
  ty: outputSteps(10_000),
  labelSteps: 50,
}

export function exampleSamples(g: LabelGeometry): number {
  return Math.round((g.durationMs * g.sampleRate) / 1000)
}

/**
 * The course's `segment_end`: the millisecond holding the clip's last sample.
 * `end` is exclusive, as everywhere in the manifest.
 */
export function endMsOf(end: number, sampleRate: number): number {
  return Math.floor(((end - 1) * 1000) / sampleRate)
}

/**
 * The course's `insert_ones`: seg_end_y = int(end_ms * Ty / durationMs), then
 * y[seg_end_y + 1 .. seg_end_y + labelSteps] = 1, clipped at Ty. Integer
 * arithmetic, so no float rounding can move a label by one step.
 */
export function insertOnes(y: Uint8Array, endMs: number, g: LabelGeometry): void {
  const segEndY = Math.floor((endMs * g.ty) / g.durationMs)
  const stop = Math.min(g.ty, segEndY + 1 + g.labelSteps)
  for (let i = segEndY + 1; i < stop; i++) y[i] = 1
}

/** Labels of one example from the end times (ms) of its triggers. */
export function labelsFromEnds(endsMs: readonly number[], g: LabelGeometry): Uint8Array {
  const y = new Uint8Array(g.ty)
  for (const endMs of endsMs) insertOnes(y, endMs, g)
  return y
}

/** Maximal runs of ones as [start, end) pairs: the manifest's compact form of a label row. */
export function labelRuns(y: ArrayLike<number>): Array<[number, number]> {
  const runs: Array<[number, number]> = []
  let start = -1
  for (let i = 0; i <= y.length; i++) {
    const on = i < y.length && y[i] !== 0
    if (on && start < 0) start = i
    if (!on && start >= 0) {
      runs.push([start, i])
      start = -1
    }
  }
  return runs
}
