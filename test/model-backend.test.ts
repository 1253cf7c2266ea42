import * as tf from '@tensorflow/tfjs'
import {spawnSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'

import {selectBackend} from '../src/model/backend.js'
import {UserError} from '../src/util/errors.js'
import {ROOT} from './helpers/cli.js'

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

describe('tfjs stays quiet', () => {
  it('importing the backend module silences the "Hi, looks like you are running TensorFlow.js in Node.js" banner, even before selectBackend', () => {
    // A fresh process (this one already made tensors): the cpu backend prints its banner on its first tensor.
    const script = `
      const tf = await import('@tensorflow/tfjs')
      await import('./dist/src/model/backend.js')
      await tf.setBackend('cpu')
      tf.tensor([1, 2, 3]).square().dataSync()
    `
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {cwd: ROOT, encoding: 'utf8'})
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).not.toMatch(/looks like you are running TensorFlow.js/)
    expect(r.stdout).not.toMatch(/looks like you are running TensorFlow.js/)
  })
})
