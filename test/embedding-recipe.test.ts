import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {beforeAll, describe, expect, it} from 'vitest'

import {embedAudio, loadSpeechEmbedding} from '../src/features/speech-embedding.js'
import {selectBackend} from '../src/model/backend.js'
import {readModelConfig} from '../src/model/config.js'
import {loadDetector} from '../src/model/model-dir.js'
import {predictClip} from '../src/model/predict.js'
import {StreamingInference} from '../src/stream/inference.js'
import {type FeatureBank, decodeBank, encodeBank, readBank, writeBank} from '../src/train/feature-bank.js'
import type {Clip} from '../src/dataset/clips.js'
import {deriveRng} from '../src/dataset/rng.js'
import {bankOfExamples, endStep, labelSteps, makeBatch, mixExample} from '../src/train/embedding/data.js'
import {hardNegatives} from '../src/train/embedding/mining.js'
import {mapInputs, writeVoiceMap} from '../src/train/embedding/voice-map.js'
import {wordBankExamples, wordExampleName} from '../src/train/embedding/word-bank.js'
import {chooseDecoder} from '../src/train/embedding/stages.js'
import {domainCritic, domainLoss, reversalScale} from '../src/train/embedding/domain.js'
import {ALIGN_SPAN_STEPS, phraseVocabulary} from '../src/train/embedding/tokens.js'
import {vocabularyTargets} from '../src/train/token-targets.js'
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

  const clip = (word: string, seconds: number, value: number): Clip => ({word, source: `${word}.wav`, samples: new Float64Array(Math.round(seconds * 44_100)).fill(value), rms: value})

  it('mixes context words before the word and a phrase after it, and says where each ends', () => {
    const word = clip('activate', 0.6, 1000)
    const others = [clip('hello', 0.4, 500)]
    for (let seed = 0; seed < 20; seed++) {
      const plain = mixExample(word, others, [], deriveRng('t', seed), 44_100)
      expect(plain.samples.length).toBe(Math.round(3.2 * 44_100))
      expect(plain.placed.at(-1)).toEqual({word: 'activate', end: plain.wordEnd})
      const alone = mixExample(word, others, [], deriveRng('t', seed), 44_100, 0)
      expect(alone.placed).toEqual([{word: 'activate', end: alone.wordEnd}])
      const phrase = mixExample(word, others, [], deriveRng('t', seed), 44_100, 2, [clip('lights', 0.5, 800), clip('on', 0.3, 800)])
      const words = phrase.placed.map((p) => p.word)
      expect(words.slice(-3)).toEqual(['activate', 'lights', 'on'])
      expect(words.slice(0, -3).every((w) => w === 'hello')).toBe(true)
      const ends = phrase.placed.map((p) => p.end)
      expect([...ends].sort((a, b) => a - b)).toEqual(ends)
      // The example grows to hold the phrase and a 0.4 s tail.
      expect(phrase.samples.length).toBeGreaterThanOrEqual(ends.at(-1)! + Math.round(0.4 * 44_100))
    }
    expect(endStep(0.08)).toBe(0)
    expect(endStep(0.081)).toBe(1)
  })

  it('asks the token head for each vocabulary word after it ends and for silence after other words', () => {
    const vocabulary = phraseVocabulary('activate', [['lights', 'on'], ['stop']])
    expect(vocabulary.tokens).toEqual(['activate', 'lights', 'on', 'stop'])
    const targets = vocabularyTargets(['hello', 'activate', 'lights', 'on'], [3, 10, 14, 17], vocabulary, 24, ALIGN_SPAN_STEPS)
    expect(targets.ids).toEqual([0, 1, 2])
    const blank = 4
    expect(Array.from(targets.align!.subarray(10, 19))).toEqual([0, 0, blank, blank, 1, 1, blank, 2, 2])
  })

  it('cuts half the bank crops around mined places, and keeps words whose end is in the sequence', () => {
    const steps = 16
    const seq = (n: number, v: number) => ({name: `s${v}`, frames: n, data: new Float32Array(n * 96).map((_, i) => v + Math.floor(i / 96) / 1000)})
    const bank = {bins: 96, frontEnd: 'x', sequences: [seq(200, 1), seq(200, 2)]}
    const scores = [new Float32Array(200), new Float32Array(200)]
    scores[1][150] = 0.9
    scores[1][152] = 0.95
    scores[0][20] = 0.3
    const hard = hardNegatives(scores, {count: 10, minScore: 0.05})
    expect(hard).toEqual([{sequence: 1, step: 152, score: expect.closeTo(0.95, 5)}, {sequence: 0, step: 20, score: expect.closeTo(0.3, 5)}])
    const example = {data: new Float32Array(40 * 96).fill(-1), steps: 40, positiveSteps: [30, 31], words: [{word: 'hello', endStep: 8}, {word: 'beep', endStep: 29}]}
    const set = {positives: [example], negatives: [{...example, positiveSteps: []}]}
    const batch = makeBatch(set, bank, deriveRng('b', 1), {size: 300, steps, positiveWeight: 4, hard: [hard[0]]})
    let aroundHard = 0
    for (let row = 2; row < 300; row += 3) {
      const first = batch.x[row * steps * 96]
      const last = batch.x[(row * steps + steps - 1) * 96]
      // Rows of sequence 2 ending 0-8 steps after step 152 start at 137-145.
      if (Math.floor(first) === 2 && Math.round((last - 2) * 1000) >= 152 && Math.round((last - 2) * 1000) <= 160) aroundHard++
    }
    expect(aroundHard).toBeGreaterThan(30)
    expect(aroundHard).toBeLessThan(70)
    // Positive rows keep the trigger word (its end is inside) and its labels.
    const row0 = batch.words[0]
    expect(row0.map((w) => w.word)).toContain('beep')
    const beep = row0.find((w) => w.word === 'beep')!
    expect(batch.y[beep.endStep + 1]).toBe(1)
    expect(batch.words[2]).toEqual([])
    // Every step says where it came from: bank steps (values 1.x or 2.x here) are marked, example steps (-1) not.
    for (let i = 0; i < batch.size * steps; i++) expect(batch.fromBank[i]).toBe(batch.x[i * 96] > 0 ? 1 : 0)
    expect(batch.fromBank.subarray(2 * steps, 3 * steps).every((v) => v === 1)).toBe(true)
    // The critic never sees the trigger rows' examples (row 0), only other words (row 1) and the bank.
    for (let i = 0; i < steps; i++) expect(batch.domainMask[i]).toBe(batch.fromBank[i])
    expect(batch.domainMask.subarray(steps, 3 * steps).every((v) => v === 1)).toBe(true)
    // --bank none: the negatives stand in for the bank.
    expect(bankOfExamples([...set.negatives, ...set.negatives], 'x').sequences.map((s) => s.frames)).toEqual([2 * (40 - 6)])
  })

  it('draws a quarter of the negative rows from a word bank, whose examples name their words and leave out the trigger\'s look-alikes', () => {
    const steps = 16
    const bank = {bins: 96, frontEnd: 'x', sequences: [{name: 's', frames: 100, data: new Float32Array(100 * 96).fill(5)}]}
    const example = (v: number, words: Array<{word: string; endStep: number}>) => ({name: wordExampleName(words), frames: 30, data: new Float32Array(30 * 96).fill(v)})
    const words = {bins: 96, frontEnd: 'x', sequences: [example(-2, [{word: 'yes', endStep: 20}]), example(-3, [{word: 'no', endStep: 12}, {word: 'stop', endStep: 22}])]}
    // "stop" sounds like the trigger "stopwatch": its example is left out.
    const kept = wordBankExamples(words, 'stopwatch', 'w.bank')
    expect(kept.map((e) => e.words)).toEqual([[{word: 'yes', endStep: 20}]])
    expect(kept[0].positiveSteps).toEqual([])
    expect(wordBankExamples(words, 'hello', 'w.bank')).toHaveLength(2)
    // A bank whose sequences are not named by their words is refused in one line naming the file.
    expect(() => wordBankExamples(bank, 'hello', 'speech.bank')).toThrow(/speech\.bank.*not a word bank/)
    const positive = {data: new Float32Array(30 * 96).fill(-1), steps: 30, positiveSteps: [25], words: [{word: 'hello', endStep: 24}]}
    const set = {positives: [positive], negatives: [{...positive, positiveSteps: []}], words: kept}
    const batch = makeBatch(set, bank, deriveRng('w', 1), {size: 3000, steps, positiveWeight: 4})
    let fromWords = 0
    let negatives = 0
    for (let row = 1; row < 3000; row += 3) {
      const last = batch.x[(row * steps + steps - 1) * 96]
      negatives++
      if (last === -2) {
        fromWords++
        // Its word, where it ends inside the sequence, is the word head's target; never a trigger label.
        expect(batch.words[row].map((w) => w.word)).toEqual(['yes'])
      }
    }
    expect(fromWords / negatives).toBeGreaterThan(0.2)
    expect(fromWords / negatives).toBeLessThan(0.3)
    expect(batch.y.every((v, i) => v === 0 || Math.floor(i / steps) % 3 === 0)).toBe(true)
  })

  it('blends half the example rows with recorded speech (--bank-mix) and adds noise to example steps only (--input-noise)', () => {
    const steps = 16
    const bank = {bins: 96, frontEnd: 'x', sequences: [{name: 'b', frames: 300, data: new Float32Array(300 * 96).fill(5)}]}
    const example = {data: new Float32Array(40 * 96).fill(1), steps: 40, positiveSteps: [30, 31]}
    const set = {positives: [example], negatives: [{...example, positiveSteps: []}]}
    const size = 300
    const exampleSteps = (batch: ReturnType<typeof makeBatch>) => {
      const values: number[][] = []
      for (let row = 0; row < size; row++) {
        if (row % 3 === 2) continue
        values.push(Array.from({length: steps}, (_, k) => k).filter((k) => batch.fromBank[row * steps + k] === 0).map((k) => batch.x[(row * steps + k) * 96]))
      }
      return values
    }
    // Blended: (1 - a) 1 + a 5 with a in [0, 0.5), the same a along a row; unblended rows keep 1.
    const mixed = exampleSteps(makeBatch(set, bank, deriveRng('m', 1), {size, steps, positiveWeight: 4, bankMix: 0.5}))
    const blended = mixed.filter((row) => row[0] > 1 + 1e-6)
    expect(blended.length).toBeGreaterThan(mixed.length * 0.35)
    expect(blended.length).toBeLessThan(mixed.length * 0.65)
    for (const row of mixed) {
      expect(row.every((v) => v >= 1 - 1e-6 && v < 3)).toBe(true)
      expect(row.every((v) => Math.abs(v - row[0]) < 1e-5)).toBe(true)
    }
    // Noise: example steps spread by sigma around 1; bank steps stay 5 exactly.
    const sigma = 2
    const noisy = makeBatch(set, bank, deriveRng('n', 1), {size, steps, positiveWeight: 4, inputNoise: sigma})
    const deviations = exampleSteps(noisy).flat().map((v) => v - 1)
    const std = Math.sqrt(deviations.reduce((sum, d) => sum + d * d, 0) / deviations.length)
    expect(std).toBeGreaterThan(0.9 * sigma)
    expect(std).toBeLessThan(1.1 * sigma)
    for (let i = 0; i < size * steps; i++) if (noisy.fromBank[i] === 1) expect(noisy.x[i * 96]).toBe(5)
  })

  it('reverses the gradient the domain critic sends into the features, after a ramp from 0', () => {
    expect(reversalScale(0)).toBe(0)
    expect(reversalScale(1)).toBeGreaterThan(0.99)
    const input = tf.input({shape: [null, 4]})
    const model = tf.model({inputs: input, outputs: tf.layers.dense({units: 1, activation: 'sigmoid'}).apply(tf.layers.activation({activation: 'relu'}).apply(tf.layers.dense({units: 3}).apply(input))) as tf.SymbolicTensor})
    const critic = domainCritic(model, 'projection', 1, 7)
    const x = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 3)
    const fromBank = tf.tensor2d([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0]])
    const features = (critic.tapped.apply(x) as tf.Tensor[])[0]
    // The critic's own weights descend its loss; the features receive the gradient times -scale.
    const towardFeatures = (scale: number) => tf.grad((f: tf.Tensor) => domainLoss(critic, f, fromBank, scale))(features)
    const plain = towardFeatures(-1)
    const reversed = towardFeatures(0.5)
    const a = plain.dataSync()
    const b = reversed.dataSync()
    expect(Math.max(...Array.from(a, Math.abs))).toBeGreaterThan(0)
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(-0.5 * a[i], 6)
    tf.dispose([x, fromBank, features, plain, reversed, ...critic.variables])
  })

  it('chooses the decoder with the fewest word errors on held-out examples, on the networks\' averaged posteriors', () => {
    // Token posteriors [beep, boop, blank] per step: "beep" held for 3 steps at 0.6, and a one-step 0.9 spike of "boop"
    // that raw best path and beam search take for a word; smoothed over 3 steps it falls below blank.
    const steps = 12
    const posteriors = (spike: number) => {
      const p = new Float32Array(steps * 3)
      for (let k = 0; k < steps; k++) p.set([0, 0, 1], k * 3)
      for (const k of [3, 4, 5]) p.set([0.6, 0, 0.4], k * 3)
      p.set([0, spike, 1 - spike], 9 * 3)
      return p
    }
    const fake = (spike: number) => ({predict: (x: tf.Tensor) => [tf.zeros([1, x.shape[1] as number, 1]), tf.tensor3d(posteriors(spike), [1, steps, 3])]}) as unknown as tf.LayersModel
    const example = {data: new Float32Array(steps * 96), steps, positiveSteps: [6, 7], words: [{word: 'beep', endStep: 5}]}
    const vocabulary = {unit: 'word' as const, tokens: ['beep', 'boop']}
    const alone = chooseDecoder(fake(0.9), [example, example], vocabulary)
    expect(alone.decoder).toEqual({kind: 'best-path', smoothSteps: 3})
    expect(alone.wordErrorRate).toBe(0)
    // Averaged with a network that has no spike (0.45 left), raw best path is right and comes first among the fewest errors.
    const averaged = chooseDecoder([fake(0.9), fake(0)], [example], vocabulary)
    expect(averaged.wordErrorRate).toBe(0)
    expect(averaged.decoder).not.toEqual({kind: 'best-path', smoothSteps: 3})
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
    const args = ['train', '--activates', join(dir, 'beeps'), '--negatives', join(dir, 'boops'), '--trigger', 'beep', '--out', out, '--steps', '12', '--networks', '1', '--bank', join(dir, 'train.bank'), '--calibration-bank', join(dir, 'cal.bank'), '--no-cache']
    const r = runCli(args, {timeout: 240_000})
    expect(r.stderr).toMatch(/speech-embedding recipe/)
    expect(r.stderr).toMatch(/threshold [\d.]+: \d+ false accept\(s\) in 0\.00 h of real speech never trained on/)
    expect(r.stderr).toMatch(/warning: 0\.00 h of calibration speech cannot show 0\.5 FA\/h/)
    // By default the word head names the shipped word bank's ten words (no boop is named yet).
    expect(r.stderr).toMatch(/word bank: 700 examples of other words said by people and synthesizers \(0 left out/)
    expect(r.stderr).toMatch(/word head: 11 word tokens \+ blank \(words with >= 20 clips\)/)
    expect((await readModelConfig(out)).training).toMatchObject({wordHead: {minClips: 20, words: 11, wordBank: 'words.bank'}})
    expect(r.stderr).not.toMatch(/voice map/)
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
    // --networks 2 trains seeds 1 and 2 on the same examples and averages them: its second network is the seed-2 model's, byte for byte.
    const withOut = (to: string) => [...args.slice(0, args.indexOf('--out')), '--out', to, ...args.slice(args.indexOf('--out') + 2)].filter((a, i, all) => a !== '--networks' && all[i - 1] !== '--networks')
    const pair = join(dir, 'model-pair')
    const p = runCli([...withOut(pair), '--seed', '1', '--data-seed', '2', '--networks', '2'], {timeout: 240_000})
    expect(p.status, p.stderr).toBe(0)
    expect(p.stderr).toMatch(/network 2\/2 \(seed 2\)/)
    expect(p.stderr).toMatch(/threshold [\d.]+: the 2 networks averaged: \d+ false accept/)
    const pairConfig = await readModelConfig(pair)
    expect(pairConfig.members).toEqual(['member-2'])
    expect(pairConfig.training).toMatchObject({networks: 2, seeds: [1, 2], data: {triggerFolders: [join(dir, 'beeps')], negativeFolders: [join(dir, 'boops')]}})
    expect(Buffer.compare(await readFile(join(pair, 'member-2', 'weights.bin')), await readFile(join(second, 'weights.bin')))).toBe(0)
    const pairDetector = await loadDetector(pair)
    expect(pairDetector.networks).toHaveLength(2)
    // A speech-embedding flag with the spectrogram recipe is a usage error, not silently ignored.
    const wrong = runCli([...withOut(join(dir, 'model-wrong')), '--preset', 'tiny', '--networks', '2'])
    expect(wrong.status).toBe(2)
    expect(wrong.stderr).toMatch(/spectrogram recipe cannot take --steps/)
    // A spectrogram flag selects the spectrogram recipe; mixing it with --recipe speech-embedding is a usage error.
    const mixed = runCli([...args.slice(0, -1), '--recipe', 'speech-embedding', '--preset', 'tiny', '--force'])
    expect(mixed.status).toBe(2)
    expect(mixed.stderr).toMatch(/--recipe speech-embedding cannot take --preset/)
    // Phrases add a token head; mining, no context words and no bank are knobs of the same recipe.
    await writeFile(join(dir, 'boops', 'manifest.jsonl'), [0, 1, 2, 3].map((i) => JSON.stringify({file: `${i}.wav`, text: 'boop'})).join('\n') + '\n')
    const knobs = join(dir, 'model-knobs')
    const common = ['train', '--activates', join(dir, 'beeps'), '--negatives', join(dir, 'boops'), '--trigger', 'beep', '--steps', '12', '--calibration-bank', join(dir, 'cal.bank'), '--no-cache']
    const k = runCli([...common, '--out', knobs, '--bank', 'none', '--phrases', 'boop', '--mine', '1', '--context-words', '0'], {timeout: 240_000})
    expect(k.status, k.stderr).toBe(0)
    expect(k.stderr).toMatch(/token head: 2 word tokens \+ blank \("beep" "boop"\)/)
    expect(k.stderr).toMatch(/mining: \d+ places of the bank/)
    expect(k.stderr).toMatch(/no h of real speech to train on/)
    const knobConfig = await readModelConfig(knobs)
    expect(knobConfig.vocabulary).toMatchObject({unit: 'word', tokens: ['beep', 'boop'], blank: 2, decoder: {kind: 'best-path', smoothSteps: 1}})
    expect(knobConfig.training).toMatchObject({contextWords: 0, mineRounds: 1, bank: 'none', phrases: ['boop']})
    const knobDetector = await loadDetector(knobs)
    expect(predictClip(knobDetector, noise(2, 3000, 4)).tokens).toBeDefined()
    // The word head (other words named by their manifest) trains beside the trigger and is not saved with the model.
    const headed = join(dir, 'model-word-head')
    const identity = new Float64Array(mapInputs(0) * 96)
    for (let k = 0; k < 96; k++) identity[k * 96 + k] = 1
    await writeVoiceMap(join(dir, 'identity.map'), {context: 0, bins: 96, frontEnd: weights.sha256, weights: identity})
    const h = runCli([...common, '--out', headed, '--bank', 'none', '--word-head', '2', '--word-bank', 'none', '--voice-map', join(dir, 'identity.map')], {timeout: 240_000})
    expect(h.status, h.stderr).toBe(0)
    // An experimental voice map (here one that changes nothing) is said and recorded.
    expect(h.stderr).toMatch(/voice map: half the examples' rows mapped toward people's voices \(identity\.map\)/)
    expect((await readModelConfig(headed)).training).toMatchObject({voiceMap: 'identity.map'})
    expect(h.stderr).toMatch(/word head: 2 word tokens \+ blank \(words with >= 2 clips\)/)
    expect(h.stderr).toMatch(/step 12\/12: loss [\d.]+ \(ctc [\d.]+ per step\)/)
    const headedConfig = await readModelConfig(headed)
    expect(headedConfig.vocabulary).toBeUndefined()
    expect(headedConfig.training).toMatchObject({wordHead: {minClips: 2, words: 2, wordBank: 'none'}})
    const headedDetector = await loadDetector(headed)
    expect(predictClip(headedDetector, noise(2, 3000, 4)).tokens).toBeUndefined()
    // Without a word named often enough there is nothing for the head to learn: it is off, and says so.
    const few = runCli([...common, '--out', join(dir, 'model-few'), '--bank', 'none', '--word-head', '5', '--word-bank', 'none'], {timeout: 240_000})
    expect(few.status, few.stderr).toBe(0)
    expect(few.stderr).toMatch(/word head: off \(no other word has 5 or more clips named/)
    // A file that is not a word bank is refused in one line before training.
    const notWords = runCli([...common, '--out', join(dir, 'model-not-words'), '--word-bank', join(dir, 'cal.bank')], {timeout: 240_000})
    expect(notWords.status).toBe(3)
    expect(notWords.stderr.trim().split('\n').at(-1)).toMatch(/cal\.bank.*not a word bank/)
    const notMap = runCli([...common, '--out', join(dir, 'model-not-map'), '--voice-map', join(dir, 'cal.bank')], {timeout: 240_000})
    expect(notMap.status).toBe(3)
    expect(notMap.stderr.trim().split('\n').at(-1)).toMatch(/cal\.bank.*not an rnn-wake voice map/)
    const both = runCli([...common, '--out', join(dir, 'model-both'), '--word-head', '2', '--phrases', 'boop'])
    expect(both.status).toBe(2)
    expect(both.stderr).toMatch(/--word-head and --phrases cannot be used together/)
    // A phrase word no clip says is a usage error, before training.
    const unknown = runCli([...common, '--out', join(dir, 'model-zap'), '--phrases', 'zap'])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toMatch(/--phrases: no --negatives clip says "zap"/)
  }, 400_000)
})
