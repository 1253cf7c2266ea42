import * as tf from '@tensorflow/tfjs'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {selectBackend} from '../src/model/backend.js'
import {buildModel} from '../src/model/build.js'
import {loadModel, saveModel} from '../src/model/io.js'
import {TINY} from '../src/model/presets.js'

beforeAll(async () => {
  await selectBackend('wasm')
})

describe('CTC token head', () => {
  it('adds a second per-step softmax output over the tokens plus the blank', () => {
    const model = buildModel(TINY, {fused: true, ctcTokens: 5})
    const outputs = model.predict(tf.randomNormal([2, 100, 101])) as tf.Tensor[]
    expect(outputs).toHaveLength(2)
    expect(outputs[0].shape).toEqual([2, 22, 1])
    expect(outputs[1].shape).toEqual([2, 22, 6])
    const sums = outputs[1].sum(-1).dataSync()
    for (const s of sums) expect(s).toBeCloseTo(1, 5)
    // The token head adds only its Dense: 16 inputs x 6 + 6.
    expect(model.countParams() - buildModel(TINY, {fused: true}).countParams()).toBe(16 * 6 + 6)
    tf.dispose(outputs)
  })

  it('saves and loads with both outputs, fused and stock', async () => {
    const model = buildModel(TINY, {fused: true, ctcTokens: 3})
    const dir = mkdtempSync(join(tmpdir(), 'rnn-wake-ctc-'))
    await saveModel(model, dir)
    const x = tf.randomNormal([1, 60, 101])
    const want = model.predict(x) as tf.Tensor[]
    for (const fused of [true, false]) {
      const loaded = await loadModel(dir, {fused})
      const got = loaded.predict(x) as tf.Tensor[]
      expect(got).toHaveLength(2)
      for (let i = 0; i < 2; i++) {
        const diff = got[i].sub(want[i]).abs().max().dataSync()[0]
        expect(diff).toBeLessThan(1e-5)
      }
    }
  })
})
