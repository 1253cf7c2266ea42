import {mkdtempSync, mkdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {encodeWav16} from '../src/audio/write.js'
import {calibrateOnSpeech} from '../src/metrics/calibrate.js'
import {selectBackend} from '../src/model/backend.js'
import {readModelConfig} from '../src/model/config.js'
import {COURSE_TRIGGER} from '../src/stream/trigger.js'
import {saveConstantModel} from './helpers/models.js'

let root: string
let speech: string

beforeAll(async () => {
  await selectBackend('cpu')
  root = mkdtempSync(join(tmpdir(), 'rnn-wake-calibrate-'))
  speech = join(root, 'speech')
  mkdirSync(speech)
  const samples = Float64Array.from({length: 12 * 44_100}, (_, i) => 3000 * Math.sin((2 * Math.PI * 220 * i) / 44_100))
  writeFileSync(join(speech, 'talk.wav'), encodeWav16(samples))
})

describe('calibrateOnSpeech', () => {
  it('raises a threshold that fires on the speech to the lowest one that stays within the target, and records why', async () => {
    const model = join(root, 'loud')
    await saveConstantModel(model, 0.9, {trigger: {...COURSE_TRIGGER, threshold: 0.3}})
    const c = await calibrateOnSpeech(model, [speech], 0)
    // A constant 0.9 fires at every threshold below 0.9; 0.9 itself is the first that never does.
    expect(c).toMatchObject({files: 1, previousThreshold: 0.3, speechThreshold: 0.9, threshold: 0.9, faPerHour: 0, targetFaPerHour: 0})
    expect(c.minutes).toBeCloseTo(0.2, 6)
    const config = await readModelConfig(model)
    expect(config.trigger.threshold).toBe(0.9)
    expect(config.training?.speechCalibration).toEqual(c)
  })

  it('never lowers the threshold validation chose', async () => {
    const model = join(root, 'quiet')
    await saveConstantModel(model, 0.2, {trigger: {...COURSE_TRIGGER, threshold: 0.6}})
    const c = await calibrateOnSpeech(model, [speech], 0)
    expect(c.speechThreshold).toBeLessThan(0.6)
    expect(c.threshold).toBe(0.6)
    expect((await readModelConfig(model)).trigger.threshold).toBe(0.6)
  })

  it('says so and writes nothing when no threshold meets the target', async () => {
    const model = join(root, 'stuck')
    await saveConstantModel(model, 0.9999, {trigger: {...COURSE_TRIGGER, threshold: 0.3}})
    await expect(calibrateOnSpeech(model, [speech], 0)).rejects.toThrow(/no threshold up to 0\.999 keeps it within 0 false accepts per hour/)
    expect((await readModelConfig(model)).trigger.threshold).toBe(0.3)
  })
})
