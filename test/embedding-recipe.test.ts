import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {embedAudio, loadSpeechEmbedding} from '../src/features/speech-embedding.js'
import {selectBackend} from '../src/model/backend.js'
import {readModelConfig} from '../src/model/config.js'
import {loadDetector} from '../src/model/model-dir.js'
import {predictClip} from '../src/model/predict.js'
import {StreamingInference} from '../src/stream/inference.js'
import {type FeatureBank, decodeBank, encodeBank, readBank, writeBank} from '../src/train/feature-bank.js'
import {labelSteps} from '../src/train/embedding/data.js'
import {runCli} from './helpers/cli.js'
import {noise} from './helpers/signals.js'
import {writeToyClips} from './helpers/toy-clips.js'

let dir: string

beforeAll(async () => {
  await selectBackend('wasm')
  dir = await mkdtemp(join(tmpdir(), 'rnn-wake-embedding-recipe-'))
})

describe('feature bank', () => {
  it('round-trips sequences within half a code step and refuses truncated or foreign files in one line', async () => {
    const data = Float32Array.from({length: 5 * 96}, (_, i) => Math.sin(i) * 3)
    const bank: FeatureBank = {bins: 96, frontEnd: 'x', sequences: [{name: 'a', frames: 5, data}, {name: 'b', frames: 0, data: new Float32Array(0)}]}
    const back = decodeBank(encodeBank(bank), 'mem.bank')
    expect(back.sequences.map((s) => s.frames)).toEqual([5, 0])
    let worst = 0
    for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(back.sequences[0].data[i] - data[i]))
    expect(worst).toBeLessThanOrEqual((6 / 255) * 0.5 + 1e-6)
    const file = join(dir, 'b.bank')
    await writeBank(file, bank)
    const bytes = await readFile(file)
    await writeFile(file, bytes.subarray(0, bytes.length - 7))
    await expect(readBank(file)).rejects.toThrow(/^Cannot read .*b\.bank: truncated: \d+ bytes of features, the header says \d+$/)
    await writeFile(file, 'RIFF....')
    await expect(readBank(file)).rejects.toThrow(/not an rnn-wake feature bank/)
  })
})

describe('speech-embedding recipe', () => {
  it('labels the steps whose 80 ms window ends within 0.48 s after the word', () => {
    expect(labelSteps(1.0, 40)).toEqual([12, 13, 14, 15, 16, 17])
    expect(labelSteps(3.1, 30)).toEqual([])
  })

  it('trains by default from clip folders, sets its threshold on the calibration bank, and the model runs offline and streamed alike', async () => {
    await writeToyClips(dir)
    // A tiny bank of "real speech" (noise here), embedded by the same front end.
    const weights = await loadSpeechEmbedding('test')
    const sequence = (seed: number) => {
      const {data, frames} = embedAudio(weights, noise(8, 2000, seed), 44_100)
      return {name: `n${seed}`, frames, data}
    }
    await writeBank(join(dir, 'train.bank'), {bins: 96, frontEnd: weights.sha256, sequences: [sequence(1), sequence(2)]})
    await writeBank(join(dir, 'cal.bank'), {bins: 96, frontEnd: weights.sha256, sequences: [sequence(3)]})
    const out = join(dir, 'model')
    const args = ['train', '--activates', join(dir, 'beeps'), '--negatives', join(dir, 'boops'), '--trigger', 'beep', '--out', out, '--steps', '12', '--bank', join(dir, 'train.bank'), '--calibration-bank', join(dir, 'cal.bank'), '--no-cache']
    const r = runCli(args, {timeout: 240_000})
    expect(r.stderr).toMatch(/speech-embedding recipe/)
    expect(r.stderr).toMatch(/threshold [\d.]+: \d+ false accept\(s\) in 0\.00 h of real speech never trained on/)
    expect(r.stderr).toMatch(/warning: 0\.00 h of calibration speech cannot show 0\.5 FA\/h/)
    expect(r.status).toBe(0)
    const config = await readModelConfig(out)
    expect(config.features).toMatchObject({kind: 'speech-embedding', weights: weights.sha256})
    expect(config.trigger.threshold).toBeGreaterThan(0)
    // The same run again into the same folder is refused before any training.
    const again = runCli(args)
    expect(again.status).toBe(6)
    expect(again.stderr.trim().split('\n')).toHaveLength(1)
    // Offline and streamed probabilities agree.
    const detector = await loadDetector(out)
    const x = noise(3, 3000, 9)
    const offline = predictClip(detector, x).trigger
    const stream = new StreamingInference(detector)
    const parts: number[] = []
    for (let at = 0; at < x.length; at += 3000) parts.push(...stream.push(x.subarray(at, at + 3000)).probabilities)
    expect(parts.length).toBe(offline.length)
    for (let i = 0; i < parts.length; i++) expect(parts[i]).toBeCloseTo(offline[i], 4)
    // Two seeds as an ensemble: its threshold is set again, on the shipped calibration bank.
    const second = join(dir, 'model-2')
    expect(runCli([...args.slice(0, args.indexOf('--out')), '--out', second, ...args.slice(args.indexOf('--out') + 2), '--seed', '2']).status).toBe(0)
    const ensemble = runCli(['ensemble', out, second, '--out', join(dir, 'ensemble')])
    expect(ensemble.status, ensemble.stderr).toBe(0)
    expect(ensemble.stdout).toMatch(/ensemble of 2 networks detecting "beep", threshold [\d.]+: \d+ false accept\(s\) in 0\.59 h of real speech never trained on/)
    const combined = await readModelConfig(join(dir, 'ensemble'))
    expect(ensemble.stdout).toContain(`threshold ${combined.trigger.threshold}:`)
    // A spectrogram flag selects the spectrogram recipe; mixing it with --recipe speech-embedding is a usage error.
    const mixed = runCli([...args.slice(0, -1), '--recipe', 'speech-embedding', '--preset', 'tiny', '--force'])
    expect(mixed.status).toBe(2)
    expect(mixed.stderr).toMatch(/--recipe speech-embedding cannot take --preset/)
  }, 300_000)
})
