import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {encodeWav16} from '../src/audio/write.js'
import {selectBackend} from '../src/model/backend.js'
import {loadDetector} from '../src/model/model-dir.js'
import {BIN, ROOT} from './helpers/cli.js'

/** kill -9 in the middle of training: the last checkpoint stays loadable and --resume goes on from it. */

const RATE = 44_100
let dir: string

function burst(freq: number, seconds: number): Float64Array {
  const n = Math.round(seconds * RATE)
  return Float64Array.from({length: n}, (_, i) => 8000 * Math.sin((2 * Math.PI * freq * i) / RATE) * Math.sin((Math.PI * i) / n))
}

beforeAll(async () => {
  await selectBackend('cpu')
  dir = mkdtempSync(join(tmpdir(), 'rnn-wake-crash-train-'))
  for (const d of ['beeps', 'boops', 'bg']) mkdirSync(join(dir, d))
  for (let i = 0; i < 4; i++) {
    writeFileSync(join(dir, 'beeps', `${i}.wav`), encodeWav16(burst(1000 + 20 * i, 0.4)))
    writeFileSync(join(dir, 'boops', `${i}.wav`), encodeWav16(burst(3000 + 20 * i, 0.4)))
  }
  let s = 7
  writeFileSync(join(dir, 'bg', 'noise.wav'), encodeWav16(Float64Array.from({length: 10 * RATE}, () => ((s = (s * 48271) % 2147483647) / 2147483647 - 0.5) * 300)))
})

const trainArgs = (out: string, epochs: number) => [
  BIN, 'train', '--activates', join(dir, 'beeps'), '--negatives', join(dir, 'boops'), '--backgrounds', join(dir, 'bg'),
  '--preset', 'tiny', '--epochs', String(epochs), '--epoch-size', '16', '--batch', '8', '--val-count', '4', '--crop', '1',
  '--backend', 'cpu', '--seed', '1', '--out', out,
]

function epochOf(out: string): number {
  return JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')).epoch
}

describe('kill -9 during train', () => {
  it('leaves the last checkpoint loadable, and --resume continues from it', async () => {
    const out = join(dir, 'model')
    const child = spawn(process.execPath, trainArgs(out, 200), {cwd: ROOT, stdio: 'ignore'})
    // Wait for the second checkpoint, so the kill lands while a later epoch is being trained or written.
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 120_000
      const look = () => {
        if (existsSync(join(out, 'training.json')) && epochOf(out) >= 2) return resolve()
        if (Date.now() > deadline) return reject(new Error('no checkpoint in time'))
        setTimeout(look, 50)
      }
      look()
    })
    child.kill('SIGKILL')
    await new Promise((resolve) => child.on('close', resolve))

    const saved = epochOf(out)
    expect(saved).toBeGreaterThanOrEqual(2)
    const detector = await loadDetector(out)
    expect(detector.config.word).toBe('activate')
    detector.model.dispose()

    // The killed run's lock names a dead process: a new run takes it over instead of refusing.
    const resumed = spawnSync(process.execPath, [...trainArgs(out, saved + 1), '--resume'], {cwd: ROOT, encoding: 'utf8', timeout: 120_000})
    expect(resumed.status, resumed.stderr).toBe(0)
    expect(epochOf(out)).toBe(saved + 1)
    const history = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')).history as Array<{epoch: number}>
    expect(history.map((h) => h.epoch)).toEqual(Array.from({length: saved + 1}, (_, i) => i + 1))
  }, 240_000)
})
