import {mkdtempSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {beforeAll, describe, expect, it} from 'vitest'

import {encodeWav16} from '../src/audio/write.js'
import {selectBackend} from '../src/model/backend.js'
import {buildModel} from '../src/model/build.js'
import {saveDetector} from '../src/model/model-dir.js'
import {TINY} from '../src/model/presets.js'
import {editCounts} from '../src/metrics/edit-distance.js'
import {runCli} from './helpers/cli.js'
import {tinyConfig} from './helpers/models.js'

/**
 * evaluate's transcription numbers on models whose token head says the same
 * thing at every step, so the transcript of any clip is known in advance.
 */

const TOKENS = ['down', 'go', 'up']
let root: string
let dataset: string

function tone(seconds: number, freq: number, amp = 8000): Float64Array {
  return Float64Array.from({length: Math.round(seconds * 44_100)}, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / 44_100))
}

/** Every weight zero, except the token head's bias, which makes `token` (an index; TOKENS.length = blank) certain. */
async function saveConstantTokenModel(dir: string, token: number): Promise<void> {
  const model = buildModel(TINY, {fused: true, ctcTokens: TOKENS.length})
  const weights = model.weights.map((w) => {
    if (w.name.includes('moving_variance')) return tf.onesLike(w.read())
    if (w.name.startsWith('time_distributed_2') && w.name.includes('bias')) return tf.oneHot([token], TOKENS.length + 1).reshape([TOKENS.length + 1]).mul(20)
    return tf.zerosLike(w.read())
  })
  model.setWeights(weights)
  await saveDetector(dir, model, tinyConfig({word: 'go', vocabulary: {unit: 'word', tokens: TOKENS, blank: TOKENS.length}}))
  tf.dispose(weights)
  model.dispose()
}

function transcripts(): string[][] {
  return readFileSync(join(dataset, 'manifest.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).transcript as string[])
}

beforeAll(async () => {
  await selectBackend('cpu')
  root = mkdtempSync(join(tmpdir(), 'rnn-wake-eval-ctc-'))
  for (const [word, freq] of [
    ['go', 700],
    ['up', 300],
    ['down', 1500],
  ] as const) {
    mkdirSync(join(root, 'words', word), {recursive: true})
    writeFileSync(join(root, 'words', word, 'a.wav'), encodeWav16(tone(0.4, freq)))
  }
  mkdirSync(join(root, 'bg'))
  writeFileSync(join(root, 'bg', 'b.wav'), encodeWav16(tone(10, 50, 500)))
  dataset = join(root, 'test-set')
  const r = runCli(['synthesize', '--words', join(root, 'words'), '--trigger', 'go', '--phrases', 'up,down up', '--phrase-prob', '1', '--backgrounds', join(root, 'bg'), '--count', '4', '--seed', '5', '--workers', '1', '--out', dataset])
  expect(r.status, r.stderr).toBe(0)
})

describe('rnn-wake evaluate with a CTC head', () => {
  it('a head that only ever emits the blank deletes every word: WER and CER 100%', async () => {
    const model = join(root, 'blank')
    await saveConstantTokenModel(model, TOKENS.length)
    const r = runCli(['evaluate', '--model', model, '--data', dataset, '--backend', 'cpu', '--json'])
    expect(r.status, r.stderr).toBe(0)
    const t = JSON.parse(r.stdout).transcription
    const words = transcripts().reduce((n, w) => n + w.length, 0)
    expect(t.examples).toBe(4)
    expect(t.wer).toMatchObject({rate: words ? 1 : 0, deletions: words, insertions: 0, substitutions: 0, referenceLength: words})
    expect(t.cer.rate).toBe(words ? 1 : 0)
    expect(t.bestPath.wer.rate).toBe(t.wer.rate)
    expect(t.decoder).toMatch(/beam search/)
  })

  it('a head that always says "up" transcribes every clip as "up", in text and --json', async () => {
    const model = join(root, 'up')
    await saveConstantTokenModel(model, TOKENS.indexOf('up'))
    const r = runCli(['evaluate', '--model', model, '--data', dataset, '--backend', 'cpu', '--json'])
    expect(r.status, r.stderr).toBe(0)
    const t = JSON.parse(r.stdout).transcription
    const refs = transcripts()
    const errors = refs.reduce((n, ref) => n + editCounts(ref, ['up']).errors, 0)
    const length = refs.reduce((n, ref) => n + ref.length, 0)
    expect(t.wer).toMatchObject({errors, referenceLength: length})
    expect(t.wer.rate).toBeCloseTo(errors / length, 12)
    expect(t.bestPath.wer.errors).toBe(errors)
    const text = runCli(['evaluate', '--model', model, '--data', dataset, '--backend', 'cpu'])
    expect(text.status, text.stderr).toBe(0)
    expect(text.stdout).toMatch(new RegExp(`transcription \\(prefix beam search \\(width 8\\).*WER ${((100 * errors) / length).toFixed(1)}% \\(${errors}/${length}\\)`))
  })

  it('audio with no word of the vocabulary in it: the rates are "n/a" with the insertions counted, not Infinity%', async () => {
    for (const [word, freq] of [
      ['left', 900],
      ['right', 1200],
    ] as const) {
      mkdirSync(join(root, 'other-words', word), {recursive: true})
      writeFileSync(join(root, 'other-words', word, 'a.wav'), encodeWav16(tone(0.4, freq)))
    }
    const outside = join(root, 'outside-set')
    const made = runCli(['synthesize', '--words', join(root, 'other-words'), '--trigger', 'left', '--backgrounds', join(root, 'bg'), '--count', '2', '--seed', '6', '--workers', '1', '--out', outside])
    expect(made.status, made.stderr).toBe(0)
    const model = join(root, 'up-outside')
    await saveConstantTokenModel(model, TOKENS.indexOf('up'))
    const r = runCli(['evaluate', '--model', model, '--data', outside, '--backend', 'cpu'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).not.toMatch(/Infinity/)
    expect(r.stdout).toMatch(/WER n\/a \(\d+ inserted\)/)
    expect(r.stdout).toMatch(/decoders: prefix beam search \(width 8\) n\/a \(\d+ inserted\)/)
  })

  it('a model without a token head reports no transcription', async () => {
    const model = join(root, 'plain')
    const m = buildModel(TINY, {fused: true})
    await saveDetector(model, m, tinyConfig({word: 'go'}))
    const r = runCli(['evaluate', '--model', model, '--data', dataset, '--backend', 'cpu', '--json'])
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).transcription).toBeUndefined()
  })
})
