import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'

import {COURSE_PARAMS} from '../../src/dataset/index.js'
import {LOG_FEATURES} from '../../src/features/transform.js'
import {courseFeatures} from '../../src/model/config.js'
import {loadDetector} from '../../src/model/model-dir.js'
import {TINY} from '../../src/model/presets.js'
import {type ResolvedCorpus, resolveClipCorpus} from '../../src/train/corpus.js'
import {readFlat, replicaWeights} from '../../src/train/parallel.js'
import type {TrainOptions} from '../../src/train/trainer.js'

/** The corpus of writeToyClips(dir): "beep" among "boop"s over noise, a quarter held out for validation. */
export async function toyCorpus(dir: string): Promise<ResolvedCorpus> {
  return resolveClipCorpus(
    {trigger: 'beep', triggers: [join(dir, 'beeps')], negatives: [join(dir, 'boops')], backgrounds: [join(dir, 'bg')]},
    {...COURSE_PARAMS, maxTriggers: 2},
    {valSplit: 0.25, seed: 1, procedural: 0},
  )
}

/** TrainOptions for the trainer tests' toy problems: the tiny preset on 600-frame crops, quiet, seed 1; each test overrides what it exercises. */
export function toyTrainOptions(out: string, corpus: ResolvedCorpus, overrides: Partial<TrainOptions> = {}): TrainOptions {
  return {
    out,
    word: 'beep',
    preset: TINY,
    features: courseFeatures(LOG_FEATURES),
    corpus,
    epochs: 3,
    batch: 8,
    lr: 0.01,
    lrDecay: 1,
    cropAroundLabels: 0.75,
    classWeight: 1,
    seed: 1,
    epochSize: 32,
    cropFrames: 600,
    valCount: 4,
    workers: 0,
    resume: false,
    force: false,
    targetFaPerHour: 1,
    maxFrr: 0.05,
    keepOptimizer: false,
    backend: tf.getBackend(),
    log: () => {},
    ...overrides,
  }
}

/** Every weight of the model saved in `out` (trainable, then the BatchNorm statistics), in one array. */
export async function savedWeights(out: string): Promise<Float32Array> {
  const {model} = await loadDetector(out)
  const {trainable, fixed} = replicaWeights(model)
  const flat = readFlat([...trainable, ...fixed])
  model.dispose()
  return flat
}
