import * as tf from '@tensorflow/tfjs'

import {lowestBins} from '../features/transform.js'
import type {FeatureConfig} from '../features/featurize.js'
import type {ModelPreset} from '../model/presets.js'
import {type Detector, loadDetector, networkBins} from '../model/model-dir.js'
import {UserError} from '../util/errors.js'
import type {TrainExample} from './examples.js'

/**
 * Distillation: a trained model (usually an ensemble) teaches a new network.
 * Averaging networks is the one lever that reliably lowers real-voice misses
 * (bench/RESULTS.md, encoder), but each member costs `listen` a network per
 * step; a student trained on the ensemble's outputs runs as one network.
 * The student's trigger targets become `weight` x the teacher's probability
 * plus (1 - weight) x the 0/1 labels.
 */
export interface Teacher {
  detector: Detector
  weight: number
}

/**
 * Load a teacher for a run with this preset and front end: same front end
 * (a teacher network may read fewer bins, as in a mixed-band ensemble, never
 * more) and the same output steps per frame, so its probabilities line up
 * with the student's labels step by step.
 */
export async function loadTeacher(dir: string, weight: number, preset: ModelPreset, features: FeatureConfig): Promise<Teacher> {
  if (!(weight > 0 && weight <= 1)) throw new UserError(`--teacher-weight must be in (0, 1], not ${weight}`, 'usage')
  const detector = await loadDetector(dir)
  const refuse = (problem: string): never => {
    for (const network of detector.networks) network.dispose()
    throw new UserError(`--teacher ${dir}: ${problem}`, 'usage')
  }
  const {features: f, preset: p} = detector.config
  if (f.sampleRate !== features.sampleRate || JSON.stringify(f.spectrogram) !== JSON.stringify(features.spectrogram) || f.transform.kind !== features.transform.kind) {
    refuse('its front end differs from this run\'s (sample rate, spectrogram or transform)')
  }
  if (JSON.stringify(p.conv) !== JSON.stringify(preset.conv)) refuse(`its Conv1D (${JSON.stringify(p.conv)}) gives other output steps than this run's (${JSON.stringify(preset.conv)})`)
  const widest = Math.max(...detector.networks.map((n) => networkBins(n) ?? p.features))
  if (widest > preset.features) refuse(`a network of it reads ${widest} bins per frame, this run only ${preset.features}`)
  return {detector, weight}
}

/**
 * Per-step trigger targets for a batch: the teacher's mean probability
 * (inference mode) blended with each example's labels. Returns one array per
 * example; the examples are not changed.
 */
export function teacherTargets(teacher: Teacher, examples: readonly TrainExample[]): Float32Array[] {
  if (examples.length === 0) return []
  const frames = examples[0].frames
  const bins = examples[0].features.length / frames
  const ty = examples[0].labels.length
  const sum = new Float32Array(examples.length * ty)
  for (const network of teacher.detector.networks) {
    const keep = networkBins(network) ?? bins
    const x = new Float32Array(examples.length * frames * keep)
    examples.forEach((e, k) => {
      if (e.frames !== frames) throw new Error(`batch mixes example lengths (${e.frames} and ${frames} frames)`)
      x.set(lowestBins(e.features, frames, bins, keep), k * frames * keep)
    })
    let probabilities = new Float32Array(0)
    // Out through the closure, not tidy's return value (see predictClip).
    tf.tidy(() => {
      const out = network.predict(tf.tensor3d(x, [examples.length, frames, keep]))
      const trigger = (Array.isArray(out) ? out[0] : out) as tf.Tensor
      if (trigger.shape[1] !== ty) throw new Error(`the teacher gives ${trigger.shape[1]} steps for ${frames} frames, the labels ${ty}`)
      probabilities = Float32Array.from(trigger.dataSync() as Float32Array)
    })
    for (let i = 0; i < sum.length; i++) sum[i] += probabilities[i]
  }
  const n = teacher.detector.networks.length
  const w = teacher.weight
  return examples.map((e, k) => {
    const out = new Float32Array(ty)
    for (let t = 0; t < ty; t++) out[t] = (w * sum[k * ty + t]) / n + (1 - w) * e.labels[t]
    return out
  })
}

export function disposeTeacher(teacher: Teacher | undefined): void {
  for (const network of teacher?.detector.networks ?? []) network.dispose()
}
