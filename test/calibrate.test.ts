import {mkdtempSync, mkdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {encodeWav16} from '../src/audio/write.js'
import {calibrateOnSpeech, falseAcceptResolution, hoursNeeded, supportsTarget} from '../src/metrics/calibrate.js'
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
    await saveConstantModel(model, 0.9999995, {trigger: {...COURSE_TRIGGER, threshold: 0.3}})
    await expect(calibrateOnSpeech(model, [speech], 0)).rejects.toThrow(/no threshold up to 0\.999999 keeps it within 0 false accepts per hour/)
    expect((await readModelConfig(model)).trigger.threshold).toBe(0.3)
  })
})

describe('is this audio long enough for a target (rule of three)', () => {
  it('one false accept in H hours is 1/H FA/h', () => {
    expect(falseAcceptResolution(2.6 / 60)).toBeCloseTo(23.08, 2)
    expect(falseAcceptResolution(0)).toBe(Infinity)
  })

  it('a target T needs 3/T hours: 2.6 minutes cannot support 1 FA/h, 3 hours can', () => {
    expect(hoursNeeded(1)).toBe(3)
    expect(hoursNeeded(0.5)).toBe(6)
    expect(supportsTarget(2.6 / 60, 1)).toBe(false)
    expect(supportsTarget(3, 1)).toBe(true)
    expect(supportsTarget(2.99, 1)).toBe(false)
    expect(supportsTarget(146 / 60, 0.5)).toBe(false)
    expect(supportsTarget(6, 0.5)).toBe(true)
    expect(supportsTarget(0.1, 30)).toBe(true)
  })

  it('no audio supports a target of 0 false accepts per hour', () => {
    expect(hoursNeeded(0)).toBe(Infinity)
    expect(supportsTarget(1e6, 0)).toBe(false)
  })
})
