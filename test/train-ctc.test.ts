import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {writeWav16} from '../src/audio/index.js'
import {COURSE_PARAMS} from '../src/dataset/index.js'
import {selectBackend} from '../src/model/backend.js'
import {loadDetector} from '../src/model/model-dir.js'
import {resolveClipCorpus, resolveDatasetCorpus} from '../src/train/corpus.js'
import {wordsInside} from '../src/train/examples.js'
import {type TrainOptions, train} from '../src/train/trainer.js'
import {runCli} from './helpers/cli.js'
import {noise, tone} from './helpers/signals.js'
import {toyTrainOptions} from './helpers/toy-train.js'

/**
 * Joint trigger + CTC training on a toy vocabulary of tone bursts: "beep"
 * (1 kHz) is the trigger, "boop" (3 kHz) and "buzz" (2 kHz) are command
 * words, and triggers are followed by the phrases "boop" or "buzz boop".
 */

let dir: string



async function options(out: string, overrides: Partial<TrainOptions> = {}): Promise<TrainOptions> {
  const corpus = await resolveClipCorpus(
    {trigger: 'beep', triggers: [join(dir, 'words', 'beep')], negatives: [join(dir, 'words', 'boop'), join(dir, 'words', 'buzz')], backgrounds: [join(dir, 'bg')], phrases: [['boop'], ['buzz', 'boop']]},
    {...COURSE_PARAMS, maxTriggers: 2, maxNegatives: 1, phraseProb: 0.9},
    {valSplit: 0, seed: 1, procedural: 0},
  )
  return toyTrainOptions(out, corpus, {epochs: 4, lr: 0.02, epochSize: 48, cropFrames: 1200, ctcWeight: 1, ...overrides})
}

beforeAll(async () => {
  await selectBackend()
  dir = await mkdtemp(join(tmpdir(), 'rnn-wake-train-ctc-'))
  for (const [word, freq] of [
    ['beep', 1000],
    ['boop', 3000],
    ['buzz', 2000],
  ] as const) {
    await mkdir(join(dir, 'words', word), {recursive: true})
    const lines: string[] = []
    for (let i = 0; i < 4; i++) {
      await writeWav16(join(dir, 'words', word, `${i}.wav`), tone(freq, 0.3, i))
      lines.push(JSON.stringify({file: `${i}.wav`, text: word}))
    }
    // What "rnn-wake tts" writes beside its clips: the word each file speaks.
    await writeFile(join(dir, 'words', word, 'manifest.jsonl'), lines.join('\n') + '\n')
  }
  await mkdir(join(dir, 'bg'))
  await writeWav16(join(dir, 'bg', 'noise.wav'), noise(10, 2000, 7))
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('joint trigger + CTC training', () => {
  it('a crop keeps only the words it holds completely', () => {
    const words = [
      {word: 'beep', startMs: 100, endMs: 400},
      {word: 'boop', startMs: 500, endMs: 800},
      {word: 'buzz', startMs: 900, endMs: 1200},
    ]
    expect(wordsInside(words, 0, 2000)).toEqual(['beep', 'boop', 'buzz'])
    expect(wordsInside(words, 450, 1000)).toEqual(['boop'])
    expect(wordsInside(words, 200, 1200)).toEqual(['boop', 'buzz'])
    expect(wordsInside(words, 1300, 2000)).toEqual([])
  })

  it('trains a token head beside the trigger head: CTC loss falls, and the model directory holds the vocabulary and two outputs', async () => {
    const out = join(dir, 'model')
    const result = await train(await options(out))
    const ctc = result.state.history.map((h) => h.ctcLoss!)
    console.log(`toy CTC loss per step, per epoch: ${ctc.map((l) => l.toFixed(3)).join(' ')}; val WER ${result.state.history.map((h) => h.valWer?.toFixed(2)).join(' ')}`)
    expect(ctc.every(Number.isFinite)).toBe(true)
    expect(ctc.at(-1)!).toBeLessThan(0.7 * ctc[0])

    const detector = await loadDetector(out)
    expect(detector.config.vocabulary).toMatchObject({unit: 'word', tokens: ['beep', 'boop', 'buzz'], blank: 3})
    // The decoder is chosen on validation, as the threshold is.
    expect(detector.config.vocabulary?.decoder?.kind).toMatch(/^(beam|best-path)$/)
    expect(detector.config.training?.ctcWeight).toBe(1)
    const outputs = detector.model.predict(tf.zeros([1, 800, 101])) as tf.Tensor[]
    expect(outputs.map((o) => o.shape)).toEqual([
      [1, 197, 1],
      [1, 197, 4],
    ])
    tf.dispose(outputs)
  })

  it('--ctc-unit char: the vocabulary is the letters plus the space token', async () => {
    const out = join(dir, 'chars')
    await train(await options(out, {epochs: 1, epochSize: 8, ctcUnit: 'char'}))
    const config = JSON.parse(await readFile(join(out, 'rnn-wake.json'), 'utf8'))
    expect(config.vocabulary).toMatchObject({unit: 'char', tokens: [' ', 'b', 'e', 'o', 'p', 'u', 'z'], blank: 7})
    // A one-word vocabulary keeps the space: an example may say the word twice.
    const one = join(dir, 'chars-one')
    await train(await options(one, {epochs: 1, epochSize: 8, ctcUnit: 'char', ctcVocabulary: ['beep']}))
    expect(JSON.parse(await readFile(join(one, 'rnn-wake.json'), 'utf8')).vocabulary).toMatchObject({unit: 'char', tokens: [' ', 'b', 'e', 'p'], blank: 4})
  })

  it('--resume without a weight keeps training the token head with the weight the run started with', async () => {
    const out = join(dir, 'resume')
    await train(await options(out, {epochs: 1, epochSize: 8, ctcWeight: 0.5, keepOptimizer: true}))
    const result = await train(await options(out, {epochs: 2, epochSize: 8, ctcWeight: undefined, resume: true}))
    expect(result.state.history.map((h) => h.ctcLoss !== undefined)).toEqual([true, true])
    expect(result.config.training?.ctcWeight).toBe(0.5)
  })

  it('learns from a synthesized dataset too: the vocabulary is the dataset\'s words, the targets its manifest\'s word times', async () => {
    const data = join(dir, 'dataset')
    const r = runCli(['synthesize', '--words', join(dir, 'words'), '--trigger', 'beep', '--phrases', 'boop,buzz boop', '--phrase-prob', '1', '--backgrounds', join(dir, 'bg'), '--count', '6', '--seed', '2', '--workers', '1', '--out', data])
    expect(r.status, r.stderr).toBe(0)
    const out = join(dir, 'from-dataset')
    const corpus = await resolveDatasetCorpus(data, {valSplit: 0.34, seed: 1})
    const result = await train(await options(out, {corpus, epochs: 2, batch: 2}))
    expect(result.config.vocabulary?.tokens).toEqual(['beep', 'boop', 'buzz'])
    expect(result.state.history.every((h) => Number.isFinite(h.ctcLoss) && h.valWer !== undefined)).toBe(true)
  })

  it('--ctc-vocabulary: the head learns only the words listed, and a word the data never says is refused', async () => {
    const out = join(dir, 'vocab')
    const result = await train(await options(out, {epochs: 1, epochSize: 8, ctcVocabulary: ['beep', 'boop']}))
    expect(result.config.vocabulary).toMatchObject({unit: 'word', tokens: ['beep', 'boop'], blank: 2})
    expect(result.config.training?.ctcAlignWeight).toBe(1)
    await expect(train(await options(join(dir, 'vocab-bad'), {epochs: 1, epochSize: 8, ctcVocabulary: ['beep', 'honk']}))).rejects.toThrow(/never says "honk"/)
  })

  it('--ctc-align-weight 0 trains on CTC alone and says so in the model directory', async () => {
    const result = await train(await options(join(dir, 'ctc-alone'), {epochs: 1, epochSize: 8, ctcAlignWeight: 0}))
    expect(result.config.training?.ctcAlignWeight).toBe(0)
  })

  it('weight 0 builds the trigger head alone and saves no vocabulary', async () => {
    const out = join(dir, 'plain')
    await train(await options(out, {epochs: 1, epochSize: 8, ctcWeight: 0}))
    const detector = await loadDetector(out)
    expect(detector.config.vocabulary).toBeUndefined()
    expect(detector.model.outputs).toHaveLength(1)
    expect(detector.model.getLayer('time_distributed_1')).toBeDefined()
  })
})
