import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {InputError} from '../util/errors.js'
import {NpyFormatError, decodeNpy} from '../util/npy.js'
import {COURSE_GEOMETRY, type LabelGeometry, endMsOf, exampleSamples, labelRuns, labelsFromEnds} from './synth-labels.js'

/**
 * A synthesized dataset on disk:
 *   NNNNN.wav       the examples (44.1 kHz, 16-bit mono)
 *   labels.npy      uint8, N x Ty, row i = labels of example i
 *   manifest.jsonl  line i = what example i contains (ManifestEntry)
 *   dataset.json    how it was made (DatasetInfo)
 * Readers validate everything they load: a manifest edited by hand or cut
 * short fails with the file, line and field, never with a stack trace.
 */

/** A word clip as placed in an example. Sample positions are 0-based, `end` exclusive. */
export interface InsertedClip {
  word: string
  trigger: boolean
  /** Source name as listed in dataset.json (e.g. `activates/2.wav`). */
  source: string
  start: number
  end: number
  /** The millisecond of the last sample: the course's `segment_end`, from which labels follow. */
  endMs: number
  /** Gain applied to the clip before the final normalisation. */
  gainDb: number
  /** Speed factor it was resampled by (1: untouched). */
  speed: number
  /**
   * Only on a trigger followed by a command phrase, and on that phrase's
   * words: the block's number in the example (0, 1, ... in time order). A
   * block's clips are adjacent in `clips`, the trigger first.
   */
  group?: number
  /** With `group`: the phrase's index in dataset.json's `phrases`. */
  phrase?: number
}

export interface ExampleRecord {
  background: {source: string; start: number; looped: boolean; gainDb: number}
  /** In time order. */
  clips: InsertedClip[]
  /** Clips drawn but not placed (no free room after the allowed tries). */
  skipped: Array<{word: string; source: string}>
  /** The words of `clips`, in time order: the target of a CTC head. */
  transcript: string[]
  /** Runs of ones in the label row, as [start, end) output steps. */
  labelRuns: Array<[number, number]>
  /** Normalisation gain applied to the whole mix. */
  gainDb: number
  /** Measured level of the written samples; null for a silent example. */
  dbfs: number | null
}

export interface ManifestEntry extends ExampleRecord {
  index: number
  file: string
}

export interface DatasetInfo {
  format: 'rnn-wake-dataset'
  version: 1
  count: number
  seed: number
  geometry: LabelGeometry
  labels: {file: 'labels.npy'; dtype: 'uint8'; shape: [number, number]}
  /** Command phrases that may follow a trigger, as word lists; manifest clips refer to them by index. Absent in older datasets. */
  phrases?: string[][]
  [key: string]: unknown
}

export const MANIFEST_FILE = 'manifest.jsonl'
export const LABELS_FILE = 'labels.npy'
export const DATASET_FILE = 'dataset.json'

/** The file name of example `index` in a dataset of `count`: at least 5 digits, zero-padded. */
export function exampleFileName(index: number, count: number): string {
  return `${String(index).padStart(Math.max(5, String(Math.max(0, count - 1)).length), '0')}.wav`
}

/** One manifest line; keys in a fixed order so that equal entries give equal bytes. */
export function formatManifestEntry(e: ManifestEntry): string {
  return JSON.stringify({
    index: e.index,
    file: e.file,
    transcript: e.transcript,
    labelRuns: e.labelRuns,
    background: {source: e.background.source, start: e.background.start, looped: e.background.looped, gainDb: e.background.gainDb},
    clips: e.clips.map((c) => ({
      word: c.word,
      trigger: c.trigger,
      source: c.source,
      start: c.start,
      end: c.end,
      endMs: c.endMs,
      gainDb: c.gainDb,
      speed: c.speed,
      // Left out rather than null, so datasets without phrases keep their bytes.
      ...(c.group === undefined ? {} : {group: c.group, phrase: c.phrase}),
    })),
    skipped: e.skipped.map((s) => ({word: s.word, source: s.source})),
    gainDb: e.gainDb,
    dbfs: e.dbfs,
  })
}

/** V8's JSON.parse messages quote the offending text, newlines included. */
function oneLine(error: unknown): string {
  return (error as Error).message.replace(/\s+/g, ' ')
}

/** A value quoted in a message, cut short: a hand-edited file can hold anything. */
function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v)
  return text.length > 100 ? `${text.slice(0, 100)}...` : text
}

/** A problem with one field; parseManifest adds the file and line. */
export class ManifestFieldError extends Error {}

function fail(path: string, problem: string): never {
  throw new ManifestFieldError(`${path} ${problem}`)
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  // JSON quoting escapes newlines and control characters, keeping the message on one line.
  if (typeof v === 'string') return v.length > 40 ? `${JSON.stringify(v.slice(0, 40))}...` : JSON.stringify(v)
  if (typeof v === 'object') return 'an object'
  return String(v)
}

function object(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `must be an object, not ${describe(v)}`)
  return v as Record<string, unknown>
}

function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, `must be an array, not ${describe(v)}`)
  return v
}

function text(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(path, `must be a non-empty string, not ${describe(v)}`)
  return v
}

function flag(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, `must be true or false, not ${describe(v)}`)
  return v
}

function finite(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, `must be a finite number, not ${describe(v)}`)
  return v
}

function integer(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, `must be an integer, not ${describe(v)}`)
  if (v < min || v > max) fail(path, `must be in ${min}..${max}, not ${v}`)
  return v
}

/**
 * Trigger + phrase blocks: numbered 0, 1, ... in time order, each a trigger
 * then at least one non-trigger word, adjacent, one phrase per block, and
 * (when the dataset's phrases are known) the words of that phrase.
 */
function checkGroups(clips: InsertedClip[], phrases: readonly (readonly string[])[] | undefined): void {
  let next = 0
  let first = -1
  const close = (end: number): void => {
    if (first < 0) return
    const block = clips.slice(first, end)
    const p = `clips[${first}]`
    if (block.length < 2) fail(p, `starts block ${block[0].group} but no phrase word follows it`)
    const index = block[0].phrase!
    if (phrases) {
      if (index >= phrases.length) fail(`${p}.phrase`, `is ${index} but dataset.json lists ${phrases.length} phrases`)
      const words = block.slice(1).map((c) => c.word)
      const expected = phrases[index]
      if (words.length !== expected.length || words.some((w, i) => w !== expected[i])) {
        fail(`clips[${first + 1}..${end - 1}]`, `are ${shown(words)} but phrase ${index} is ${shown(expected)}`)
      }
    }
    first = -1
  }
  for (const [i, c] of clips.entries()) {
    const p = `clips[${i}]`
    if (c.group === undefined) {
      close(i)
      continue
    }
    if (first >= 0 && c.group === clips[first].group) {
      if (c.trigger) fail(p, `is a trigger inside block ${c.group}; only a block's first clip is its trigger`)
      if (c.phrase !== clips[first].phrase) fail(`${p}.phrase`, `is ${c.phrase} but block ${c.group} started with phrase ${clips[first].phrase}`)
      continue
    }
    close(i)
    if (c.group !== next) fail(`${p}.group`, `is ${c.group} but the next block in time order is ${next} (a block's clips are adjacent and blocks are numbered in time order)`)
    if (!c.trigger) fail(p, `starts block ${c.group} but is not a trigger`)
    first = i
    next++
  }
  close(clips.length)
}

/**
 * Check one parsed manifest line against the dataset's geometry, including
 * that its label runs are what the label formula gives for its triggers.
 * `phrases` (dataset.json's) lets it check the words of each phrase block.
 */
export function parseManifestEntry(value: unknown, g: LabelGeometry = COURSE_GEOMETRY, phrases?: readonly (readonly string[])[]): ManifestEntry {
  const length = exampleSamples(g)
  const e = object(value, 'the entry')
  const index = integer(e.index, 'index', 0, Number.MAX_SAFE_INTEGER)
  const file = text(e.file, 'file')
  // No control characters either: "a\nb.wav" is a legal POSIX name that synthesize never writes.
  if (!/^[^/\\\x00-\x1f]+\.wav$/.test(file) || file.startsWith('.')) fail('file', `must be a .wav file name without folders, not ${describe(file)}`)

  const b = object(e.background, 'background')
  const background = {
    source: text(b.source, 'background.source'),
    start: integer(b.start, 'background.start', 0, Number.MAX_SAFE_INTEGER),
    looped: flag(b.looped, 'background.looped'),
    gainDb: finite(b.gainDb, 'background.gainDb'),
  }

  const clips: InsertedClip[] = array(e.clips, 'clips').map((raw, i) => {
    const p = `clips[${i}]`
    const c = object(raw, p)
    const start = integer(c.start, `${p}.start`, 0, length - 1)
    const end = integer(c.end, `${p}.end`, start + 1, length)
    const endMs = integer(c.endMs, `${p}.endMs`, 0, g.durationMs)
    if (endMs !== endMsOf(end, g.sampleRate)) fail(`${p}.endMs`, `is ${endMs} but end sample ${end} lies in millisecond ${endMsOf(end, g.sampleRate)}`)
    const speed = finite(c.speed, `${p}.speed`)
    if (speed <= 0) fail(`${p}.speed`, `must be positive, not ${speed}`)
    const clip: InsertedClip = {word: text(c.word, `${p}.word`), trigger: flag(c.trigger, `${p}.trigger`), source: text(c.source, `${p}.source`), start, end, endMs, gainDb: finite(c.gainDb, `${p}.gainDb`), speed}
    if (c.group !== undefined || c.phrase !== undefined) {
      if (c.group === undefined || c.phrase === undefined) fail(p, 'must have both group and phrase, or neither')
      clip.group = integer(c.group, `${p}.group`, 0, Number.MAX_SAFE_INTEGER)
      clip.phrase = integer(c.phrase, `${p}.phrase`, 0, Number.MAX_SAFE_INTEGER)
    }
    return clip
  })
  for (let i = 1; i < clips.length; i++) {
    if (clips[i].start < clips[i - 1].end) {
      fail(`clips[${i}]`, `(samples ${clips[i].start}..${clips[i].end}) overlaps or precedes clips[${i - 1}] (samples ${clips[i - 1].start}..${clips[i - 1].end}); clips must be in time order without overlap`)
    }
  }
  checkGroups(clips, phrases)

  const skipped = array(e.skipped, 'skipped').map((raw, i) => {
    const s = object(raw, `skipped[${i}]`)
    return {word: text(s.word, `skipped[${i}].word`), source: text(s.source, `skipped[${i}].source`)}
  })

  const transcript = array(e.transcript, 'transcript').map((w, i) => text(w, `transcript[${i}]`))
  const expectedWords = clips.map((c) => c.word)
  if (transcript.length !== expectedWords.length || transcript.some((w, i) => w !== expectedWords[i])) {
    fail('transcript', `is ${shown(transcript)} but the clips in time order are ${shown(expectedWords)}`)
  }

  const runs = array(e.labelRuns, 'labelRuns').map((raw, i): [number, number] => {
    const r = array(raw, `labelRuns[${i}]`)
    if (r.length !== 2) fail(`labelRuns[${i}]`, `must be a [start, end] pair, not ${r.length} values`)
    const start = integer(r[0], `labelRuns[${i}][0]`, 0, g.ty - 1)
    return [start, integer(r[1], `labelRuns[${i}][1]`, start + 1, g.ty)]
  })
  const expectedRuns = labelRuns(labelsFromEnds(clips.filter((c) => c.trigger).map((c) => c.endMs), g))
  if (JSON.stringify(runs) !== JSON.stringify(expectedRuns)) {
    fail('labelRuns', `are ${shown(runs)} but the triggers' end times give ${shown(expectedRuns)}`)
  }

  const dbfs = e.dbfs === null ? null : finite(e.dbfs, 'dbfs')
  return {index, file, transcript, labelRuns: runs, background, clips, skipped, gainDb: finite(e.gainDb, 'gainDb'), dbfs}
}

/** Parse and validate a whole manifest; line i (from 0) must describe example i. */
export function parseManifest(content: string, file: string, g: LabelGeometry = COURSE_GEOMETRY, phrases?: readonly (readonly string[])[]): ManifestEntry[] {
  const lines = content.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const seen = new Set<string>()
  return lines.map((line, i) => {
    const where = `line ${i + 1}`
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (error) {
      throw new InputError(file, `${where}: not valid JSON (${oneLine(error)})`)
    }
    let entry: ManifestEntry
    try {
      entry = parseManifestEntry(value, g, phrases)
    } catch (error) {
      if (error instanceof ManifestFieldError) throw new InputError(file, `${where}: ${error.message}`)
      throw error
    }
    if (entry.index !== i) throw new InputError(file, `${where}: index is ${entry.index}, expected ${i} (one line per example, in order)`)
    if (seen.has(entry.file)) throw new InputError(file, `${where}: file ${entry.file} is listed twice`)
    seen.add(entry.file)
    return entry
  })
}

/** What a failed read means to a user, rather than an errno name. */
function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  const known: Record<string, string> = {ENOENT: 'no such file', EISDIR: 'is a folder, not a file', ENOTDIR: 'a folder on its path is a file', EACCES: 'permission denied'}
  return (code !== undefined && known[code]) || String(code ?? oneLine(error))
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new InputError(file, fileProblem(error))
  }
}

export async function readManifest(file: string, g: LabelGeometry = COURSE_GEOMETRY, phrases?: readonly (readonly string[])[]): Promise<ManifestEntry[]> {
  return parseManifest(await readText(file), file, g, phrases)
}

/** The parts of dataset.json readers rely on, checked. */
export function parseDatasetInfo(value: unknown, file: string): DatasetInfo {
  try {
    const d = object(value, 'dataset.json')
    if (d.format !== 'rnn-wake-dataset') fail('format', `must be "rnn-wake-dataset", not ${describe(d.format)}`)
    if (d.version !== 1) fail('version', `${describe(d.version)} is not supported (expected 1)`)
    const count = integer(d.count, 'count', 0, Number.MAX_SAFE_INTEGER)
    const seed = integer(d.seed, 'seed', 0, Number.MAX_SAFE_INTEGER)
    const gg = object(d.geometry, 'geometry')
    const geometry: LabelGeometry = {
      sampleRate: integer(gg.sampleRate, 'geometry.sampleRate', 1, 10_000_000),
      durationMs: integer(gg.durationMs, 'geometry.durationMs', 1, 3_600_000),
      ty: integer(gg.ty, 'geometry.ty', 1, 10_000_000),
      labelSteps: integer(gg.labelSteps, 'geometry.labelSteps', 0, 10_000_000),
    }
    const l = object(d.labels, 'labels')
    if (l.file !== LABELS_FILE || l.dtype !== 'uint8') fail('labels', `must describe ${LABELS_FILE} as uint8`)
    const shape = array(l.shape, 'labels.shape')
    if (shape.length !== 2 || shape[0] !== count || shape[1] !== geometry.ty) fail('labels.shape', `must be [${count}, ${geometry.ty}], not ${shown(shape)}`)
    const phrases =
      d.phrases === undefined
        ? undefined
        : array(d.phrases, 'phrases').map((raw, i) => {
            const words = array(raw, `phrases[${i}]`).map((w, j) => text(w, `phrases[${i}][${j}]`))
            if (words.length === 0) fail(`phrases[${i}]`, 'must hold at least one word')
            return words
          })
    const info: DatasetInfo = {...d, format: 'rnn-wake-dataset', version: 1, count, seed, geometry, labels: {file: LABELS_FILE, dtype: 'uint8', shape: [count, geometry.ty]}}
    if (phrases) info.phrases = phrases
    return info
  } catch (error) {
    if (error instanceof ManifestFieldError) throw new InputError(file, error.message)
    throw error
  }
}

export interface Dataset {
  dir: string
  info: DatasetInfo
  entries: ManifestEntry[]
  /** count x ty, row-major. */
  labels: Uint8Array
}

/** Load a synthesized dataset and check that its three descriptions agree with each other. */
export async function readDataset(dir: string): Promise<Dataset> {
  const infoFile = join(dir, DATASET_FILE)
  let infoValue: unknown
  try {
    infoValue = JSON.parse(await readText(infoFile))
  } catch (error) {
    if (error instanceof InputError) throw error
    throw new InputError(infoFile, `not valid JSON (${oneLine(error)})`)
  }
  const info = parseDatasetInfo(infoValue, infoFile)
  const manifestFile = join(dir, MANIFEST_FILE)
  const entries = await readManifest(manifestFile, info.geometry, info.phrases)
  if (entries.length !== info.count) throw new InputError(manifestFile, `has ${entries.length} entries but ${DATASET_FILE} says ${info.count} examples`)

  const labelsFile = join(dir, LABELS_FILE)
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await readFile(labelsFile))
  } catch (error) {
    throw new InputError(labelsFile, fileProblem(error))
  }
  let npy
  try {
    npy = decodeNpy(bytes)
  } catch (error) {
    if (error instanceof NpyFormatError) throw new InputError(labelsFile, error.message)
    throw error
  }
  const {ty} = info.geometry
  if (npy.dtype !== 'u1' || npy.shape.length !== 2 || npy.shape[0] !== info.count || npy.shape[1] !== ty) {
    throw new InputError(labelsFile, `expected uint8 ${info.count} x ${ty}, found ${npy.dtype} ${npy.shape.join(' x ')}`)
  }
  const labels = npy.data as Uint8Array
  for (const entry of entries) {
    const row = labels.subarray(entry.index * ty, (entry.index + 1) * ty)
    if (JSON.stringify(labelRuns(row)) !== JSON.stringify(entry.labelRuns) || row.some((v) => v > 1)) {
      throw new InputError(labelsFile, `row ${entry.index} does not match line ${entry.index + 1} of ${MANIFEST_FILE}`)
    }
  }
  return {dir, info, entries, labels}
}
