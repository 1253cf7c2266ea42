import {mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {readAudio} from '../src/audio/index.js'
import {TtsEngines, parseEngines} from '../src/dataset/tts-engines.js'
import {GnuspeechEngine} from '../src/dataset/tts-gnuspeech.js'
import {writeTtsClips, type ManifestRow} from '../src/dataset/tts-output.js'
import {SvoxEngine} from '../src/dataset/tts-svox.js'
import {ENGINE_RANGES, planNegatives, planWord, type EngineName} from '../src/dataset/tts.js'
import {UserError} from '../src/util/errors.js'

let engines: TtsEngines
let dir: string

beforeAll(async () => {
  engines = await TtsEngines.load(['espeak', 'svox', 'gnuspeech'])
  dir = mkdtempSync(join(tmpdir(), 'rnn-wake-tts-engines-'))
})

function manifest(folder: string): ManifestRow[] {
  return readFileSync(join(folder, 'manifest.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ManifestRow)
}

function rms(x: Float64Array): number {
  let sum = 0
  for (const v of x) sum += v * v
  return Math.sqrt(sum / x.length)
}

function wavBytes(folder: string): Buffer[] {
  return readdirSync(folder)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .map((f) => readFileSync(join(folder, f)))
}

describe('parseEngines', () => {
  it('reads one engine, a comma list in any order, or all', () => {
    expect(parseEngines('espeak')).toEqual(['espeak'])
    expect(parseEngines('gnuspeech, SVOX')).toEqual(['svox', 'gnuspeech'])
    expect(parseEngines('all')).toEqual(['espeak', 'svox', 'gnuspeech'])
  })

  it('rejects an unknown engine as a usage error', () => {
    expect(() => parseEngines('flite')).toThrow(UserError)
    expect(() => parseEngines('espeak,flite')).toThrow(/Unknown engine "flite": use espeak, svox, gnuspeech or all/)
    expect(() => parseEngines(',')).toThrow(/No engine/)
  })
})

describe.each(['svox', 'gnuspeech'] as const)('%s clips', (engine: EngineName) => {
  it('are 44.1 kHz, non-silent, one word long, and the manifest names the engine and its settings', async () => {
    const out = join(dir, `${engine}-word`)
    const pool = engines.selectVoices(engines.catalog(engine).voices.map((v) => `${engine}:${v}`)).filter((c) => c.engine === engine)
    expect(pool.map((c) => c.voice)).toEqual(engines.catalog(engine).voices)
    await writeTtsClips(out, [{folder: '', clips: planWord('computer', 3, pool, {seed: 5})}], engines)
    const rows = manifest(out)
    expect(rows).toHaveLength(3)
    for (const row of rows) {
      expect(row).toMatchObject({text: 'computer', engine, variant: ''})
      const ranges = ENGINE_RANGES[engine as 'svox' | 'gnuspeech']
      expect(row.rate).toBeGreaterThanOrEqual(ranges.rate[0])
      expect(row.tract).toBeGreaterThanOrEqual(ranges.tract[0])
      expect(row.tract).toBeLessThanOrEqual(ranges.tract[1])
      const audio = await readAudio(join(out, row.file))
      expect(audio.info).toMatchObject({sampleRate: 44_100, channels: 1, bitsPerSample: 16})
      expect(audio.samples.length).toBe(row.samples)
      expect(row.duration).toBeGreaterThan(0.3)
      expect(row.duration).toBeLessThan(1.5)
      expect(rms(audio.samples)).toBeGreaterThan(500)
    }
  })

  it('are the same bytes for the same seed, whatever was rendered before and on a fresh engine', async () => {
    const pool = engines.selectVoices().filter((c) => c.engine === engine)
    const plan = (seed: number) => planWord('activate', 2, pool, {seed})
    await writeTtsClips(join(dir, `${engine}-a`), [{folder: '', clips: plan(1)}], engines)
    await writeTtsClips(join(dir, `${engine}-other`), [{folder: '', clips: plan(2)}], engines)
    const fresh = engine === 'svox' ? await SvoxEngine.create() : await GnuspeechEngine.create()
    await writeTtsClips(join(dir, `${engine}-b`), [{folder: '', clips: plan(1)}], fresh)
    expect(wavBytes(join(dir, `${engine}-b`))).toEqual(wavBytes(join(dir, `${engine}-a`)))
    expect(wavBytes(join(dir, `${engine}-other`))).not.toEqual(wavBytes(join(dir, `${engine}-a`)))
  })
})

describe('several engines', () => {
  it('take turns, an equal share each, and every manifest line names its engine', async () => {
    const pool = engines.selectVoices()
    const clips = planNegatives('activate', 12, pool, {seed: 3})
    const count = (e: EngineName, list = clips) => list.filter((c) => (c.engine ?? 'espeak') === e).length
    expect([count('espeak'), count('svox'), count('gnuspeech')]).toEqual([4, 4, 4])
    // No engine is tied to the confusable (even) or the common (odd) words.
    const even = clips.filter((_, i) => i % 2 === 0)
    expect(['espeak', 'svox', 'gnuspeech'].filter((e) => count(e as EngineName, even) > 0).length).toBeGreaterThan(1)
    const out = join(dir, 'mixed')
    await writeTtsClips(out, [{folder: '', clips: clips.slice(0, 6)}], engines)
    const rows = manifest(out)
    expect(rows.map((r) => r.engine)).toEqual(clips.slice(0, 6).map((c) => c.engine ?? 'espeak'))
    expect(rows.every((r) => (r.engine === 'espeak') === (r.tract === undefined))).toBe(true)
  })

  it('leave espeak-only plans and manifests as they were (no engine field)', async () => {
    const espeakOnly = await TtsEngines.load(['espeak'])
    const clips = planWord('computer', 2, espeakOnly.selectVoices(), {seed: 1})
    expect(Object.keys(clips[0])).toEqual(['text', 'voice', 'variant', 'rate', 'pitch'])
    const out = join(dir, 'espeak-only')
    await writeTtsClips(out, [{folder: '', clips}], espeakOnly)
    expect(Object.keys(manifest(out)[0])).toEqual(['file', 'text', 'voice', 'variant', 'rate', 'pitch', 'duration', 'samples'])
  })

  it('select voices by ENGINE:NAME, bare names being espeak\'s', async () => {
    const svox = engines.selectVoices(['svox:en-gb']).filter((c) => c.engine === 'svox')
    expect(svox).toEqual([{engine: 'svox', voice: 'en-GB', variant: ''}])
    // --voices naming only svox leaves espeak and gnuspeech whole.
    expect(engines.selectVoices(['svox:en-GB']).filter((c) => c.engine === 'gnuspeech')).toHaveLength(5)
    const kept = engines.selectVoices([], ['gnuspeech:baby', 'gnuspeech:small_child', 'f3', 'espeak:en-029'])
    expect(kept.filter((c) => c.engine === 'gnuspeech').map((c) => c.voice)).toEqual(['male', 'female', 'large_child'])
    expect(kept.some((c) => c.engine === undefined && (c.variant === 'f3' || c.voice === 'en-029'))).toBe(false)
    expect(() => engines.selectVoices(['svox:en-AU'])).toThrow(/Unknown voice "svox:en-AU" \(svox voices: svox:en-GB, svox:en-US\)/)
    expect(() => engines.selectVoices(['festival:kal'])).toThrow(/Unknown engine "festival"/)
    expect(() => engines.selectVoices([], ['svox:en-GB', 'svox:en-US'])).toThrow(/No svox voice left/)
    const svoxOnly = await TtsEngines.load(['svox'])
    expect(() => svoxOnly.selectVoices([], ['f3'])).toThrow(/"f3" is espeak's .*does not use espeak/)
  })
})
