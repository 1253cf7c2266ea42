import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {writeWav16} from '../src/audio/index.js'
import {
  COURSE_PARAMS,
  type Clip,
  type ExampleRecord,
  type SynthParams,
  type SynthSources,
  deriveRng,
  exampleRng,
  exampleSamples,
  formatManifestEntry,
  loadSources,
  parseManifest,
  readDataset,
  synthesizeExample,
} from '../src/dataset/index.js'
import {ROOT, runCli} from './helpers/cli.js'

const RATE = 44_100
const TY = 1375

function clip(word: string, source: string, samples: Float64Array): Clip {
  let sum = 0
  for (const v of samples) sum += v * v
  return {word, source, samples, rms: Math.sqrt(sum / samples.length)}
}

/** A Hann-shaped tone burst: a stand-in for a spoken word. */
function tone(seconds: number, hz: number, amplitude: number): Float64Array {
  const x = new Float64Array(Math.round(seconds * RATE))
  for (let i = 0; i < x.length; i++) x[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / RATE) * Math.sin((Math.PI * i) / x.length) ** 2
  return x
}

function noise(seconds: number, amplitude: number, key: number): Float64Array {
  const rng = deriveRng('test-noise', key)
  return Float64Array.from({length: Math.round(seconds * RATE)}, () => (rng.next() - 0.5) * 2 * amplitude)
}

const WORDS: SynthSources = {
  trigger: 'activate',
  triggers: [clip('activate', 'words/activate/a.wav', tone(0.5, 880, 10_000)), clip('activate', 'words/activate/b.wav', tone(0.6, 660, 14_000))],
  negatives: [
    clip('lights', 'words/lights/l.wav', tone(0.3, 400, 9000)),
    clip('off', 'words/off/o.wav', tone(0.25, 500, 9000)),
    clip('on', 'words/on/n.wav', tone(0.2, 300, 9000)),
    clip('stop', 'words/stop/s.wav', tone(0.35, 700, 9000)),
  ],
  backgrounds: [clip('', 'backgrounds/bg.wav', noise(10, 1000, 1))],
}
const PHRASES = [['lights', 'on'], ['lights', 'off'], ['stop']]
const WITH_PHRASES: SynthSources = {...WORDS, phrases: PHRASES}
const GAP: [number, number] = [Math.round(0.05 * RATE), Math.round(0.25 * RATE)]

/** The course's label formula, written out again rather than imported. */
function courseLabels(record: ExampleRecord): number[] {
  const y = new Array<number>(TY).fill(0)
  for (const c of record.clips) {
    if (!c.trigger) continue
    const segEndY = Math.floor((c.endMs * TY) / 10_000)
    for (let k = segEndY + 1; k <= segEndY + 50 && k < TY; k++) y[k] = 1
  }
  return y
}

/** Blocks as [first, end) indices into record.clips, checked to be adjacent and numbered in time order. */
function blocksOf(record: ExampleRecord): Array<[number, number]> {
  const blocks: Array<[number, number]> = []
  for (const [i, c] of record.clips.entries()) {
    if (c.group === undefined) continue
    const last = blocks.at(-1)
    if (last && record.clips[last[0]].group === c.group && last[1] === i) last[1] = i + 1
    else blocks.push([i, i + 1])
  }
  expect(blocks.map(([first]) => record.clips[first].group)).toEqual(blocks.map((_, k) => k))
  return blocks
}

describe('synthesizeExample with command phrases', () => {
  it('without phrases, draws exactly what the course method drew before phrases existed', () => {
    // sha256 of these examples as made by the implementation before command phrases were added.
    const h = createHash('sha256')
    for (let i = 0; i < 8; i++) {
      const params: SynthParams = {...COURSE_PARAMS, speed: i % 2 ? [0.9, 1.1] : null, snrDb: i % 4 > 1 ? [0, 10] : null}
      const ex = synthesizeExample(WORDS, exampleRng(11, i), params)
      h.update(Buffer.from(ex.audio.buffer))
      h.update(Buffer.from(ex.labels))
      h.update(JSON.stringify(ex.record))
    }
    expect(h.digest('hex')).toBe('e033ab96a448cc62e8d6843ac6c8c352ae2bd1a64790f509a50a00ed103e822c')
  })

  it('follows triggers with their phrase words in order, with gaps in bounds, no overlaps, course labels and a time-ordered transcript', () => {
    const params: SynthParams = {...COURSE_PARAMS, phraseProb: 1, speed: [0.9, 1.1]}
    let blocks = 0
    const used = new Set<number>()
    for (let i = 0; i < 20; i++) {
      const {record, labels} = synthesizeExample(WITH_PHRASES, exampleRng(3, i), params)
      const {clips} = record
      for (let k = 1; k < clips.length; k++) expect(clips[k].start).toBeGreaterThanOrEqual(clips[k - 1].end)
      expect(clips.every((c) => c.start >= 0 && c.end <= exampleSamples(params))).toBe(true)
      expect(record.transcript).toEqual(clips.map((c) => c.word))
      expect(Array.from(labels)).toEqual(courseLabels(record))
      for (const [first, end] of blocksOf(record)) {
        blocks++
        const block = clips.slice(first, end)
        const phrase = block[0].phrase!
        used.add(phrase)
        expect(block[0].trigger).toBe(true)
        expect(block.slice(1).every((c) => !c.trigger && c.phrase === phrase)).toBe(true)
        expect(block.slice(1).map((c) => c.word)).toEqual(PHRASES[phrase])
        for (let k = 1; k < block.length; k++) {
          const gap = block[k].start - block[k - 1].end
          expect(gap).toBeGreaterThanOrEqual(GAP[0])
          expect(gap).toBeLessThanOrEqual(GAP[1])
        }
      }
      // With probability 1, a trigger stands alone only when its block found no room.
      const lone = clips.filter((c) => c.trigger && c.group === undefined).length
      if (lone > 0) expect(record.skipped.length).toBeGreaterThanOrEqual(lone)
      // What the writer records, the reader accepts, checking each block against its phrase.
      const line = formatManifestEntry({index: 0, file: '00000.wav', ...record})
      expect(parseManifest(line + '\n', 'm.jsonl', COURSE_PARAMS, PHRASES)[0].clips).toEqual(clips)
    }
    expect(blocks).toBeGreaterThan(20)
    expect([...used].sort()).toEqual([0, 1, 2])
  })

  it('adds a phrase to about phraseProb of the triggers, and none at 0', () => {
    const count = (phraseProb: number): [number, number] => {
      let triggers = 0
      let followed = 0
      for (let i = 0; i < 40; i++) {
        const {record} = synthesizeExample(WITH_PHRASES, exampleRng(4, i), {...COURSE_PARAMS, phraseProb, maxNegatives: 0})
        triggers += record.clips.filter((c) => c.trigger).length
        followed += record.clips.filter((c) => c.trigger && c.group !== undefined).length
      }
      return [followed, triggers]
    }
    const [half, triggers] = count(0.5)
    expect(half / triggers).toBeGreaterThan(0.35)
    expect(half / triggers).toBeLessThan(0.65)
    expect(count(0)[0]).toBe(0)
  })

  it('places the trigger alone and skips the phrase words when the block finds no room', () => {
    // 2 s triggers and 3 s words: rarely do two blocks fit in 10 s, but a lone trigger often does.
    const crowded: SynthSources = {
      ...WORDS,
      triggers: [clip('activate', 'words/activate/long.wav', tone(2, 880, 9000))],
      negatives: [clip('stop', 'words/stop/long.wav', tone(3, 500, 9000))],
      phrases: [['stop']],
    }
    let fallback: ExampleRecord | undefined
    let placedBlock = false
    for (let i = 0; i < 30 && !(fallback && placedBlock); i++) {
      const {record} = synthesizeExample(crowded, exampleRng(5, i), {...COURSE_PARAMS, phraseProb: 1, maxNegatives: 0})
      if (record.clips.some((c) => c.trigger && c.group === undefined)) fallback = record
      if (blocksOf(record).length > 0) placedBlock = true
    }
    expect(fallback).toBeDefined()
    expect(placedBlock).toBe(true)
    // Every lone trigger left its phrase word among the skipped.
    const lone = fallback!.clips.filter((c) => c.trigger && c.group === undefined).length
    expect(fallback!.skipped.filter((s) => s.word === 'stop').length).toBeGreaterThanOrEqual(lone)
  })
})

describe('loadSources with phrases', () => {
  let tmp: string
  let words: string
  let backgrounds: string
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'rnn-wake-phrases-'))
    words = join(tmp, 'words')
    backgrounds = join(tmp, 'bg')
    for (const [i, w] of ['activate', 'lights', 'on', 'off', 'stop', 'play music'].entries()) await writeWav16(join(words, w, '1.wav'), tone(0.2 + 0.05 * i, 300 + 100 * i, 9000))
    await writeWav16(join(backgrounds, 'bg.wav'), noise(3, 1000, 2))
  })
  afterAll(async () => {
    if (tmp) await rm(tmp, {recursive: true, force: true})
  })
  const load = (phrases: string[][]) => loadSources({kind: 'words', words, trigger: 'activate', backgrounds, phrases}, 441_000)

  it('keeps the phrases with the sources', async () => {
    const {sources} = await load([['lights', 'on'], ['stop']])
    expect(sources.phrases).toEqual([['lights', 'on'], ['stop']])
    expect((await loadSources({kind: 'words', words, trigger: 'activate', backgrounds}, 441_000)).sources.phrases).toBeUndefined()
  })

  it('names a phrase word with no folder, and hints at one folder per word for a whole-phrase folder', async () => {
    await expect(load([['lights', 'on'], ['lights', 'dim']])).rejects.toThrow(`Cannot read ${words}: no folder for the word "dim" of the phrase "lights dim" (found: activate, lights, off, on, play music, stop)`)
    await expect(load([['play', 'music']])).rejects.toThrow(/no folder for the word "play" .*the folder "play music" holds the phrase as one clip, but phrases are placed word by word/)
  })

  it('refuses the trigger inside a phrase', async () => {
    await expect(load([['activate', 'lights']])).rejects.toThrow(/The phrase "activate lights" contains the trigger "activate"/)
  })
})

/** Through the built CLI (`npm run build` first): worker threads only exist in the compiled code. */
describe('synthesize --phrases', () => {
  let tmp: string
  let args: string[]
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'commands', 'synthesize.js'))) throw new Error('build first: npm run build')
    tmp = await mkdtemp(join(tmpdir(), 'rnn-wake-synth-phrases-'))
    const words = join(tmp, 'words')
    for (const [i, w] of ['activate', 'lights', 'on', 'off', 'stop'].entries()) {
      await writeWav16(join(words, w, 'a.wav'), tone(0.25 + 0.05 * i, 300 + 150 * i, 9000))
      await writeWav16(join(words, w, 'b.wav'), tone(0.3 + 0.04 * i, 350 + 120 * i, 12_000))
    }
    await writeWav16(join(tmp, 'bg', 'bg.wav'), noise(4, 1500, 3))
    await writeFile(join(tmp, 'phrases.txt'), '# what follows the trigger\nlights on\nlights off\n\nstop\n')
    args = ['synthesize', '--words', words, '--trigger', 'activate', '--backgrounds', join(tmp, 'bg'), '--count', '12', '--seed', '4', '--phrase-prob', '0.8', '--phrase-gap', '60,200']
  })
  afterAll(async () => {
    if (tmp) await rm(tmp, {recursive: true, force: true})
  })

  async function hashDir(dir: string): Promise<string> {
    const h = createHash('sha256')
    for (const name of (await readdir(dir)).sort()) h.update(name + '\0').update(await readFile(join(dir, name)))
    return h.digest('hex')
  }

  it('writes the same bytes with 1 or 2 workers, records the phrases and parameters, and reads back validated', async () => {
    const one = join(tmp, 'one')
    const two = join(tmp, 'two')
    const a = runCli([...args, '--phrases', 'lights on,lights off,stop', '--workers', '1', '--out', one])
    expect(a.stderr).toBe('')
    expect(a.status).toBe(0)
    expect(a.stdout).toMatch(/triggers followed by a phrase: \d+/)
    const b = runCli([...args, '--phrases-file', join(tmp, 'phrases.txt'), '--workers', '2', '--out', two])
    expect(b.status).toBe(0)
    expect(await hashDir(two)).toBe(await hashDir(one))

    const {info, entries} = await readDataset(one)
    expect(info.phrases).toEqual([['lights', 'on'], ['lights', 'off'], ['stop']])
    expect(info.params).toMatchObject({phraseProb: 0.8, phraseGapMs: [60, 200]})
    const stats = info.stats as {phrases: number; phraseWords: number; negatives: number}
    const clips = entries.flatMap((e) => e.clips)
    expect(stats.phrases).toBe(clips.filter((c) => c.trigger && c.group !== undefined).length)
    expect(stats.phraseWords).toBe(clips.filter((c) => !c.trigger && c.group !== undefined).length)
    expect(stats.phrases).toBeGreaterThan(5)
    expect(stats.negatives).toBe(clips.filter((c) => c.group === undefined && !c.trigger).length)
    const gaps = entries.flatMap((e) => e.clips.slice(1).map((c, k) => (c.group !== undefined && c.group === e.clips[k].group ? c.start - e.clips[k].end : null))).filter((g) => g !== null)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(Math.round(0.06 * RATE))
    expect(Math.max(...gaps)).toBeLessThanOrEqual(Math.round(0.2 * RATE))
  })

  it('rejects a phrase word with no folder, and phrase flags without phrases or with the course layout', () => {
    const missing = runCli([...args, '--phrases', 'lights on,lights dim', '--out', join(tmp, 'bad')])
    expect(missing.status).toBe(3)
    expect(missing.stderr.trim()).toMatch(/^rnn-wake: Cannot read .*words: no folder for the word "dim" of the phrase "lights dim"/)
    expect(existsSync(join(tmp, 'bad'))).toBe(false)
    const noPhrases = runCli([...args, '--out', join(tmp, 'bad')])
    expect(noPhrases.status).toBe(2)
    expect(noPhrases.stderr).toMatch(/--phrase-prob and --phrase-gap need --phrases or --phrases-file/)
    const badProb = runCli([...args.slice(0, -4), '--phrases', 'stop', '--phrase-prob', '1.5', '--out', join(tmp, 'bad')])
    expect(badProb.status).toBe(2)
    expect(badProb.stderr).toMatch(/--phrase-prob must be a probability in 0\.\.1, not "1\.5"/)
    const course = runCli(['synthesize', '--activates', tmp, '--negatives', tmp, '--backgrounds', tmp, '--phrases', 'stop', '--count', '1', '--out', join(tmp, 'bad')])
    expect(course.status).toBe(2)
    expect(course.stderr).toMatch(/--words/)
  })
})
