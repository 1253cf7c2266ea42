import {copyFile, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {extname, join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {buildFlac} from '../bench/fuzz-codecs.mjs'
import {writeWav16} from '../src/audio/index.js'
import {selectBackend} from '../src/model/backend.js'
import {loadDetector} from '../src/model/model-dir.js'
import {evaluateModel} from '../src/metrics/evaluate-model.js'
import {train} from '../src/train/trainer.js'
import {ROOT} from './helpers/cli.js'
import {noise, tone} from './helpers/signals.js'
import {toyCorpus, toyTrainOptions} from './helpers/toy-train.js'

/**
 * Clip folders that mix formats (issue 17): the trainer's toy problem (1 kHz
 * "beep" among 3 kHz "boop"s over noise) with half the beeps as FLAC, the
 * boops joined by Ogg Vorbis, Ogg Opus and MP3 speech (test/fixtures/formats)
 * and a FLAC background; then evaluate over a folder of every format.
 */

let dir: string
const FIXTURES = join(ROOT, 'test', 'fixtures', 'formats')

function flac(samples: Float64Array): Uint8Array {
  return buildFlac({channels: [Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v))))], bits: 16, rate: 44_100, blockSize: 4096})
}

beforeAll(async () => {
  await selectBackend()
  dir = await mkdtemp(join(tmpdir(), 'rnn-wake-train-formats-'))
  for (const folder of ['beeps', 'boops', 'bg', 'mixed']) await mkdir(join(dir, folder))
  for (let i = 0; i < 4; i++) {
    if (i % 2 === 0) await writeWav16(join(dir, 'beeps', `${i}.wav`), tone(1000, 0.4, i))
    else await writeFile(join(dir, 'beeps', `${i}.flac`), flac(tone(1000, 0.4, i)))
    await writeWav16(join(dir, 'boops', `${i}.wav`), tone(3000, 0.4, i))
  }
  for (const name of ['seed-mono.ogg', 'seed-mono.opus', 'seed-mono.mp3']) await copyFile(join(FIXTURES, name), join(dir, 'boops', name))
  await writeWav16(join(dir, 'bg', 'noise.wav'), noise(10, 3000, 7))
  await writeFile(join(dir, 'bg', 'noise.flac'), flac(noise(10, 3000, 8)))
  await writeWav16(join(dir, 'mixed', 'a.wav'), noise(2, 3000, 9))
  await writeFile(join(dir, 'mixed', 'b.flac'), flac(noise(2, 3000, 10)))
  for (const name of ['demo-1.0-4.5s.ogg', 'demo-1.0-4.5s.opus', 'demo-1.0-4.5s.mp3']) await copyFile(join(FIXTURES, name), join(dir, 'mixed', name))
  await writeFile(join(dir, 'mixed', 'notes.txt'), 'not audio: evaluate --negatives skips what is not named as audio')
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('folders mixing WAV, FLAC, Ogg Vorbis, Ogg Opus and MP3', () => {
  it('train on them (tiny preset, two epochs) and evaluate over them', async () => {
    const corpus = await toyCorpus(dir)
    const spec = corpus.train.kind === 'clips' ? corpus.train : undefined
    const val = corpus.val.kind === 'clips' ? corpus.val : undefined
    const files = [...spec!.triggers, ...spec!.negatives, ...val!.triggers, ...val!.negatives, ...spec!.backgrounds]
    expect(new Set(files.map((f) => extname(f))).size).toBe(5)
    const out = join(dir, 'model')
    const result = await train(toyTrainOptions(out, corpus, {epochs: 2}))
    expect(result.state).toMatchObject({epoch: 2, finished: true})
    const detector = await loadDetector(out)
    const report = await evaluateModel(detector, {datasets: [], negatives: [join(dir, 'mixed')], trigger: detector.config.trigger, targetFaPerHour: 1})
    expect(report.negatives.files).toBe(5)
    expect(report.negatives.seconds).toBeCloseTo(2 + 2 + 3 * 3.5, 1)
    for (const network of detector.networks) network.dispose()
  }, 240_000)
})
