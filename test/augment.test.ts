import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {deriveRng} from '../src/dataset/rng.js'
import {AUGMENTS, augmentPower, parseAugments, reverberate, warpFrequencies} from '../src/features/augment.js'
import {featurize, powerSpectrogram} from '../src/features/featurize.js'
import {LOG_FEATURES, transformFeatures} from '../src/features/transform.js'
import {selectBackend} from '../src/model/backend.js'
import {courseFeatures} from '../src/model/config.js'
import {writeEnsemble} from '../src/model/ensemble.js'
import {loadDetector} from '../src/model/model-dir.js'
import {TINY} from '../src/model/presets.js'
import {FeatureStream} from '../src/features/feature-stream.js'
import {train} from '../src/train/trainer.js'
import {UserError} from '../src/util/errors.js'
import {noise, tone} from './helpers/signals.js'
import {writeToyClips} from './helpers/toy-clips.js'
import {savedWeights, toyCorpus, toyTrainOptions} from './helpers/toy-train.js'

const GEOMETRY = {sampleRate: 44_100, nfft: 200, hop: 80}
const BIN_HZ = 44_100 / 200

function speechLike(): {data: Float64Array; frames: number; bins: number} {
  const x = tone(500, 0.5, 1)
  const hiss = noise(0.5, 300, 2)
  for (let i = 0; i < x.length; i++) x[i] = 3000 * x[i] + hiss[i]
  return powerSpectrogram(x, courseFeatures(LOG_FEATURES))
}

/** Mean power of bins above `hz` over mean power below 2 kHz, in dB. */
function highBandDb(spec: Float64Array, bins: number, hz: number): number {
  let hi = 0
  let lo = 0
  for (let i = 0; i < spec.length; i++) {
    const f = (i % bins) * BIN_HZ
    if (f > hz) hi += spec[i]
    else if (f < 2000) lo += spec[i]
  }
  return 10 * Math.log10(hi / lo)
}

describe('parseAugments', () => {
  it('reads all, none and lists (in a fixed order) and names a bad lever', () => {
    expect(parseAugments('all')).toEqual([...AUGMENTS])
    expect(parseAugments('none')).toEqual([])
    expect(parseAugments('')).toEqual([])
    expect(parseAugments('mask, band,warp')).toEqual(['warp', 'band', 'mask'])
    expect(() => parseAugments('band,echo')).toThrow(UserError)
    expect(() => parseAugments('band,echo')).toThrow(/"echo"/)
  })
})

describe('augmentPower', () => {
  it('changes nothing without levers', () => {
    const s = speechLike()
    const copy = s.data.slice()
    augmentPower(s.data, s.frames, s.bins, [], deriveRng('t', 1), GEOMETRY)
    expect(s.data).toEqual(copy)
  })

  it('is a pure function of its generator, and each lever acts on about half the examples', () => {
    const a = speechLike()
    const b = speechLike()
    augmentPower(a.data, a.frames, a.bins, ['band'], deriveRng('t', 7), GEOMETRY)
    augmentPower(b.data, b.frames, b.bins, ['band'], deriveRng('t', 7), GEOMETRY)
    expect(a.data).toEqual(b.data)
    let changed = 0
    for (let seed = 0; seed < 40; seed++) {
      const s = speechLike()
      const before = s.data.slice()
      augmentPower(s.data, s.frames, s.bins, ['level'], deriveRng('t', seed), GEOMETRY)
      if (s.data.some((v, i) => v !== before[i])) changed++
    }
    expect(changed).toBeGreaterThan(10)
    expect(changed).toBeLessThan(30)
  })

  it('band: when it acts, empties everything above 8.5 kHz (60 dB per kHz above a 3.4-8 kHz corner)', () => {
    let acted = 0
    for (let seed = 0; seed < 12; seed++) {
      const s = speechLike()
      const before = highBandDb(s.data, s.bins, 8500)
      augmentPower(s.data, s.frames, s.bins, ['band'], deriveRng('t', seed), GEOMETRY)
      const after = highBandDb(s.data, s.bins, 8500)
      if (after !== before) {
        acted++
        expect(after).toBeLessThan(before - 25)
      }
    }
    expect(acted).toBeGreaterThan(0)
  })

  it('noise fills the band a low-pass emptied, as a device noise floor does', () => {
    for (let seed = 0; seed < 40; seed++) {
      const s = speechLike()
      const plain = speechLike()
      augmentPower(s.data, s.frames, s.bins, ['band', 'noise'], deriveRng('t', seed), GEOMETRY)
      augmentPower(plain.data, plain.frames, plain.bins, ['band'], deriveRng('t', seed), GEOMETRY)
      const filled = highBandDb(s.data, s.bins, 9000) - highBandDb(plain.data, plain.bins, 9000)
      if (filled > 10) return
    }
    throw new Error('no draw of 40 added a noise floor above a low-pass')
  })

  it('warp moves a spectral peak by the factor', () => {
    const bins = 101
    const spec = new Float64Array(bins)
    spec[40] = 1
    warpFrequencies(spec, 1, bins, 1.1)
    const peak = spec.indexOf(Math.max(...spec))
    expect(peak).toBe(44)
    const same = new Float64Array(bins).map((_, k) => k)
    warpFrequencies(same, 1, bins, 1)
    expect(Array.from(same)).toEqual(Array.from({length: bins}, (_, k) => k))
  })

  it('reverb leaves a decaying tail after a burst and keeps the burst', () => {
    const frames = 400
    const spec = new Float64Array(frames)
    spec.fill(1, 0, 10)
    reverberate(spec, frames, 1, 0.5, 1, 80 / 44_100)
    expect(spec[5]).toBeGreaterThanOrEqual(1)
    expect(spec[20]).toBeGreaterThan(0)
    for (let f = 11; f < frames; f++) expect(spec[f]).toBeLessThan(spec[f - 1])
    // 60 dB down one RT60 (0.5 s = 276 frames) after the burst.
    expect(10 * Math.log10(spec[10 + 276] / spec[10])).toBeCloseTo(-60, 0)
  })
})

describe('band-limited front end (log features with bins)', () => {
  const features = courseFeatures({...LOG_FEATURES, bins: 37})
  it('keeps the lowest bins of each frame, in featurize and in the stream alike', () => {
    const x = tone(700, 0.3, 3)
    for (let i = 0; i < x.length; i++) x[i] *= 5000
    const full = featurize(x, courseFeatures(LOG_FEATURES))
    const low = featurize(x, features)
    expect(low.bins).toBe(37)
    expect(low.frames).toBe(full.frames)
    for (let f = 0; f < full.frames; f += 17) for (let k = 0; k < 37; k++) expect(low.data[f * 37 + k]).toBe(full.data[f * 101 + k])
    const stream = new FeatureStream(features)
    expect(stream.bins).toBe(37)
    const a = stream.push(x.subarray(0, 5000))
    const b = stream.push(x.subarray(5000))
    expect(a.data.length + b.data.length).toBe(low.data.length)
    expect(Array.from(a.data)).toEqual(Array.from(low.data.subarray(0, a.data.length)))
    expect(transformFeatures(new Float64Array(202), {...LOG_FEATURES, bins: 37}, 101)).toHaveLength(74)
  })
})

describe('train with augmentation, a band-limited front end and --init-from', () => {
  let dir: string
  beforeAll(async () => {
    await selectBackend()
    dir = await mkdtemp(join(tmpdir(), 'rnn-wake-augment-'))
    await writeToyClips(dir)
  })
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('trains, records the levers and the front end, and another run starts from its weights', async () => {
    const corpus = await toyCorpus(dir)
    const features = courseFeatures({...LOG_FEATURES, bins: 37})
    const preset = {...TINY, features: 37}
    const first = join(dir, 'first')
    const result = await train(toyTrainOptions(first, corpus, {epochs: 2, preset, features, augment: ['band', 'reverb', 'mask']}))
    expect(result.state.history.every((h) => Number.isFinite(h.loss))).toBe(true)
    const detector = await loadDetector(first)
    expect(detector.config.features.transform).toEqual({...LOG_FEATURES, bins: 37})
    expect(detector.config.preset.features).toBe(37)
    expect(detector.config.training?.augment).toEqual(['band', 'reverb', 'mask'])
    const probs = detector.model.predict(tf.zeros([1, 800, 37])) as tf.Tensor
    expect(probs.shape).toEqual([1, 197, 1])
    tf.dispose(probs)
    detector.model.dispose()

    // One epoch at a learning rate of ~0 from the first run's weights ends where the first run ended.
    const second = join(dir, 'second')
    await train(toyTrainOptions(second, corpus, {epochs: 1, preset, features, lr: 1e-12, initFrom: first}))
    const a = await savedWeights(first)
    const b = await savedWeights(second)
    let trainable = 0
    for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) < 1e-6) trainable++
    // Everything but BatchNorm's moving statistics (which move with the data, not the learning rate).
    expect(trainable / a.length).toBeGreaterThan(0.9)

    await expect(train(toyTrainOptions(join(dir, 'third'), corpus, {epochs: 1, initFrom: first}))).rejects.toThrow(/front end differs/)

    // A band-limited member of a mixed ensemble cannot seed a full-band run: said plainly, not as a shape mismatch.
    const full = join(dir, 'full')
    const fullFeatures = courseFeatures(LOG_FEATURES)
    await train(toyTrainOptions(full, corpus, {epochs: 1, preset: TINY, features: fullFeatures}))
    await writeEnsemble(join(dir, 'mix'), [first, full])
    await expect(train(toyTrainOptions(join(dir, 'fourth'), corpus, {epochs: 1, preset: TINY, features: fullFeatures, initFrom: join(dir, 'mix'), initMember: 2}))).rejects.toThrow(
      /--init-member 2: that network of .*mix reads the lowest 37 bins \(a band-limited member of a mixed ensemble\), this run 101/,
    )
  })
})
