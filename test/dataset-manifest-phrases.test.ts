import {describe, expect, it} from 'vitest'

import {COURSE_GEOMETRY, type InsertedClip, type ManifestEntry, endMsOf, formatManifestEntry, labelRuns, labelsFromEnds, parseDatasetInfo, parseManifest} from '../src/dataset/index.js'

const PHRASES = [['lights', 'on'], ['lights', 'off'], ['stop']]

function at(word: string, start: number, end: number, extra: Partial<InsertedClip> = {}): InsertedClip {
  return {word, trigger: word === 'activate', source: `words/${word}/1.wav`, start, end, endMs: endMsOf(end, 44_100), gainDb: 0, speed: 1, ...extra}
}

/** activate lights off (block 0, phrase 1), a lone negative, activate stop (block 1, phrase 2). */
function entry(): ManifestEntry {
  const clips = [
    at('activate', 10_000, 30_000, {group: 0, phrase: 1}),
    at('lights', 35_000, 45_000, {group: 0, phrase: 1}),
    at('off', 50_000, 60_000, {group: 0, phrase: 1}),
    at('on', 100_000, 110_000),
    at('activate', 200_000, 220_000, {group: 1, phrase: 2}),
    at('stop', 225_000, 240_000, {group: 1, phrase: 2}),
  ]
  const labels = labelsFromEnds(clips.filter((c) => c.trigger).map((c) => c.endMs), COURSE_GEOMETRY)
  return {
    index: 0,
    file: '00000.wav',
    transcript: clips.map((c) => c.word),
    labelRuns: labelRuns(labels),
    background: {source: 'backgrounds/1.wav', start: 0, looped: false, gainDb: -20},
    clips,
    skipped: [],
    gainDb: 3,
    dbfs: -20,
  }
}

function parse(e: unknown, phrases: string[][] | undefined): ManifestEntry {
  return parseManifest(JSON.stringify(e) + '\n', 'ds/manifest.jsonl', COURSE_GEOMETRY, phrases)[0]
}

describe('manifest reader: trigger + phrase blocks', () => {
  it('reads back the group and phrase of each clip, and writes none for clips outside a block', () => {
    const e = entry()
    const line = formatManifestEntry(e)
    expect(parse(JSON.parse(line), PHRASES)).toEqual(e)
    expect(JSON.parse(line).clips[3]).not.toHaveProperty('group')
    // Without dataset.json's phrases the block structure is still checked, the words are not.
    expect(parse(JSON.parse(line), undefined)).toEqual(e)
  })

  it('names the clip and the rule each kind of damage breaks', () => {
    const cases: Array<[(e: any) => void, RegExp, string[][]?]> = [
      [(e) => delete e.clips[1].phrase, /clips\[1\] must have both group and phrase, or neither/],
      [(e) => (e.clips[1].group = -1), /clips\[1\]\.group must be in 0\.\./],
      [(e) => (e.clips[4].group = e.clips[5].group = 0), /clips\[4\]\.group is 0 but the next block in time order is 1/],
      [(e) => (e.clips[0].group = e.clips[1].group = e.clips[2].group = 1), /clips\[0\]\.group is 1 but the next block in time order is 0/],
      // A clip joining the block before it is read as one of its words...
      [(e) => Object.assign(e.clips[3], {group: 0, phrase: 1}), /clips\[1\.\.3\] are \["lights","off","on"\] but phrase 1 is \["lights","off"\]/],
      // ...and a block interrupted by another clip is two blocks with one number (even without dataset.json's phrases).
      [(e) => (delete e.clips[2].group, delete e.clips[2].phrase, Object.assign(e.clips[3], {group: 0, phrase: 1})), /clips\[3\]\.group is 0 but the next block in time order is 1/, []],
      [(e) => (e.clips[5].phrase = 1), /clips\[5\]\.phrase is 1 but block 1 started with phrase 2/],
      [(e) => (e.clips[0].phrase = e.clips[1].phrase = e.clips[2].phrase = 0), /clips\[1\.\.2\] are \["lights","off"\] but phrase 0 is \["lights","on"\]/],
      [(e) => (e.clips[4].phrase = e.clips[5].phrase = 7), /clips\[4\]\.phrase is 7 but dataset\.json lists 3 phrases/],
      [(e) => (delete e.clips[5].group, delete e.clips[5].phrase), /clips\[4\] starts block 1 but no phrase word follows it/],
    ]
    for (const [damage, message, phrases] of cases) {
      const bad = structuredClone(entry())
      damage(bad)
      const known = phrases?.length === 0 ? undefined : PHRASES
      expect(() => parse(bad, known)).toThrow(/^Cannot read ds\/manifest\.jsonl: line 1: /)
      expect(() => parse(bad, known)).toThrow(message)
    }
    // A block that does not start with its trigger: swap the roles, keeping the labels consistent.
    const swapped: any = structuredClone(entry())
    swapped.clips[4] = {...swapped.clips[4], word: 'stop', trigger: false}
    swapped.clips[5] = {...swapped.clips[5], word: 'activate', trigger: true}
    swapped.transcript = swapped.clips.map((c: InsertedClip) => c.word)
    swapped.labelRuns = labelRuns(labelsFromEnds(swapped.clips.filter((c: InsertedClip) => c.trigger).map((c: InsertedClip) => c.endMs), COURSE_GEOMETRY))
    expect(() => parse(swapped, PHRASES)).toThrow(/clips\[4\] starts block 1 but is not a trigger/)
  })
})

describe('dataset.json phrases', () => {
  const info = {
    format: 'rnn-wake-dataset',
    version: 1,
    count: 1,
    seed: 0,
    geometry: {sampleRate: 44_100, durationMs: 10_000, ty: 1375, labelSteps: 50},
    labels: {file: 'labels.npy', dtype: 'uint8', shape: [1, 1375]},
  }

  it('are optional word lists, checked when present', () => {
    expect(parseDatasetInfo(info, 'd.json').phrases).toBeUndefined()
    expect(parseDatasetInfo({...info, phrases: PHRASES}, 'd.json').phrases).toEqual(PHRASES)
    expect(() => parseDatasetInfo({...info, phrases: [['lights'], []]}, 'd.json')).toThrow(/^Cannot read d\.json: phrases\[1\] must hold at least one word/)
    expect(() => parseDatasetInfo({...info, phrases: ['lights on']}, 'd.json')).toThrow(/phrases\[0\] must be an array/)
  })
})
