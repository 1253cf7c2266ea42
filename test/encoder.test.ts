import {execFile} from 'node:child_process'
import {mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {promisify} from 'node:util'

import * as tf from '@tensorflow/tfjs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {selectBackend} from '../src/model/backend.js'
import {isEncoderLayer} from '../src/model/encoder.js'
import {loadDetector} from '../src/model/model-dir.js'
import {DEFAULT} from '../src/model/presets.js'
import {resolveClipCorpus} from '../src/train/corpus.js'
import {listEntries} from '../src/dataset/clips.js'
import {COURSE_PARAMS} from '../src/dataset/index.js'
import {train} from '../src/train/trainer.js'
import {writeToyClips} from './helpers/toy-clips.js'
import {toyCorpus, toyTrainOptions} from './helpers/toy-train.js'

/** The trainable weights of a saved model's layers, by layer name (BatchNorm's moving statistics left out: they follow the data). */
async function layerWeights(dir: string): Promise<Map<string, Float32Array[]>> {
  const {model, networks} = await loadDetector(dir)
  const out = new Map<string, Float32Array[]>()
  for (const layer of model.layers) {
    if (layer.trainableWeights.length === 0 && layer.nonTrainableWeights.length === 0) continue
    const trainableNames = new Set(layer.weights.filter((w) => !/moving_(mean|variance)/.test(w.originalName)).map((w) => w.originalName))
    out.set(layer.name, layer.weights.filter((w) => trainableNames.has(w.originalName)).map((w) => w.read().dataSync() as Float32Array))
  }
  for (const n of networks) n.dispose()
  return out
}

const same = (a: Float32Array[], b: Float32Array[]): boolean => a.length === b.length && a.every((w, i) => w.length === b[i].length && w.every((v, j) => v === b[i][j]))

describe('train --from a pretrained encoder (and --freeze)', () => {
  let dir: string
  let encoder: string
  beforeAll(async () => {
    await selectBackend()
    dir = await mkdtemp(join(tmpdir(), 'rnn-wake-encoder-'))
    await writeToyClips(dir)
    encoder = join(dir, 'encoder')
    // The encoder: a network with a token head, as bench/encoder/pretrain.sh makes one.
    await train(toyTrainOptions(encoder, await toyCorpus(dir), {epochs: 2, ctcWeight: 1}))
  })
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('--freeze keeps every encoder layer as pretrained and trains the fresh trigger head, also on two gradient threads', async () => {
    const out = join(dir, 'frozen')
    const result = await train(toyTrainOptions(out, await toyCorpus(dir), {epochs: 1, from: encoder, freeze: true, threads: 2}))
    expect(result.config.training).toMatchObject({from: encoder, freeze: true})
    const before = await layerWeights(encoder)
    const after = await layerWeights(out)
    const encoderLayers = [...after.keys()].filter((name) => /^(conv1d|batch_normalization|gru)_/.test(name))
    expect(encoderLayers).toEqual(['conv1d_1', 'batch_normalization_1', 'gru_1', 'batch_normalization_2', 'gru_2', 'batch_normalization_3'])
    for (const name of encoderLayers) expect(same(after.get(name)!, before.get(name)!), name).toBe(true)
    // The trigger head learned, from fresh weights: not the encoder's head; the new model has no token head.
    expect(same(after.get('time_distributed_1')!, before.get('time_distributed_1')!)).toBe(false)
    expect(after.has('time_distributed_2')).toBe(false)
  })

  it('without --freeze the encoder layers start from the encoder and keep learning', async () => {
    const still = join(dir, 'still')
    await train(toyTrainOptions(still, await toyCorpus(dir), {epochs: 1, from: encoder, lr: 1e-12}))
    const moved = join(dir, 'moved')
    await train(toyTrainOptions(moved, await toyCorpus(dir), {epochs: 1, from: encoder, lr: 0.01}))
    const pre = await layerWeights(encoder)
    const a = await layerWeights(still)
    const b = await layerWeights(moved)
    const close = (x: Float32Array[], y: Float32Array[]): boolean => x.every((w, i) => w.every((v, j) => Math.abs(v - y[i][j]) < 1e-5))
    expect(close(a.get('gru_1')!, pre.get('gru_1')!)).toBe(true)
    expect(close(b.get('gru_1')!, pre.get('gru_1')!)).toBe(false)
  })

  it('refuses --freeze without an encoder and an encoder of another network', async () => {
    await expect(train(toyTrainOptions(join(dir, 'x'), await toyCorpus(dir), {epochs: 1, freeze: true}))).rejects.toThrow(/--freeze .*--from/)
    await expect(train(toyTrainOptions(join(dir, 'y'), await toyCorpus(dir), {epochs: 1, from: encoder, preset: {...DEFAULT}}))).rejects.toThrow(/--from .*differs/)
  })

  it('the command takes the network and front end from the encoder and refuses flags that would change them', async () => {
    const run = async (args: string[]): Promise<{code: number; stderr: string}> => {
      try {
        await promisify(execFile)(process.execPath, [resolve(import.meta.dirname, '..', 'bin', 'run.js'), 'train', ...args])
        return {code: 0, stderr: ''}
      } catch (error) {
        return error as {code: number; stderr: string}
      }
    }
    const data = ['--activates', join(dir, 'beeps'), '--negatives', join(dir, 'boops'), '--backgrounds', join(dir, 'bg'), '--epochs', '1']
    const withPreset = await run([...data, '--from', encoder, '--preset', 'tiny', '--out', join(dir, 'p')])
    expect(withPreset.code).toBe(2)
    expect(withPreset.stderr).toMatch(/--preset=tiny cannot also be provided when using --from/)
    const freezeAlone = await run([...data, '--freeze', '--out', join(dir, 'f')])
    expect(freezeAlone.code).toBe(2)
    expect(freezeAlone.stderr).toMatch(/--from/)
    // --init-from alone takes the model's network and front end too (here the tiny preset, not the default).
    const fine = join(dir, 'fine')
    const small = ['--epoch-size', '8', '--batch', '4', '--val-count', '2', '--procedural-backgrounds', '0']
    expect((await run([...data, ...small, '--init-from', encoder, '--ctc-weight', '1', '--out', fine])).code).toBe(0)
    expect((await loadDetector(fine)).config.preset.name).toBe('tiny')
    const missing = await run([...data, '--from', join(dir, 'nowhere'), '--out', join(dir, 'm')])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr.trim().split('\n')).toHaveLength(1)
    expect(missing.stderr).toMatch(/nowhere.*rnn-wake\.json/)
  })

  it('names the encoder layers: everything below the heads', () => {
    const names = ['conv1d_1', 'batch_normalization_3', 'gru_2', 'time_distributed_1', 'dense_1', 'dropout_1', 'input_1']
    expect(names.filter((name) => isEncoderLayer({name} as tf.layers.Layer))).toEqual(['conv1d_1', 'batch_normalization_3', 'gru_2'])
  })
})

describe('--words folders name their words', () => {
  it('a clip in a --words folder says the folder name (the token vocabulary of a many-word encoder)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rnn-wake-words-'))
    try {
      await writeToyClips(dir)
      const params = {...COURSE_PARAMS, maxTriggers: 2}
      const named = await resolveClipCorpus({trigger: 'beep', triggers: [join(dir, 'beeps')], negatives: [join(dir, 'boops')], backgrounds: [join(dir, 'bg')], wordFolders: true}, params, {valSplit: 0.25, seed: 1, procedural: 0})
      expect(named.words.sort()).toEqual(['beep', 'boops'])
      const plain = await resolveClipCorpus({trigger: 'beep', triggers: [join(dir, 'beeps')], negatives: [join(dir, 'boops')], backgrounds: [join(dir, 'bg')]}, params, {valSplit: 0.25, seed: 1, procedural: 0})
      expect(plain.words.sort()).toEqual(['<other>', 'beep'])
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('a link to a folder counts as a word folder (a --words folder made of links to others)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rnn-wake-links-'))
    try {
      await mkdir(join(dir, 'real', 'stop'), {recursive: true})
      await mkdir(join(dir, 'words'))
      await symlink(join(dir, 'real', 'stop'), join(dir, 'words', 'stop'))
      await mkdir(join(dir, 'words', 'go'))
      await writeFile(join(dir, 'words', 'notes.txt'), 'x')
      await symlink(join(dir, 'nowhere'), join(dir, 'words', 'broken'))
      expect(await listEntries(join(dir, 'words'))).toEqual([
        {name: 'broken', isDir: false},
        {name: 'go', isDir: true},
        {name: 'notes.txt', isDir: false},
        {name: 'stop', isDir: true},
      ])
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})
