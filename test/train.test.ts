import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {promisify} from 'node:util'

import * as tf from '@tensorflow/tfjs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LOG_FEATURES} from '../src/features/transform.js'
import {selectBackend} from '../src/model/backend.js'
import {readModelConfig} from '../src/model/config.js'
import {loadDetector} from '../src/model/model-dir.js'
import {TINY} from '../src/model/presets.js'
import {OPTIMIZER_JSON, STATE_FILE, lockPath} from '../src/train/checkpoint.js'
import {type TrainOptions, type TrainState, train} from '../src/train/trainer.js'
import {UserError} from '../src/util/errors.js'
import {writeToyClips} from './helpers/toy-clips.js'
import {savedWeights, toyCorpus, toyTrainOptions} from './helpers/toy-train.js'

/**
 * The trainer on a toy problem: the "trigger" is a 1 kHz tone burst, the
 * negatives are 3 kHz bursts, the background is quiet noise. The tiny preset
 * learns it within a few epochs of 1 s crops, in seconds.
 */

const ROOT = resolve(import.meta.dirname, '..')
const RUN = join(ROOT, 'bin', 'run.js')
const exec = promisify(execFile)
let dir: string

async function cli(args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
  try {
    const {stdout, stderr} = await exec(process.execPath, [RUN, 'train', ...args], {cwd: ROOT})
    return {code: 0, stdout, stderr}
  } catch (error) {
    const e = error as {code: number; stdout: string; stderr: string}
    return {code: e.code, stdout: e.stdout, stderr: e.stderr}
  }
}

async function options(out: string, overrides: Partial<TrainOptions> = {}): Promise<TrainOptions> {
  return toyTrainOptions(out, await toyCorpus(dir), {classWeight: 2, keepOptimizer: true, ...overrides})
}

beforeAll(async () => {
  await selectBackend()
  dir = await mkdtemp(join(tmpdir(), 'rnn-wake-train-'))
  await writeToyClips(dir)
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('train', () => {
  it('drives the loss down on a toy problem and saves a loadable model directory', async () => {
    const out = join(dir, 'model')
    const result = await train(await options(out, {epochs: 4, epochSize: 64, classWeight: 1, lr: 0.02}))
    const losses = result.state.history.map((h) => h.loss)
    console.log(`toy losses per epoch: ${losses.map((l) => l.toFixed(3)).join(" ")}`)
    expect(losses).toHaveLength(4)
    expect(losses.at(-1)!).toBeLessThan(0.6 * losses[0])

    const detector = await loadDetector(out)
    expect(detector.config.word).toBe('beep')
    expect(detector.config.preset).toEqual(TINY)
    expect(detector.config.features.transform).toEqual(LOG_FEATURES)
    expect(detector.config.trigger.threshold).toBeGreaterThan(0)
    expect(detector.config.trigger.refractorySteps).toBe(75)
    expect(detector.config.training?.epochs).toBe(4)
    expect(detector.config.training?.dataSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(existsSync(join(out, 'training-curve.png'))).toBe(true)
    const probs = detector.model.predict(tf.zeros([1, 800, 101])) as tf.Tensor
    expect(probs.shape).toEqual([1, 197, 1])
    tf.dispose([probs])
  })

  it('resumes from the checkpoint with the epoch counter and Adam state', async () => {
    const out = join(dir, 'resume')
    await train(await options(out, {epochs: 2}))
    const saved = JSON.parse(await readFile(join(out, OPTIMIZER_JSON), 'utf8')) as {iterations: number}
    expect(saved.iterations).toBe(2 * 4)
    const before = JSON.parse(await readFile(join(out, STATE_FILE), 'utf8')) as TrainState

    const lines: string[] = []
    const result = await train(await options(out, {epochs: 3, resume: true, log: (l) => lines.push(l)}))
    expect(lines.join('\n')).toContain('Adam state restored, 8 steps')
    expect(result.state.history.map((h) => h.epoch)).toEqual([1, 2, 3])
    expect(result.state.history.slice(0, 2)).toEqual(before.history)
    const after = JSON.parse(await readFile(join(out, OPTIMIZER_JSON), 'utf8')) as {iterations: number}
    expect(after.iterations).toBe(3 * 4)
    // Continuing, not restarting: the third epoch starts from the trained weights.
    expect(result.state.history[2].loss).toBeLessThan(before.history[0].loss)
  })

  it('gives the same model for the same seed (initial weights and dropout masks are seeded), another for another seed', async () => {
    const a = join(dir, 'seed-a')
    const b = join(dir, 'seed-b')
    const c = join(dir, 'seed-c')
    const ra = await train(await options(a, {epochs: 2}))
    const rb = await train(await options(b, {epochs: 2}))
    await train(await options(c, {epochs: 2, seed: 2}))
    expect(rb.state.history.map((h) => h.loss)).toEqual(ra.state.history.map((h) => h.loss))
    const wa = await savedWeights(a)
    expect(await savedWeights(b)).toEqual(wa)
    const wc = await savedWeights(c)
    expect(wc.some((v, i) => v !== wa[i])).toBe(true)
    // The saved config carries no step's dropout seed.
    expect(await readFile(join(a, 'model.json'), 'utf8')).toBe(await readFile(join(b, 'model.json'), 'utf8'))
  })

  it('ends a resumed run where a straight run of as many epochs ends', async () => {
    const straight = join(dir, 'straight')
    const resumed = join(dir, 'resumed')
    await train(await options(straight, {epochs: 3}))
    await train(await options(resumed, {epochs: 2}))
    await train(await options(resumed, {epochs: 3, resume: true}))
    expect(await savedWeights(resumed)).toEqual(await savedWeights(straight))
  })

  it('--val-every N validates every N epochs and after the last, and trains the same weights', async () => {
    const every = join(dir, 'val-every-1')
    const sparse = join(dir, 'val-every-2')
    await train(await options(every, {epochs: 3}))
    const lines: string[] = []
    const result = await train(await options(sparse, {epochs: 3, valEvery: 2, log: (l) => lines.push(l)}))
    expect(result.state.history.map((h) => h.epoch)).toEqual([2, 3])
    expect(lines.filter((l) => l.startsWith('epoch 1/3')).join()).toContain('validation every 2 epochs')
    expect(await savedWeights(sparse)).toEqual(await savedWeights(every))
  })

  it('saves a checkpoint and stops with the interrupted code when signalled', async () => {
    const out = join(dir, 'interrupted')
    const abort = new AbortController()
    let steps = 0
    const run = train(
      await options(out, {
        epochs: 5,
        onStep: () => {
          // Mid-way through the second epoch.
          if (++steps === 6) abort.abort()
        },
        signal: abort.signal,
      }),
    )
    await expect(run).rejects.toThrow(UserError)
    await expect(run).rejects.toMatchObject({exitCode: 130})
    const state = JSON.parse(await readFile(join(out, STATE_FILE), 'utf8')) as TrainState
    expect(state.epoch).toBe(1)
    expect(state.finished).toBe(false)
    expect(existsSync(join(out, OPTIMIZER_JSON))).toBe(true)
    expect(existsSync(lockPath(out))).toBe(false)
    expect((await readModelConfig(out)).training?.finished).toBe(false)
  })
})

describe('train command', () => {
  it('refuses a second run into the same directory', async () => {
    const out = join(dir, 'locked')
    // A live process (this one) holds the lock.
    await writeFile(lockPath(out), `${process.pid}\n`)
    const r = await cli(['--activates', join(dir, 'beeps'), '--negatives', join(dir, 'boops'), '--backgrounds', join(dir, 'bg'), '--preset', 'tiny', '--epochs', '1', '--out', out])
    await rm(lockPath(out))
    expect(r.code).toBe(7)
    expect(r.stderr.trim()).toMatch(new RegExp(`^rnn-wake: Another training run \\(pid ${process.pid}\\) is writing`))
    expect(existsSync(out)).toBe(false)
  })

  it('--calibrate-on raises the saved threshold until the model stays within --target-fa on that audio', async () => {
    const out = join(dir, 'calibrated')
    // The background noise is the "real speech" here: at --target-fa 0 no false accept on it is allowed.
    const r = await cli(['--activates', join(dir, 'beeps'), '--negatives', join(dir, 'boops'), '--backgrounds', join(dir, 'bg'), '--preset', 'tiny', '--epochs', '1', '--epoch-size', '16', '--val-count', '8', '--target-fa', '0', '--calibrate-on', join(dir, 'bg'), '--out', out])
    expect(r.code, r.stderr).toBe(0)
    const config = await readModelConfig(out)
    const c = config.training?.speechCalibration as {files: number; speechThreshold: number; previousThreshold: number; threshold: number; faPerHour: number}
    expect(c.files).toBeGreaterThan(0)
    expect(c.threshold).toBe(Math.max(c.previousThreshold, c.speechThreshold))
    expect(c.faPerHour).toBe(0)
    expect(config.trigger.threshold).toBe(c.threshold)
    expect(r.stdout).toMatch(/Calibrated on \d+ files \([\d.]+ min\): 0 FA\/h needs threshold [\d.]+; (raised|kept)/)
  })

  it('checks --calibrate-on before training: a missing folder is one line, exit 3, nothing written', async () => {
    const out = join(dir, 'never-calibrated')
    const r = await cli(['--activates', join(dir, 'beeps'), '--negatives', join(dir, 'boops'), '--backgrounds', join(dir, 'bg'), '--preset', 'tiny', '--epochs', '1', '--calibrate-on', join(dir, 'no-such-speech'), '--out', out])
    expect(r.code).toBe(3)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^rnn-wake: Cannot read .*no-such-speech: no such file or folder/)
    expect(existsSync(out)).toBe(false)
  })

  it('says in one line that a --data folder is not a dataset (exit 3)', async () => {
    const r = await cli(['--data', join(dir, 'bg'), '--preset', 'tiny', '--out', join(dir, 'never')])
    expect(r.code).toBe(3)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^rnn-wake: Cannot read .*dataset\.json/)
  })
})
