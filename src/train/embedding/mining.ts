import * as tf from '@tensorflow/tfjs'

import {EMBEDDING_SIZE} from '../../features/speech-embedding.js'
import type {FeatureBank} from '../feature-bank.js'
import type {HardWindow} from './data.js'

/**
 * Hard-negative mining on the real-speech bank: score every step of the bank with the network
 * being trained and keep the places where it fires most, so the next steps train on them more
 * often (openWakeWord and most wake-word recipes do this over far more speech; the bank's
 * plain crops would find a 1-in-10,000 moment only by chance).
 */

/** Steps per window scored at once: windows run from a fresh state, as training crops do. */
const WINDOW_STEPS = 96
/** Windows per predict call. */
const WINDOWS_PER_CALL = 128
/** Peaks closer than this many steps are one place (the trigger's own refractory second). */
const PEAK_SPACING = 12

export interface MiningOptions {
  /** Most places kept. */
  count: number
  /** Places must score at least this. */
  minScore: number
}

/** Every step's trigger score on the bank, per sequence, from windows of WINDOW_STEPS run from a fresh state. */
export function scoreBank(model: tf.LayersModel, bank: FeatureBank): Float32Array[] {
  const scores = bank.sequences.map((s) => new Float32Array(s.frames))
  const windows: Array<{sequence: number; start: number; steps: number}> = []
  bank.sequences.forEach((s, sequence) => {
    for (let start = 0; start < s.frames; start += WINDOW_STEPS) windows.push({sequence, start, steps: Math.min(WINDOW_STEPS, s.frames - start)})
  })
  for (let first = 0; first < windows.length; first += WINDOWS_PER_CALL) {
    const group = windows.slice(first, first + WINDOWS_PER_CALL)
    // Short tail windows are zero-padded at the end: a GRU's earlier steps do not see the padding.
    const x = new Float32Array(group.length * WINDOW_STEPS * EMBEDDING_SIZE)
    group.forEach((w, k) => {
      const data = bank.sequences[w.sequence].data
      x.set(data.subarray(w.start * EMBEDDING_SIZE, (w.start + w.steps) * EMBEDDING_SIZE), k * WINDOW_STEPS * EMBEDDING_SIZE)
    })
    const p = tf.tidy(() => {
      const out = model.predict(tf.tensor3d(x, [group.length, WINDOW_STEPS, EMBEDDING_SIZE])) as tf.Tensor | tf.Tensor[]
      return (Array.isArray(out) ? out[0] : out).dataSync() as Float32Array
    })
    group.forEach((w, k) => scores[w.sequence].set(p.subarray(k * WINDOW_STEPS, k * WINDOW_STEPS + w.steps), w.start))
  }
  return scores
}

/** The highest-scoring places of the bank, one per PEAK_SPACING steps, best first. */
export function hardNegatives(scores: readonly Float32Array[], options: MiningOptions): HardWindow[] {
  const peaks: HardWindow[] = []
  scores.forEach((track, sequence) => {
    let k = 0
    while (k < track.length) {
      if (track[k] < options.minScore) {
        k++
        continue
      }
      // The best step of this run of high scores (and of the PEAK_SPACING steps after it).
      let best = k
      let j = k
      while (j < track.length && j - best <= PEAK_SPACING) {
        if (track[j] > track[best]) best = j
        j++
      }
      peaks.push({sequence, step: best, score: track[best]})
      k = j
    }
  })
  return peaks.sort((a, b) => b.score - a.score).slice(0, options.count)
}
