import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {decodeWav, writeWav16} from '../src/audio/index.js'
import {readDataset} from '../src/dataset/index.js'
import {decodeNpy} from '../src/util/npy.js'

/**
 * End to end through the built CLI (`npm run build` first): worker threads
 * only exist in the compiled code, and exit codes and one-line messages are
 * what a user sees.
 */

const ROOT = resolve(import.meta.dirname, '..')
const RUN = join(ROOT, 'bin', 'run.js')
const TY = 1375
const RATE = 44_100
const run = promisify(execFile)

async function cli(args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
  try {
    const {stdout, stderr} = await run(process.execPath, [RUN, 'synthesize', ...args], {cwd: ROOT})
    return {code: 0, stdout, stderr}
  } catch (error) {
    const e = error as {code: number; stdout: string; stderr: string}
    return {code: e.code, stdout: e.stdout, stderr: e.stderr}
  }
}

/** Deterministic test noise, so fixtures are the same on every run. */
function noise(seconds: number, amplitude: number, seed: number): Float64Array {
  const x = new Float64Array(Math.round(seconds * RATE))
  let s = seed >>> 0 || 1
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0
    x[i] = (s / 2 ** 32 - 0.5) * 2 * amplitude
  }
  return x
}

/** A Hann-shaped tone burst: a stand-in for a spoken word. */
function burst(seconds: number, hz: number, amplitude: number): Float64Array {
  const x = new Float64Array(Math.round(seconds * RATE))
  for (let i = 0; i < x.length; i++) x[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / RATE) * Math.sin((Math.PI * i) / x.length) ** 2
  return x
}

async function makeSources(root: string): Promise<{activates: string; negatives: string; backgrounds: string}> {
  const activates = join(root, 'activates')
  const negatives = join(root, 'negatives')
  const backgrounds = join(root, 'backgrounds')
  await writeWav16(join(activates, 'a1.wav'), burst(0.5, 880, 12_000))
  await writeWav16(join(activates, 'a2.wav'), burst(0.7, 660, 20_000))
  await writeWav16(join(activates, 'a3.wav'), burst(0.4, 1200, 8000))
  await writeWav16(join(negatives, 'n1.wav'), burst(0.6, 300, 15_000))
  await writeWav16(join(negatives, 'n2.wav'), noise(0.3, 9000, 7))
  // One longer than 10 s (random windows) and one shorter (looped).
  await writeWav16(join(backgrounds, 'long.wav'), noise(11, 3000, 1))
  await writeWav16(join(backgrounds, 'short.wav'), noise(2, 2000, 2))
  // The TTS command leaves manifests beside its clips: they must be skipped, not rejected.
  await writeFile(join(activates, 'manifest.jsonl'), '{"note": "not a clip"}\n')
  return {activates, negatives, backgrounds}
}

async function hashDir(dir: string): Promise<string> {
  const h = createHash('sha256')
  for (const name of (await readdir(dir)).sort()) {
    h.update(name + '\0')
    h.update(await readFile(join(dir, name)))
  }
  return h.digest('hex')
}

function dbfs(samples: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i]
  return 20 * Math.log10(Math.sqrt(sum / samples.length) / 32768)
}

let tmp: string
let src: {activates: string; negatives: string; backgrounds: string}
const COUNT = 50

function sourceArgs(over: Partial<typeof src> = {}): string[] {
  const s = {...src, ...over}
  return ['--activates', s.activates, '--negatives', s.negatives, '--backgrounds', s.backgrounds]
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'commands', 'synthesize.js'))) throw new Error('build first: npm run build')
  tmp = await mkdtemp(join(tmpdir(), 'rnn-wake-synth-'))
  src = await makeSources(join(tmp, 'src'))
})

afterAll(async () => {
  if (tmp) await rm(tmp, {recursive: true, force: true})
})

describe('synthesize (course method)', () => {
  let out: string
  beforeAll(async () => {
    out = join(tmp, 'a')
    const r = await cli([...sourceArgs(), '--count', String(COUNT), '--seed', '1', '--workers', '2', '--out', out])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  })

  it('labels recomputed from manifest.jsonl by the course formula equal labels.npy for every example', async () => {
    const lines = (await readFile(join(out, 'manifest.jsonl'), 'utf8')).trim().split('\n')
    const npy = decodeNpy(await readFile(join(out, 'labels.npy')))
    expect(npy.dtype).toBe('u1')
    expect(npy.shape).toEqual([COUNT, TY])
    expect(lines).toHaveLength(COUNT)
    let withLabels = 0
    for (const [i, line] of lines.entries()) {
      const entry = JSON.parse(line)
      expect(entry.file).toBe(`${String(i).padStart(5, '0')}.wav`)
      const y = new Uint8Array(TY)
      for (const clip of entry.clips) {
        expect(clip.endMs).toBe(Math.floor(((clip.end - 1) * 1000) / RATE))
        if (!clip.trigger) continue
        const segEndY = Math.floor((clip.endMs * TY) / 10_000)
        for (let k = segEndY + 1; k <= segEndY + 50 && k < TY; k++) y[k] = 1
      }
      expect(Array.from(npy.data.subarray(i * TY, (i + 1) * TY)), `example ${i}`).toEqual(Array.from(y))
      if (y.some((v) => v === 1)) withLabels++
    }
    expect(withLabels).toBeGreaterThan(COUNT / 2)
    // The library reader agrees (it cross-checks dataset.json, the manifest and labels.npy).
    expect((await readDataset(out)).entries).toHaveLength(COUNT)
  })

  it('never overlaps two inserted clips, keeps them inside the example, and lists the transcript in time order', async () => {
    const {entries} = await readDataset(out)
    for (const e of entries) {
      for (const a of e.clips) {
        expect(a.start).toBeGreaterThanOrEqual(0)
        expect(a.end).toBeLessThanOrEqual(441_000)
        for (const b of e.clips) if (a !== b) expect(a.end <= b.start || b.end <= a.start).toBe(true)
      }
      const byTime = [...e.clips].sort((a, b) => a.start - b.start)
      expect(e.transcript).toEqual(byTime.map((c) => c.word))
    }
  })

  it('writes every example as 10 s of 44.1 kHz 16-bit mono at -20 dBFS within 0.1 dB', async () => {
    for (let i = 0; i < COUNT; i++) {
      const file = join(out, `${String(i).padStart(5, '0')}.wav`)
      const {info, samples} = decodeWav(await readFile(file), file)
      expect([info.sampleRate, info.channels, info.bitsPerSample, info.frames]).toEqual([RATE, 1, 16, 441_000])
      expect(Math.abs(dbfs(samples) + 20), file).toBeLessThan(0.1)
    }
  })

  it('spans 0..4 triggers and 0..2 negatives per example, and uses both backgrounds, long and looped', async () => {
    const {entries, info} = await readDataset(out)
    const triggers = new Set(entries.map((e) => e.clips.filter((c) => c.trigger).length))
    const negatives = new Set(entries.map((e) => e.clips.filter((c) => !c.trigger).length))
    expect([...triggers].sort()).toEqual([0, 1, 2, 3, 4])
    expect([...negatives].sort()).toEqual([0, 1, 2])
    const looped = entries.filter((e) => e.background.looped)
    expect(looped.every((e) => e.background.source === 'backgrounds/short.wav')).toBe(true)
    expect(looped.length).toBeGreaterThan(0)
    expect(looped.length).toBeLessThan(COUNT)
    expect(entries.every((e) => e.background.looped || e.background.start <= RATE)).toBe(true)
    expect(new Set(entries.flatMap((e) => e.clips.map((c) => c.word)))).toEqual(new Set(['activate', '<other>']))
    const sources = (info.sources as Array<{source: string; sha256: string}>).map((s) => s.source)
    expect(sources).toEqual(['activates/a1.wav', 'activates/a2.wav', 'activates/a3.wav', 'negatives/n1.wav', 'negatives/n2.wav', 'backgrounds/long.wav', 'backgrounds/short.wav'])
  })

  it('gives byte-identical datasets for the same seed whatever --workers is, and different ones for another seed', async () => {
    const reference = await hashDir(out)
    for (const workers of ['1', '3']) {
      const again = join(tmp, `again-${workers}`)
      const r = await cli([...sourceArgs(), '--count', String(COUNT), '--seed', '1', '--workers', workers, '--out', again])
      expect(r.code).toBe(0)
      expect(await hashDir(again), `--workers ${workers}`).toBe(reference)
    }
    const other = join(tmp, 'seed2')
    expect((await cli([...sourceArgs(), '--count', String(COUNT), '--seed', '2', '--out', other])).code).toBe(0)
    const [a, b] = await Promise.all([readFile(join(out, '00000.wav')), readFile(join(other, '00000.wav'))])
    expect(a.equals(b)).toBe(false)
    expect(await hashDir(other)).not.toBe(reference)
  })

  it('replaces an existing dataset only with --force and never a folder that is not a dataset', async () => {
    const refused = await cli([...sourceArgs(), '--count', '2', '--out', out])
    expect(refused.code).toBe(6)
    expect(refused.stderr.trim()).toMatch(/already holds a dataset; pass --force/)
    const stranger = join(tmp, 'stranger')
    await mkdir(stranger)
    await writeFile(join(stranger, 'thesis.tex'), 'precious')
    const r = await cli([...sourceArgs(), '--count', '2', '--force', '--out', stranger])
    expect(r.code).toBe(6)
    expect(await readdir(stranger)).toEqual(['thesis.tex'])
    const forced = await cli([...sourceArgs(), '--count', '3', '--force', '--json', '--out', join(tmp, 'seed2')])
    expect(forced.code).toBe(0)
    expect(JSON.parse(forced.stdout).count).toBe(3)
    expect((await readDataset(join(tmp, 'seed2'))).entries).toHaveLength(3)
  })
})

describe('synthesize --words', () => {
  it('takes one folder per word, names words in transcripts, and applies the augmentations it records', async () => {
    const words = join(tmp, 'words')
    await writeWav16(join(words, 'wake', 'w1.wav'), burst(0.5, 900, 10_000))
    await writeWav16(join(words, 'stop', 's1.wav'), burst(0.4, 400, 10_000))
    await writeWav16(join(words, 'go', 'g1.wav'), burst(0.3, 500, 10_000))
    const out = join(tmp, 'words-out')
    const r = await cli(['--words', words, '--trigger', 'wake', '--backgrounds', src.backgrounds, '--count', '12', '--seed', '3', '--snr=0,10', '--speed', '0.8,1.25', '--out', out])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const {entries, info} = await readDataset(out)
    expect((info.params as {snrDb: number[]}).snrDb).toEqual([0, 10])
    const clips = entries.flatMap((e) => e.clips)
    expect(new Set(clips.map((c) => c.word))).toEqual(new Set(['wake', 'stop', 'go']))
    expect(clips.every((c) => c.trigger === (c.word === 'wake'))).toBe(true)
    for (const c of clips) {
      expect(c.speed).toBeGreaterThanOrEqual(0.8)
      expect(c.speed).toBeLessThan(1.25)
      const n = Math.round({wake: 0.5, stop: 0.4, go: 0.3}[c.word]! * RATE)
      expect(Math.abs(c.end - c.start - n / c.speed)).toBeLessThanOrEqual(1)
    }
  })
})

describe('synthesize rejects bad input with one line and leaves no dataset', () => {
  async function expectRejected(args: string[], code: number, pattern: RegExp): Promise<void> {
    const out = join(tmp, 'bad', 'out')
    const r = await cli([...args, '--count', '4', '--out', out])
    expect(r.code).toBe(code)
    const lines = r.stderr.trim().split('\n')
    expect(lines, r.stderr).toHaveLength(1)
    expect(lines[0]).toMatch(pattern)
    expect(existsSync(out)).toBe(false)
    // Nor the temporary folder it would have been built in.
    if (existsSync(join(tmp, 'bad'))) expect(await readdir(join(tmp, 'bad'))).toEqual([])
  }

  it('a missing folder', async () => {
    const missing = join(tmp, 'nowhere')
    await expectRejected(sourceArgs({negatives: missing}), 3, new RegExp(`^rnn-wake: Cannot read ${missing}: no such folder`))
  })

  it('an empty folder', async () => {
    const empty = join(tmp, 'empty')
    await mkdir(empty, {recursive: true})
    await expectRejected(sourceArgs({backgrounds: empty}), 3, new RegExp(`^rnn-wake: Cannot read ${empty}: no audio clips`))
  })

  it('a non-audio file among the clips', async () => {
    const dir = join(tmp, 'mixed')
    await writeWav16(join(dir, 'good.wav'), burst(0.3, 500, 9000))
    await writeFile(join(dir, 'song.mp3'), 'ID3 definitely not a wav')
    await expectRejected(sourceArgs({activates: dir}), 3, new RegExp(`^rnn-wake: Cannot read ${join(dir, 'song.mp3')}: an ID3 tag with no audio after it`))
  })

  it('a clip longer than the background', async () => {
    const dir = join(tmp, 'long-clip')
    await writeWav16(join(dir, 'speech.wav'), noise(10.5, 5000, 3))
    await expectRejected(sourceArgs({negatives: dir}), 3, new RegExp(`^rnn-wake: Cannot read ${join(dir, 'speech.wav')}: the clip is 10.50 s, not shorter than the 10.00 s examples`))
  })

  it('a background shorter than a clip', async () => {
    const dir = join(tmp, 'short-bg')
    await writeWav16(join(dir, 'hum.wav'), noise(0.5, 1000, 4))
    await expectRejected(sourceArgs({backgrounds: dir}), 3, new RegExp(`^rnn-wake: Cannot read ${join(dir, 'hum.wav')}: the background is 0.50 s, shorter than the clip .*a2.wav \\(0.70 s\\)`))
  })

  it('a trigger with no folder in --words', async () => {
    const words = join(tmp, 'words-bad')
    await writeWav16(join(words, 'stop', 's.wav'), burst(0.3, 500, 9000))
    await expectRejected(['--words', words, '--trigger', 'wake', '--backgrounds', src.backgrounds], 3, /no folder named "wake" for --trigger \(found: stop\)/)
  })

  it('a malformed augmentation range', async () => {
    await expectRejected([...sourceArgs(), '--speed', '1.2,0.9'], 2, /--speed: LOW must not exceed HIGH/)
  })
})
