import {describe, expect, it} from 'vitest'

import {LOG_FEATURES} from '../src/features/transform.js'
import {courseFeatures} from '../src/model/config.js'
import {getPreset} from '../src/model/presets.js'
import {deriveRng} from '../src/dataset/rng.js'
import {makeExample, presetGeometry} from '../src/train/examples.js'
import {packBatch} from '../src/train/parallel.js'

const preset = getPreset('default')
const features = courseFeatures(LOG_FEATURES)
const g = presetGeometry(preset, features)
const audio = new Float64Array(441_000)
const words = [
  {word: 'hello', startMs: 1500, endMs: 2000, trigger: false},
  {word: 'activate', startMs: 4400, endMs: 5000, trigger: true},
]

describe('hard negatives: the steps after a word that is not the trigger', () => {
  const whole = makeExample(audio, [5000], preset, features, g, {frames: null, aroundLabels: 0}, deriveRng('t', 1), undefined, words)

  it('cover the labelSteps after the other word and none after the trigger', () => {
    const mask = whole.hardNegatives!
    const end = Math.floor((2000 * g.ty) / g.durationMs)
    const marked = Array.from(mask.keys()).filter((t) => mask[t])
    expect(marked[0]).toBe(end + 1)
    expect(marked.length).toBe(g.labelSteps)
    // Where the trigger's labels are, nothing is marked.
    expect(Array.from(whole.labels.keys()).some((t) => whole.labels[t] && mask[t])).toBe(false)
  })

  it('weigh the negative term by --hard-negative-weight, and nothing at weight 1', () => {
    const packed = packBatch([whole], 5)
    expect(packed.w).toBeDefined()
    expect(Array.from(packed.w!).filter((v) => v === 5).length).toBe(g.labelSteps)
    expect(packBatch([whole], 1).w).toBeUndefined()
  })

  it('follow a crop: the mask is cut with the labels', () => {
    const crop = makeExample(audio, [5000], preset, features, g, {frames: 1654, aroundLabels: 1}, deriveRng('t', 2), undefined, words)
    expect(crop.hardNegatives?.length ?? crop.labels.length).toBe(crop.labels.length)
  })
})
