import {describe, expect, it} from 'vitest'

import {deriveRng, gaussian} from '../src/dataset/rng.js'
// The alignment that places the word bank's sentence words (bench/embedding/make-word-bank.mjs).
import {warp} from '../bench/embedding/sentences.mjs'

const SIZE = 96

function randomSteps(steps: number, seed: number): Float32Array {
  const rng = deriveRng('test/warp', seed)
  return Float32Array.from({length: steps * SIZE}, () => gaussian(rng))
}

/** `data` with each step said `times` times (a slower reading of the same sounds). */
function stretched(data: Float32Array, steps: number, times: number): Float32Array {
  const out = new Float32Array(steps * times * SIZE)
  for (let t = 0; t < steps; t++) for (let r = 0; r < times; r++) out.set(data.subarray(t * SIZE, (t + 1) * SIZE), (t * times + r) * SIZE)
  return out
}

describe('word bank sentences: the alignment (dynamic time warping)', () => {
  it('maps a sequence onto itself step for step', () => {
    const a = randomSteps(20, 1)
    expect(Array.from(warp(a, 20, a, 20) as Int32Array)).toEqual(Array.from({length: 20}, (_, j) => j))
  })

  it('finds where each step ends in a reading twice as slow', () => {
    const a = randomSteps(15, 2)
    const slow = stretched(a, 15, 2)
    // Step j of the reference is said at steps 2j and 2j + 1 of the slow one: it ends at 2j + 1.
    expect(Array.from(warp(slow, 30, a, 15) as Int32Array)).toEqual(Array.from({length: 15}, (_, j) => 2 * j + 1))
  })

  it('skips what the reference does not say (a pause in the recording)', () => {
    const a = randomSteps(10, 3)
    const pause = randomSteps(4, 4).map((v) => v * 0.01 + 1)
    const withPause = new Float32Array(14 * SIZE)
    withPause.set(a.subarray(0, 5 * SIZE))
    withPause.set(pause, 5 * SIZE)
    withPause.set(a.subarray(5 * SIZE), 9 * SIZE)
    const lastOf = Array.from(warp(withPause, 14, a, 10) as Int32Array)
    // The words after the pause end four steps later than the reference's.
    expect(lastOf.slice(5)).toEqual([9, 10, 11, 12, 13])
  })
})
