import * as tf from '@tensorflow/tfjs'
import {describe, expect, it} from 'vitest'

import {alignmentLoss, alignmentTargets} from '../src/train/token-targets.js'

const vocab = {unit: 'word' as const, tokens: ['activate', 'music', 'on']}
const B = 3

describe('alignmentTargets', () => {
  it('marks span steps after each word end with its token, blank elsewhere', () => {
    const t = alignmentTargets(['activate', 'on'], [2, 9], vocab, 14, 3)!
    expect(Array.from(t)).toEqual([B, B, 0, 0, 0, B, B, B, B, 2, 2, 2, B, B])
  })

  it('keeps a blank between a repeated word so best path decodes it twice', () => {
    const t = alignmentTargets(['music', 'music'], [1, 4], vocab, 8, 5)!
    expect(Array.from(t)).toEqual([B, 1, 1, B, 1, 1, 1, 1])
  })

  it('clips spans at both ends of the crop', () => {
    const t = alignmentTargets(['on', 'music'], [-2, 5], vocab, 7, 4)!
    expect(Array.from(t)).toEqual([2, 2, B, B, B, 1, 1])
  })

  it('gives nothing for character vocabularies or examples without word times', () => {
    // Character units need the words' starts.
    expect(alignmentTargets(['on'], [1], {unit: 'char', tokens: ['n', 'o']}, 5, 2)).toBeUndefined()
    expect(alignmentTargets(['on'], undefined, vocab, 5, 2)).toBeUndefined()
    expect(alignmentTargets(undefined, undefined, vocab, 5, 2)).toBeUndefined()
  })
})

describe('alignmentLoss', () => {
  it('is the mean of -log p(target) over word steps plus that over blank steps, halved', () => {
    const probs = tf.tensor3d([[[0.5, 0.25, 0.125, 0.125], [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]]])
    const loss = alignmentLoss(probs, Int32Array.from([0, 3, 3]), 4).dataSync()[0]
    expect(loss).toBeCloseTo(0.5 * -Math.log(0.5) + 0.5 * -(Math.log(0.4) + Math.log(0.25)) / 2, 5)
  })

  it('is the plain mean when every step is blank', () => {
    const probs = tf.tensor3d([[[0.5, 0.5], [0.2, 0.8]]])
    expect(alignmentLoss(probs, Int32Array.from([1, 1]), 2).dataSync()[0]).toBeCloseTo(-(Math.log(0.5) + Math.log(0.8)) / 2, 5)
  })
})

describe('jointLoss with alignment targets', () => {
  it('adds alignWeight x the per-step cross-entropy when every example has an alignment, and nothing otherwise', async () => {
    const {jointLoss} = await import('../src/train/parallel.js')
    const trigger = tf.fill([1, 4, 1], 0.5)
    const y = tf.zeros([1, 4, 1])
    const probs = tf.tensor3d([[[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.1, 0.9]]])
    const ids = [0]
    const align = Int32Array.from([1, 0, 0, 1])
    const base = jointLoss([trigger, probs], y, 1, {weight: 1, blank: 1, targets: [{ids}]})
    const withAlign = jointLoss([trigger, probs], y, 1, {weight: 1, blank: 1, alignWeight: 2, targets: [{ids, align}]})
    const expected = 0.5 * -(Math.log(0.2) + Math.log(0.6)) / 2 + 0.5 * -(Math.log(0.3) + Math.log(0.9)) / 2
    expect(withAlign.total.dataSync()[0] - base.total.dataSync()[0]).toBeCloseTo(2 * expected, 4)
    expect(withAlign.ctc!.dataSync()[0]).toBeCloseTo(base.ctc!.dataSync()[0], 6)
  })
})

describe('words outside the vocabulary', () => {
  it('mark the steps after them SILENT (blank), which the loss weighs as word steps', async () => {
    const {SILENT} = await import('../src/train/token-targets.js')
    const t = alignmentTargets(['on'], [2], vocab, 10, 2, [6])!
    expect(Array.from(t)).toEqual([B, B, 2, 2, B, B, SILENT, SILENT, B, B])
    const probs = tf.tensor3d([[[0.5, 0.5], [0.2, 0.8], [0.6, 0.4]]])
    // Step 0: word (class 0), step 1: SILENT (blank, class 1), step 2: blank.
    const loss = alignmentLoss(probs, Int32Array.from([0, SILENT, 1]), 2).dataSync()[0]
    expect(loss).toBeCloseTo(0.5 * -(Math.log(0.5) + Math.log(0.8)) / 2 + 0.5 * -Math.log(0.4), 5)
  })
})

describe('alignmentTargets in character units', () => {
  const vocab = {unit: 'char' as const, tokens: [' ', 'a', 'l', 'o', 't']}
  const B = 5
  it('spreads each word\'s letters evenly over its steps, parts a doubled letter with a blank, and puts the space after the word', () => {
    // "tall" over steps 1..8 (2 steps a letter), "to" over 11..12.
    const t = alignmentTargets(['tall', 'to'], [8, 12], vocab, 15, 3, [], [1, 11])!
    expect([...t]).toEqual([B, 4, 4, 1, 1, 2, 2, B, 2, 0, B, 4, 3, B, B])
  })
  it('gives a word shorter than its spelling one step a letter, and clips at the edges of a crop', () => {
    const t = alignmentTargets(['lot'], [0, ], vocab, 4, 3, [], [-1])!
    expect([...t]).toEqual([3, 4, B, B])
  })
})

