import * as tf from '@tensorflow/tfjs'

import {buildModel} from '../../src/model/build.js'
import {type ModelConfig, courseFeatures} from '../../src/model/config.js'
import {saveDetector} from '../../src/model/model-dir.js'
import {TINY} from '../../src/model/presets.js'
import {RAW_FEATURES} from '../../src/features/transform.js'
import {COURSE_TRIGGER} from '../../src/stream/trigger.js'

export function tinyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {format: 'rnn-wake-model', version: 1, word: 'activate', preset: TINY, features: courseFeatures(RAW_FEATURES), trigger: COURSE_TRIGGER, ...overrides}
}

/**
 * A tiny model whose output is the constant probability `p` at every step:
 * every weight zero (moving variances one), the last Dense bias logit(p).
 * Lets tests know exactly what a detector will report.
 */
export async function saveConstantModel(dir: string, p: number, overrides: Partial<ModelConfig> = {}): Promise<void> {
  const model = buildModel(TINY, {fused: true})
  const weights = model.weights.map((w) => {
    if (w.name.includes('moving_variance')) return tf.onesLike(w.read())
    if (w.name.startsWith('time_distributed') && w.name.includes('bias')) return tf.fill(w.shape, Math.log(p / (1 - p)))
    return tf.zerosLike(w.read())
  })
  model.setWeights(weights)
  await saveDetector(dir, model, tinyConfig(overrides))
  tf.dispose(weights)
  model.dispose()
}
