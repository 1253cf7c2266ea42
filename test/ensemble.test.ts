import {existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {cp, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {encodeWav16} from '../src/audio/write.js'
import {selectBackend} from '../src/model/backend.js'
import {buildModel} from '../src/model/build.js'
import {type ModelConfig, courseFeatures} from '../src/model/config.js'
import {writeEnsemble} from '../src/model/ensemble.js'
import {type Detector, loadDetector, saveDetector} from '../src/model/model-dir.js'
import {predictClip} from '../src/model/predict.js'
import {LOG_FEATURES} from '../src/features/transform.js'
import {TINY} from '../src/model/presets.js'
import {StreamingInference} from '../src/stream/inference.js'
import {ModelError, UserError} from '../src/util/errors.js'
import {runCli} from './helpers/cli.js'
import {tinyConfig} from './helpers/models.js'

const TOKENS = ['go', 'stop']
let dir: string
const open: Detector[] = []

/** A tiny model with a CTC head and seeded random weights: each seed its own network. */
async function saveSeeded(name: string, seed: number, overrides: Partial<ModelConfig> = {}): Promise<string> {
  const path = join(dir, name)
  const model = buildModel(TINY, {fused: true, ctcTokens: TOKENS.length, seed})
  await saveDetector(path, model, tinyConfig({vocabulary: {unit: 'word', tokens: TOKENS, blank: TOKENS.length}, training: {seed}, ...overrides}))
  model.dispose()
  return path
}

async function load(path: string): Promise<Detector> {
  const detector = await loadDetector(path)
  open.push(detector)
  return detector
}

/** Two seconds of noise bursts in int16 units, the same every run. */
function audio(): Float64Array {
  let s = 7
  const x = new Float64Array(2 * 44_100)
  for (let i = 0; i < x.length; i++) {
    s = (s * 48271) % 2147483647
    x[i] = (Math.sin(i / 3000) > 0 ? 8000 : 300) * (s / 2147483647 - 0.5)
  }
  return x
}

function maxDiff(a: Float32Array, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

function mean(arrays: Float32Array[]): Float32Array {
  return Float32Array.from(arrays[0], (_, i) => arrays.reduce((sum, a) => sum + a[i], 0) / arrays.length)
}

let a: string, b: string, c: string
const samples = audio()

beforeAll(async () => {
  await selectBackend()
  dir = mkdtempSync(join(tmpdir(), 'rnn-wake-ensemble-'))
  a = await saveSeeded('a', 1, {trigger: {threshold: 0.6, minSteps: 2, refractorySteps: 30}})
  b = await saveSeeded('b', 2, {trigger: {threshold: 0.8, minSteps: 1, refractorySteps: 10}})
  c = await saveSeeded('c', 3)
})

afterAll(async () => {
  for (const d of open) for (const network of d.networks) network.dispose()
  await rm(dir, {recursive: true, force: true})
})

describe('rnn-wake ensemble', () => {
  it('averages the trigger probability and the CTC posteriors of its networks, offline and streamed', async () => {
    await writeEnsemble(join(dir, 'ab'), [a, b])
    const ensemble = await load(join(dir, 'ab'))
    expect(ensemble.networks).toHaveLength(2)
    const one = predictClip(await load(a), samples)
    const two = predictClip(await load(b), samples)
    expect(maxDiff(one.trigger, two.trigger)).toBeGreaterThan(1e-3) // the seeds gave different networks
    const both = predictClip(ensemble, samples)
    expect(maxDiff(both.trigger, mean([one.trigger, two.trigger]))).toBeLessThan(1e-6)
    expect(maxDiff(both.tokens as Float32Array, mean([one.tokens as Float32Array, two.tokens as Float32Array]))).toBeLessThan(1e-6)

    const stream = new StreamingInference(ensemble)
    const probabilities: number[] = []
    const tokens: number[] = []
    for (let at = 0, size = 3000; at < samples.length; at += size, size = 1000 + ((size * 7) % 9000)) {
      const block = stream.push(samples.subarray(at, at + size))
      probabilities.push(...block.probabilities)
      tokens.push(...(block.tokens ?? []))
    }
    stream.dispose()
    expect(maxDiff(both.trigger, probabilities)).toBeLessThan(1e-4)
    expect(maxDiff(both.tokens as Float32Array, tokens)).toBeLessThan(1e-4)
  })

  it('writes the first network at the top level and lists the others with their seeds; the threshold is the mean', async () => {
    const result = await writeEnsemble(join(dir, 'listed'), [a, b, c])
    expect(result.networks).toBe(3)
    expect(readdirSync(join(dir, 'listed')).sort()).toEqual(['member-2', 'member-3', 'model.json', 'rnn-wake.json', 'weights.bin'])
    expect(readFileSync(join(dir, 'listed', 'member-3', 'weights.bin'))).toEqual(readFileSync(join(c, 'weights.bin')))
    const config = JSON.parse(readFileSync(join(dir, 'listed', 'rnn-wake.json'), 'utf8'))
    expect(config.members).toEqual(['member-2', 'member-3'])
    expect(config.trigger).toEqual({threshold: 0.63, minSteps: 2, refractorySteps: 30}) // (0.6 + 0.8 + 0.5) / 3, the first's other settings
    expect(config.training.ensemble.map((m: {seed: number; network: string}) => [m.network, m.seed])).toEqual([['.', 1], ['member-2', 2], ['member-3', 3]])
  })

  it('records where each network came from relative to the ensemble directory, and leaves out sources elsewhere (no absolute paths)', async () => {
    await writeEnsemble(join(dir, 'beside'), [a, b])
    const beside = JSON.parse(readFileSync(join(dir, 'beside', 'rnn-wake.json'), 'utf8'))
    expect(beside.training.ensemble.map((m: {from?: string}) => m.from)).toEqual(['../a', '../b'])
    // An ensemble of it and c, written into a subfolder: its own listing's "from" does not leak through.
    await writeEnsemble(join(dir, 'nested', 'abc'), [join(dir, 'beside'), c])
    const nested = JSON.parse(readFileSync(join(dir, 'nested', 'abc', 'rnn-wake.json'), 'utf8'))
    expect(nested.training.ensemble.map((m: {from?: string}) => m.from)).toEqual([undefined, undefined, undefined])
    const elsewhere = mkdtempSync(join(tmpdir(), 'rnn-wake-ensemble-out-'))
    await writeEnsemble(join(elsewhere, 'ab'), [a, b])
    const text = readFileSync(join(elsewhere, 'ab', 'rnn-wake.json'), 'utf8')
    expect(text).not.toContain(dir)
    expect(JSON.parse(text).training.ensemble.every((m: {from?: string}) => m.from === undefined)).toBe(true)
    await rm(elsewhere, {recursive: true, force: true})
  })

  it('the shipped ensemble records no machine-specific path', () => {
    const shipped = readFileSync(join(import.meta.dirname, '..', 'models', 'activate', 'rnn-wake.json'), 'utf8')
    expect(shipped).not.toMatch(/"\/(tmp|home|root|Users)\//)
  })

  it('an ensemble given as a model adds all of its networks, seeds kept', async () => {
    await writeEnsemble(join(dir, 'ab2'), [a, b])
    await writeEnsemble(join(dir, 'abc'), [join(dir, 'ab2'), c])
    const abc = await load(join(dir, 'abc'))
    expect(abc.networks).toHaveLength(3)
    expect((abc.config.training?.ensemble as Array<{seed: number}>).map((m) => m.seed)).toEqual([1, 2, 3])
    const each = await Promise.all([a, b, c].map(async (p) => predictClip(await load(p), samples).trigger))
    expect(maxDiff(predictClip(abc, samples).trigger, mean(each))).toBeLessThan(1e-6)
  })

  it('refuses models that cannot be averaged, or one model twice, naming them; leaves --out alone', async () => {
    const other = await saveSeeded('other-word', 4, {word: 'hello'})
    const noCtc = join(dir, 'no-ctc')
    const plain = buildModel(TINY, {fused: true, seed: 5})
    await saveDetector(noCtc, plain, tinyConfig())
    plain.dispose()
    const out = join(dir, 'refused')
    for (const [models, pattern] of [
      [[a, other], /Cannot combine .*other-word with .*a: it detects "hello", not "activate"/],
      [[a, noCtc], /Cannot combine .*no-ctc with .*a: their CTC vocabularies differ/],
      [[a, a], /is given twice/],
      [[a], /at least two models/],
      [[a, join(dir, 'missing')], /Cannot load model .*missing: no such directory/],
    ] as Array<[string[], RegExp]>) {
      const error = await writeEnsemble(out, models).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UserError)
      expect((error as Error).message).toMatch(pattern)
    }
    expect(readdirSync(dir)).not.toContain('refused')

    await mkdir(join(dir, 'busy'))
    await writeFile(join(dir, 'busy', 'keep.txt'), 'mine')
    await expect(writeEnsemble(join(dir, 'busy'), [a, b])).rejects.toThrow(/exists and is not empty \(pass --force/)
    expect(await readFile(join(dir, 'busy', 'keep.txt'), 'utf8')).toBe('mine')
  })

  it('a member folder that is missing or leads outside the model is a one-line ModelError naming it', async () => {
    await writeEnsemble(join(dir, 'broken'), [a, b])
    await rm(join(dir, 'broken', 'member-2'), {recursive: true})
    await expect(loadDetector(join(dir, 'broken'))).rejects.toThrow(/Cannot load model .*broken: member member-2: no model.json$/)

    await cp(a, join(dir, 'escape'), {recursive: true})
    const config = JSON.parse(readFileSync(join(dir, 'escape', 'rnn-wake.json'), 'utf8'))
    writeFileSync(join(dir, 'escape', 'rnn-wake.json'), JSON.stringify({...config, members: ['../b']}))
    const error = await loadDetector(join(dir, 'escape')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelError)
    expect((error as Error).message).toMatch(/members: "..\/b" is not a plain subfolder name/)
  })

  it('combines a full-band and a band-limited log front end: the narrow network reads the lowest bins, offline and streamed', async () => {
    // Given narrow first: the full-band model still goes to the top level and sets the front end.
    const save = async (name: string, seed: number, bins?: number): Promise<string> => {
      const path = join(dir, name)
      const features = bins ?? 101
      const model = buildModel({...TINY, features}, {fused: true, ctcTokens: TOKENS.length, seed})
      const transform = bins === undefined ? LOG_FEATURES : {...LOG_FEATURES, bins}
      await saveDetector(path, model, tinyConfig({preset: {...TINY, features}, features: courseFeatures(transform), vocabulary: {unit: 'word', tokens: TOKENS, blank: TOKENS.length}, training: {seed}}))
      model.dispose()
      return path
    }
    const wide = await save('wide', 11)
    const narrow = await save('narrow', 12, 37)
    await writeEnsemble(join(dir, 'band-mix'), [narrow, wide])
    const config = JSON.parse(readFileSync(join(dir, 'band-mix', 'rnn-wake.json'), 'utf8'))
    expect([config.preset.features, config.features.transform.bins]).toEqual([101, undefined])
    expect(readFileSync(join(dir, 'band-mix', 'member-2', 'weights.bin'))).toEqual(readFileSync(join(narrow, 'weights.bin')))
    const mix = await load(join(dir, 'band-mix'))
    const one = predictClip(await load(wide), samples)
    const two = predictClip(await load(narrow), samples)
    const both = predictClip(mix, samples)
    expect(maxDiff(both.trigger, mean([one.trigger, two.trigger]))).toBeLessThan(1e-6)
    expect(maxDiff(both.tokens as Float32Array, mean([one.tokens as Float32Array, two.tokens as Float32Array]))).toBeLessThan(1e-6)
    const stream = new StreamingInference(mix)
    const probabilities: number[] = []
    for (let at = 0, size = 2500; at < samples.length; at += size, size = 700 + ((size * 5) % 7000)) probabilities.push(...stream.push(samples.subarray(at, at + size)).probabilities)
    stream.dispose()
    expect(maxDiff(both.trigger, probabilities)).toBeLessThan(1e-4)

    // The raw (course) front end has no band to slice, and a member wider than the top level is no band of it.
    const error = await writeEnsemble(join(dir, 'band-raw'), [narrow, a]).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/Cannot combine .*narrow with .*a: their front ends \(features in rnn-wake.json\) differ/)
    const swapped = join(dir, 'band-swapped')
    await cp(join(dir, 'band-mix'), swapped, {recursive: true})
    for (const file of ['model.json', 'weights.bin']) await cp(join(wide, file), join(swapped, 'member-2', file))
    for (const file of ['model.json', 'weights.bin']) await cp(join(narrow, file), join(swapped, file))
    await expect(loadDetector(swapped)).rejects.toThrow(/the network takes 37 features per frame but rnn-wake.json says 101/)
  })

  it('member networks of another shape are refused at load', async () => {
    await writeEnsemble(join(dir, 'mixed'), [a, b])
    const plain = buildModel(TINY, {fused: true, seed: 6})
    await saveDetector(join(dir, 'plain'), plain, tinyConfig())
    plain.dispose()
    for (const file of ['model.json', 'weights.bin']) await cp(join(dir, 'plain', file), join(dir, 'mixed', 'member-2', file))
    await expect(loadDetector(join(dir, 'mixed'))).rejects.toThrow(/member member-2 gives outputs of shape \[\[1,1,1\]\] per step, the top-level network \[\[1,1,1\],\[1,1,3\]\]/)
  })

  it('the CLI combines models (replacing one of them with --force) and detect runs the result', async () => {
    const mine = join(dir, 'mine')
    await cp(a, mine, {recursive: true})
    const refused = runCli(['ensemble', mine, b, '--out', mine])
    expect(refused.status).toBe(6)
    expect(refused.stderr).toMatch(/^rnn-wake: Cannot write .*mine: the folder exists and is not empty/m)
    const r = runCli(['ensemble', mine, b, '--out', mine, '--force'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/mine: ensemble of 2 networks detecting "activate", threshold 0.7 \(the mean of the models'\)\nCalibrate it: rnn-wake evaluate --model .*mine --data CALIBRATION-SET --target-fa 0.5 --write-threshold/)
    expect(readdirSync(mine)).toContain('member-2')
    const wav = join(dir, 'clip.wav')
    writeFileSync(wav, encodeWav16(samples))
    const detect = runCli(['detect', wav, '--model', mine, '--json'])
    expect(detect.status).toBe(0)
    expect(JSON.parse(detect.stdout).model).toContain('mine')
    const usage = runCli(['ensemble', a, '--out', join(dir, 'lonely')])
    expect(usage.status).toBe(2)
    expect(usage.stderr).toMatch(/^rnn-wake: Give two or more model directories to combine, got 1$/m)
    expect(JSON.parse(readFileSync(join(mine, 'rnn-wake.json'), 'utf8')).trigger.rearmRatio).toBeUndefined()
    const rearm = runCli(['ensemble', a, b, '--out', join(dir, 'rearm'), '--rearm-ratio', '0.5'])
    expect(rearm.status, rearm.stderr).toBe(0)
    expect(JSON.parse(readFileSync(join(dir, 'rearm', 'rnn-wake.json'), 'utf8')).trigger.rearmRatio).toBe(0.5)
    const bad = runCli(['ensemble', a, b, '--out', join(dir, 'rearm-bad'), '--rearm-ratio', '2'])
    expect(bad.status).toBe(2)
    expect(existsSync(join(dir, 'rearm-bad'))).toBe(false)
  })

  it('named thresholds of a source are not carried into the ensemble (they were set on its own outputs)', async () => {
    const named = join(dir, 'named-source')
    await cp(a, named, {recursive: true})
    const configPath = join(named, 'rnn-wake.json')
    writeFileSync(configPath, JSON.stringify({...JSON.parse(readFileSync(configPath, 'utf8')), thresholds: {'real-speech': 0.2}}))
    const r = runCli(['ensemble', named, b, '--out', join(dir, 'named-out')])
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(readFileSync(join(dir, 'named-out', 'rnn-wake.json'), 'utf8')).thresholds).toBeUndefined()
  })
})
