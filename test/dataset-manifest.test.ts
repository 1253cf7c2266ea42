import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {COURSE_GEOMETRY, type ManifestEntry, formatManifestEntry, parseDatasetInfo, parseManifest} from '../src/dataset/index.js'
import {InputError} from '../src/util/errors.js'

function entry(index: number): ManifestEntry {
  return {
    index,
    file: `${String(index).padStart(5, '0')}.wav`,
    transcript: ['<other>', 'activate'],
    // end 100000 -> ms 2267 -> int(2267 * 1375 / 10000) = 311 -> ones 312..361
    labelRuns: [[312, 362]],
    background: {source: 'backgrounds/1.wav', start: 0, looped: false, gainDb: -20},
    clips: [
      {word: '<other>', trigger: false, source: 'negatives/1.wav', start: 1000, end: 30_000, endMs: 680, gainDb: 0, speed: 1},
      {word: 'activate', trigger: true, source: 'activates/1.wav', start: 60_000, end: 100_000, endMs: 2267, gainDb: 0, speed: 1},
    ],
    skipped: [],
    gainDb: 8.5,
    dbfs: -20.001,
  }
}

function text(entries: unknown[]): string {
  return entries.map((e) => JSON.stringify(e)).join('\n') + '\n'
}

/** The error message parseManifest gives for a manifest of these entries. */
function problem(entries: unknown[]): string {
  try {
    parseManifest(text(entries), 'ds/manifest.jsonl', COURSE_GEOMETRY)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return (error as Error).message
  }
  throw new Error('expected the manifest to be rejected')
}

describe('manifest reader', () => {
  it('reads back what formatManifestEntry writes', () => {
    const entries = [entry(0), entry(1)]
    const content = entries.map(formatManifestEntry).join('\n') + '\n'
    expect(parseManifest(content, 'm.jsonl')).toEqual(entries)
  })

  it('names the file, line and field of each kind of damage', () => {
    const cases: Array<[(e: any) => void, RegExp]> = [
      [(e) => delete e.clips, /line 2: clips must be an array, not undefined/],
      [(e) => (e.clips[1].start = -3), /line 2: clips\[1\]\.start must be in 0\.\.440999, not -3/],
      [(e) => (e.clips[1].end = 500_000), /clips\[1\]\.end must be in 60001\.\.441000, not 500000/],
      [(e) => (e.clips[1].start = 20_000), /clips\[1\] \(samples 20000\.\.100000\) overlaps or precedes clips\[0\]/],
      [(e) => (e.clips[1].endMs = 2300), /clips\[1\]\.endMs is 2300 but end sample 100000 lies in millisecond 2267/],
      [(e) => e.transcript.reverse(), /transcript is \["activate","<other>"\] but the clips in time order are \["<other>","activate"\]/],
      [(e) => (e.labelRuns = [[300, 350]]), /labelRuns are \[\[300,350\]\] but the triggers' end times give \[\[312,362\]\]/],
      [(e) => (e.clips[1].trigger = 'yes'), /clips\[1\]\.trigger must be true or false, not "yes"/],
      [(e) => (e.file = '../../etc/passwd.wav'), /file must be a \.wav file name without folders/],
      [(e) => (e.index = 7), /line 2: index is 7, expected 1/],
      [(e) => (e.gainDb = null), /gainDb must be a finite number, not null/],
      [(e) => (e.clips[0].speed = 0), /clips\[0\]\.speed must be positive, not 0/],
    ]
    for (const [damage, message] of cases) {
      const bad = structuredClone(entry(1))
      damage(bad)
      const m = problem([entry(0), bad])
      expect(m).toMatch(/^Cannot read ds\/manifest\.jsonl: line 2: /)
      expect(m).toMatch(message)
    }
    expect(problem([entry(0), entry(0)])).toMatch(/index is 0, expected 1/)
    expect(() => parseManifest('{"index": 0,\n', 'm.jsonl')).toThrow(/^Cannot read m\.jsonl: line 1: not valid JSON/)
  })

  it('only ever throws InputError, whatever a line holds (fuzzed)', () => {
    const keys = ['index', 'file', 'transcript', 'labelRuns', 'background', 'clips', 'skipped', 'gainDb', 'dbfs']
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), fc.nat(2), (key, value, where) => {
        const e: any = structuredClone(entry(0))
        if (where === 0) e[key] = value
        else if (where === 1) e.clips[1][['start', 'end', 'endMs', 'word', 'trigger', 'speed'][JSON.stringify(value).length % 6]] = value
        else e.background[['source', 'start', 'looped'][JSON.stringify(value).length % 3]] = value
        try {
          parseManifest(text([e]), 'm.jsonl')
        } catch (error) {
          if (!(error instanceof InputError)) throw error
        }
      }),
      {numRuns: 500},
    )
    fc.assert(
      fc.property(fc.string(), (line) => {
        try {
          parseManifest(line, 'm.jsonl')
        } catch (error) {
          if (!(error instanceof InputError)) throw error
        }
      }),
      {numRuns: 300},
    )
  })
})

describe('dataset.json reader', () => {
  const info = {
    format: 'rnn-wake-dataset',
    version: 1,
    count: 2,
    seed: 1,
    geometry: {sampleRate: 44_100, durationMs: 10_000, ty: 1375, labelSteps: 50},
    labels: {file: 'labels.npy', dtype: 'uint8', shape: [2, 1375]},
  }

  it('accepts a valid description and rejects a mismatched label shape', () => {
    expect(parseDatasetInfo(info, 'd.json').geometry.ty).toBe(1375)
    expect(() => parseDatasetInfo({...info, labels: {...info.labels, shape: [3, 1375]}}, 'd.json')).toThrow(/^Cannot read d\.json: labels\.shape must be \[2, 1375\], not \[3,1375\]/)
    expect(() => parseDatasetInfo({...info, version: 2}, 'd.json')).toThrow(/version 2 is not supported/)
  })
})
