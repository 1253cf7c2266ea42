import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LOG_FEATURES, RAW_FEATURES} from '../src/features/transform.js'
import {selectBackend} from '../src/model/backend.js'
import {courseFeatures} from '../src/model/config.js'
import {writeEnsemble} from '../src/model/ensemble.js'
import {loadDetector} from '../src/model/model-dir.js'
import {predictClip} from '../src/model/predict.js'
import {TINY, outputSteps} from '../src/model/presets.js'
import {disposeTeacher, loadTeacher, teacherTargets} from '../src/train/distill.js'
import type {TrainExample} from '../src/train/examples.js'
import {packBatch} from '../src/train/parallel.js'
import {train} from '../src/train/trainer.js'
import {UserError} from '../src/util/errors.js'
import {saveConstantModel} from './helpers/models.js'
import {noise} from './helpers/signals.js'
import {writeToyClips} from './helpers/toy-clips.js'
import {toyCorpus, toyTrainOptions} from './helpers/toy-train.js'

const LOG = courseFeatures(LOG_FEATURES)
const NARROW = courseFeatures({...LOG_FEATURES, bins: 37})
let dir: string

function example(frames: number, bins: number, ones: number[]): TrainExample {
  const labels = new Uint8Array(outputSteps(TINY, frames))
  for (const t of ones) labels[t] = 1
  return {features: new Float32Array(frames * bins).fill(-1), frames, labels, truthsSec: []}
}

beforeAll(async () => {
  await selectBackend()
  dir = await mkdtemp(join(tmpdir(), 'rnn-wake-distill-'))
  await saveConstantModel(join(dir, 'low'), 0.2, {features: LOG})
  await saveConstantModel(join(dir, 'high'), 0.6, {features: LOG})
  await writeEnsemble(join(dir, 'pair'), [join(dir, 'low'), join(dir, 'high')])
  await saveConstantModel(join(dir, 'raw'), 0.5)
  await saveConstantModel(join(dir, 'sure'), 0.95, {features: LOG})
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('teacherTargets', () => {
  it("blends the ensemble's mean probability with the labels, step by step", async () => {
    const teacher = await loadTeacher(join(dir, 'pair'), 0.5, TINY, LOG)
    try {
      const batch = [example(400, 101, [3, 4]), example(400, 101, [])]
      const targets = teacherTargets(teacher, batch)
      expect(targets).toHaveLength(2)
      expect(targets[0]).toHaveLength(batch[0].labels.length)
      // Mean of 0.2 and 0.6 is 0.4: half of it, plus half of each label.
      expect(targets[0][0]).toBeCloseTo(0.2, 5)
      expect(targets[0][3]).toBeCloseTo(0.7, 5)
      expect(Math.max(...targets[1])).toBeCloseTo(0.2, 5)
      // The examples themselves keep their 0/1 labels; packBatch reads the targets when given.
      expect(batch[0].labels[3]).toBe(1)
      const packed = packBatch(batch.map((e, k) => ({...e, targets: targets[k]})))
      expect(packed.y[3]).toBeCloseTo(0.7, 5)
      expect(packBatch(batch).y[3]).toBe(1)
    } finally {
      disposeTeacher(teacher)
    }
  })

  it('refuses a teacher that reads more bins, another front end or a weight outside (0, 1]', async () => {
    await expect(loadTeacher(join(dir, 'pair'), 0.5, {...TINY, features: 37}, NARROW)).rejects.toThrow(/--teacher .*pair: a network of it reads 101 bins per frame, this run only 37/)
    await expect(loadTeacher(join(dir, 'raw'), 0.5, TINY, LOG)).rejects.toThrow(/--teacher .*raw: its front end differs/)
    await expect(loadTeacher(join(dir, 'pair'), 0, TINY, LOG)).rejects.toThrow(UserError)
    await expect(loadTeacher(join(dir, 'pair'), 1.5, TINY, LOG)).rejects.toThrow(/--teacher-weight must be in \(0, 1\]/)
  })
})

describe('train --teacher', () => {
  it("moves the student toward the teacher's outputs and records the teacher", async () => {
    await writeToyClips(dir)
    const corpus = await toyCorpus(dir)
    const alone = join(dir, 'alone')
    const taught = join(dir, 'taught')
    await train(toyTrainOptions(alone, corpus, {epochs: 3}))
    // A teacher sure of the trigger everywhere, at full weight: the targets are 0.95 on every step.
    await train(toyTrainOptions(taught, corpus, {epochs: 3, teacher: join(dir, 'sure'), teacherWeight: 1}))
    // The mean trigger probability over 10 s of the background noise, where the labels are all 0.
    const mean = async (out: string): Promise<number> => {
      const detector = await loadDetector(out)
      const p = predictClip(detector, noise(10, 3000, 7)).trigger
      detector.model.dispose()
      expect(detector.config.training?.teacher).toBe(out === taught ? join(dir, 'sure') : undefined)
      return p.reduce((s, v) => s + v, 0) / p.length
    }
    const a = await mean(alone)
    const b = await mean(taught)
    expect(b).toBeGreaterThan(a + 0.2)
  })
})
