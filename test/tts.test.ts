import {mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {readAudio} from '../src/audio/index.js'
import {describeVoicePool, folderName, writeTtsClips, type ManifestRow} from '../src/dataset/tts-output.js'
import {
  EspeakEngine,
  generateClips,
  getEngine,
  parseRange,
  planNegatives,
  planWord,
  selectVoices,
  trimSilence,
  type ClipSettings,
  type VoiceChoice,
} from '../src/dataset/tts.js'
import {UserError} from '../src/util/errors.js'

let engine: EspeakEngine
let pool: VoiceChoice[]
let dir: string

beforeAll(async () => {
  engine = await getEngine()
  pool = selectVoices(engine.catalog)
  dir = mkdtempSync(join(tmpdir(), 'rnn-wake-tts-'))
})

function manifest(folder: string): ManifestRow[] {
  return readFileSync(join(folder, 'manifest.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ManifestRow)
}

function peak(x: Float64Array): number {
  let p = 0
  for (const v of x) p = Math.max(p, Math.abs(v))
  return p
}

/** Milliseconds before the first and after the last sample above 1 % of the peak. */
function quietEnds(x: Float64Array): [number, number] {
  const floor = 0.01 * peak(x)
  let start = 0
  while (Math.abs(x[start]) < floor) start++
  let end = x.length - 1
  while (Math.abs(x[end]) < floor) end--
  return [(start / 44_100) * 1000, ((x.length - 1 - end) / 44_100) * 1000]
}

describe('espeak voices', () => {
  it('finds the English voices and their variants in the embedded data', () => {
    expect(engine.catalog.voices).toEqual(expect.arrayContaining(['en', 'en-us', 'en-gb-x-rp', 'en-029', 'en-gb-scotland']))
    expect(engine.catalog.voices.every((v) => v === 'en' || v.startsWith('en-'))).toBe(true)
    expect(engine.catalog.variants).toEqual(expect.arrayContaining(['f1', 'f3', 'm1', 'klatt', 'whisper']))
    expect(pool.length).toBe(engine.catalog.voices.length * engine.catalog.variants.length)
  })
})

describe('writeTtsClips', () => {
  it('writes 44.1 kHz 16-bit mono clips with speech energy and a manifest of their settings', async () => {
    const out = join(dir, 'basic')
    const clips = planWord('activate', 3, pool, {seed: 1})
    const summary = await writeTtsClips(out, [{folder: '', clips}], engine)
    expect(summary.clips).toBe(3)
    expect(readdirSync(out).sort()).toEqual(['00000.wav', '00001.wav', '00002.wav', 'manifest.jsonl'])
    const rows = manifest(out)
    expect(rows.map((r) => r.file)).toEqual(['00000.wav', '00001.wav', '00002.wav'])
    for (const [i, row] of rows.entries()) {
      expect(row).toMatchObject({text: 'activate', voice: clips[i].voice, variant: clips[i].variant, rate: clips[i].rate, pitch: clips[i].pitch})
      const {info, samples} = await readAudio(join(out, row.file))
      expect([info.sampleRate, info.bitsPerSample, info.channels]).toEqual([44_100, 16, 1])
      expect(samples.length).toBe(row.samples)
      expect(row.duration).toBeCloseTo(samples.length / 44_100, 5)
      expect(row.duration).toBeGreaterThan(0.25)
      expect(row.duration).toBeLessThan(2)
      const rms = Math.sqrt(samples.reduce((s, v) => s + v * v, 0) / samples.length)
      expect(rms).toBeGreaterThan(300) // about -40 dBFS: speech, not silence
    }
  })

  it('writes one subfolder per word, named after the word, for the --words layout', async () => {
    const out = join(dir, 'vocab')
    await writeTtsClips(
      out,
      ['activate', 'Hey Jarvis'].map((w) => ({folder: folderName(w), clips: planWord(w, 2, pool)})),
      engine,
    )
    expect(readdirSync(out).sort()).toEqual(['activate', 'hey jarvis'])
    expect(manifest(join(out, 'hey jarvis')).map((r) => r.text)).toEqual(['Hey Jarvis', 'Hey Jarvis'])
  })

  it('refuses an existing folder unless forced, and then replaces it whole', async () => {
    const out = join(dir, 'existing')
    await mkdir(out)
    const clips = planWord('stop', 1, pool)
    await expect(writeTtsClips(out, [{folder: '', clips}], engine)).rejects.toThrow(/already exists; pass --force/)
    await writeTtsClips(out, [{folder: '', clips}], engine, {force: true})
    expect(readdirSync(out).sort()).toEqual(['00000.wav', 'manifest.jsonl'])
  })

  it('leaves nothing behind when a clip fails', async () => {
    const out = join(dir, 'failed')
    const clips = [...planWord('stop', 1, pool), {...planWord('stop', 1, pool)[0], text: '...'}]
    await expect(writeTtsClips(out, [{folder: '', clips}], engine)).rejects.toThrow(/no sound for "\.\.\."/)
    expect(readdirSync(dir).filter((name) => name.includes('failed'))).toEqual([])
  })
})

describe('determinism', () => {
  it('gives byte-identical files for the same words and seed, and different ones for another seed', async () => {
    const plan = (seed: number): ClipSettings[] => planWord('activate', 4, pool, {seed})
    await writeTtsClips(join(dir, 's1a'), [{folder: '', clips: plan(1)}], engine)
    // A second engine in the same process, with its own history: the output must not depend on either.
    const other = await EspeakEngine.create()
    other.renderNative(planWord('something else', 1, pool, {seed: 9})[0])
    await writeTtsClips(join(dir, 's1b'), [{folder: '', clips: plan(1)}], other)
    await writeTtsClips(join(dir, 's2'), [{folder: '', clips: plan(2)}], engine)
    const read = (d: string): Buffer[] => readdirSync(join(dir, d)).sort().map((f) => readFileSync(join(dir, d, f)))
    expect(read('s1b')).toEqual(read('s1a'))
    expect(read('s2')[4].equals(read('s1a')[4])).toBe(false) // the manifests
  })

  it('renders a clip the same whatever was rendered before it (repeated calls do not drift)', () => {
    const clips = planWord('activate', 5, pool, {seed: 3})
    const forward = clips.map((c) => engine.renderNative(c))
    const backward = [...clips].reverse().map((c) => engine.renderNative(c)).reverse()
    const again = clips.map((c) => engine.renderNative(c))
    expect(backward).toEqual(forward)
    expect(again).toEqual(forward)
  })

  it('draws each word\'s settings from its own random stream', () => {
    const settings = (clips: ClipSettings[]): string[] => clips.map((c) => `${c.voice}+${c.variant}@${c.rate}/${c.pitch}`)
    expect(planWord('activate', 10, pool, {seed: 4})).toEqual(planWord('activate', 10, pool, {seed: 4}))
    expect(settings(planWord('Activate ', 10, pool, {seed: 4}))).toEqual(settings(planWord('activate', 10, pool, {seed: 4})))
    expect(settings(planWord('hello', 10, pool, {seed: 4}))).not.toEqual(settings(planWord('activate', 10, pool, {seed: 4})))
  })
})

describe('variety', () => {
  it('deals a different voice+variant to every clip until the pool runs out, rates and pitches in range', () => {
    const clips = planWord('activate', 40, pool, {seed: 5, rateRange: [120, 220], pitchRange: [30, 80]})
    expect(new Set(clips.map((c) => `${c.voice}+${c.variant}`)).size).toBe(40)
    expect(new Set(clips.map((c) => c.voice)).size).toBeGreaterThan(4)
    expect(clips.every((c) => c.rate >= 120 && c.rate <= 220 && c.pitch >= 30 && c.pitch <= 80)).toBe(true)
    expect(new Set(clips.map((c) => c.rate)).size).toBeGreaterThan(10)
  })

  it('produces audibly different clips for different voices', () => {
    const [a, b] = planWord('activate', 2, pool, {seed: 6}).map((c) => engine.speak(c).samples)
    expect(a.length === b.length && a.every((v, i) => v === b[i])).toBe(false)
  })
})

describe('selectVoices', () => {
  it('respects --exclude-voices by voice, variant and pair', () => {
    const kept = selectVoices(engine.catalog, [], ['f3', 'en-029', 'en-us+m1'])
    expect(kept.some((v) => v.variant === 'f3' || v.voice === 'en-029' || (v.voice === 'en-us' && v.variant === 'm1'))).toBe(false)
    const {voices, variants} = engine.catalog
    expect(kept.length).toBe((voices.length - 1) * (variants.length - 1) - 1)
    const clips = planWord('activate', 200, kept, {seed: 7})
    expect(clips.some((c) => c.variant === 'f3' || c.voice === 'en-029')).toBe(false)
  })

  it('reads --voices as accents, variants, or pairs, ignoring case', () => {
    const n = engine.catalog.variants.length
    expect(selectVoices(engine.catalog, ['en-us', 'en-gb-x-rp'])).toHaveLength(2 * n)
    expect(selectVoices(engine.catalog, ['f1', 'F2'])).toHaveLength(2 * engine.catalog.voices.length)
    expect(selectVoices(engine.catalog, ['en-us', 'f1'])).toEqual([{voice: 'en-us', variant: 'f1'}])
    expect(selectVoices(engine.catalog, ['en-us+f1', 'EN+alex'])).toEqual([
      {voice: 'en', variant: 'Alex'},
      {voice: 'en-us', variant: 'f1'},
    ])
  })
})

describe('bad input', () => {
  it('names the valid voices when a voice is unknown', () => {
    expect(() => selectVoices(engine.catalog, ['en-xx'])).toThrow(UserError)
    expect(() => selectVoices(engine.catalog, ['en-xx'])).toThrow(/Unknown voice "en-xx" \(voices: en, .*en-us.*; variants: .*f3/)
    expect(() => selectVoices(engine.catalog, [], ['en-us+nobody'])).toThrow(/Unknown voice "en-us\+nobody"/)
    expect(() => selectVoices(engine.catalog, ['en-us'], ['en-us'])).toThrow(/No voice left/)
  })

  it('refuses empty words, counts below one, and bad ranges', () => {
    expect(() => planWord('', 1, pool)).toThrow(/empty word/)
    expect(() => planWord('   ', 1, pool)).toThrow(/empty word/)
    expect(() => planWord('activate', 0, pool)).toThrow(/at least 1/)
    expect(() => planNegatives('activate', -1, pool)).toThrow(/at least 1/)
    expect(() => parseRange('220:120', 'rate')).toThrow(/out of range/)
    expect(() => parseRange('fast', 'rate')).toThrow(/expected low:high/)
    expect(parseRange('150', 'rate')).toEqual([150, 150])
    expect(() => planWord('a'.repeat(3000), 1, pool)).toThrow(/too long/)
  })

  it('reports text that makes no sound', () => {
    expect(() => engine.speak({text: '...', voice: 'en-us', variant: 'm1', rate: 175, pitch: 50})).toThrow(/no sound/)
  })
})

describe('trimming', () => {
  it('cuts silence down to the 10 ms margin around the sound', () => {
    const rate = 44_100
    const tone = Array.from({length: 0.2 * rate}, (_, i) => 8000 * Math.sin((2 * Math.PI * 440 * i) / rate))
    const padded = Float64Array.from([...new Array(0.3 * rate).fill(0), ...tone, ...new Array(0.5 * rate).fill(0)])
    const trimmed = trimSilence(padded, rate)
    expect(trimmed.length / rate).toBeGreaterThan(0.2)
    expect(trimmed.length / rate).toBeLessThan(0.2 + 0.03)
    expect(Math.abs(trimmed[0])).toBeLessThan(1e-9) // the margin is silence, faded
    expect(trimSilence(new Float64Array(1000), rate)).toHaveLength(0)
  })

  it('leaves no long silence at either end of espeak clips, echoing variants included', () => {
    const voices = [
      {voice: 'en-us', variant: 'f3'},
      {voice: 'en-gb-x-rp', variant: 'f2'},
      {voice: 'en', variant: 'announcer'},
      {voice: 'en-029', variant: 'whisper'},
    ]
    for (const v of voices) {
      const clip = engine.speak({text: 'activate', ...v, rate: 150, pitch: 50})
      const [lead, trail] = quietEnds(clip.samples)
      expect(lead).toBeLessThan(25)
      expect(trail).toBeLessThan(25)
    }
  })
})

describe('generateClips', () => {
  it('returns count clips per word in memory, with their settings', async () => {
    const clips = await generateClips(['stop', 'go'], {count: 2, seed: 1, excludeVoices: ['f3']})
    expect(clips.map((c) => c.text)).toEqual(['stop', 'stop', 'go', 'go'])
    for (const clip of clips) {
      expect(clip.variant).not.toBe('f3')
      expect(clip.duration).toBeCloseTo(clip.samples.length / 44_100, 9)
      expect(peak(clip.samples)).toBeGreaterThan(1000)
    }
  })
})

describe('planNegatives', () => {
  it('alternates words close to the trigger with common words, never the trigger itself', () => {
    const clips = planNegatives('activate', 12, pool, {seed: 1})
    expect(clips).toHaveLength(12)
    expect(clips.map((c) => c.text)).not.toContain('activate')
    expect(clips.filter((_, i) => i % 2 === 0).map((c) => c.text)).toEqual(['activity', 'active', 'captivate', 'activated', 'motivate', 'activation'])
    expect(new Set(clips.filter((_, i) => i % 2 === 1).map((c) => c.text)).size).toBe(6)
  })
})

describe('describeVoicePool', () => {
  it('counts the voices per engine in words', () => {
    expect(describeVoicePool([{voice: 'en-us', variant: 'f1'}, {voice: 'en-us', variant: 'm1'}])).toBe('2 voices (espeak accent + speaker pairs)')
    expect(describeVoicePool([{voice: 'en-us', variant: 'f1'}, {engine: 'svox', voice: 'en-GB', variant: ''}, {engine: 'gnuspeech', voice: 'baby', variant: ''}])).toBe('3 voices (espeak 1, svox 1, gnuspeech 1)')
    expect(describeVoicePool([{engine: 'svox', voice: 'en-GB', variant: ''}])).toBe('1 voice (svox 1)')
  })
})
