import * as tf from '@tensorflow/tfjs'
import {describe, expect, it} from 'vitest'

import {selectBackend} from '../src/model/backend.js'
import {UserError} from '../src/util/errors.js'

async function nodeBackendInstalled(): Promise<boolean> {
  const name = '@tensorflow/tfjs-node'
  try {
    await import(/* @vite-ignore */ name)
    return true
  } catch {
    return false
  }
}

describe('selectBackend', () => {
  it('picks the fastest backend that loads and reports the one actually in use', async () => {
    const name = await selectBackend()
    expect(name).toBe(tf.getBackend())
    expect(name).toBe((await nodeBackendInstalled()) ? 'tensorflow' : 'wasm')
  })

  it('makes a forced backend that cannot load a usage error, leaving the current backend alone', async (ctx) => {
    if (await nodeBackendInstalled()) ctx.skip()
    const before = await selectBackend()
    const attempt = selectBackend('node')
    await expect(attempt).rejects.toThrow(UserError)
    await expect(selectBackend('node')).rejects.toThrow(/Cannot use the node backend: @tensorflow\/tfjs-node is not installed/)
    await attempt.catch((error: UserError) => expect(error.exitCode).toBe(2))
    expect(tf.getBackend()).toBe(before)
  })

  it('switches to a forced backend that loads', async () => {
    expect(await selectBackend('cpu')).toBe('cpu')
    expect(await selectBackend('wasm')).toBe('wasm')
  })
})
