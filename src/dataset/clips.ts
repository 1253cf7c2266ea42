import {createHash} from 'node:crypto'
import type {Dirent} from 'node:fs'
import {readdir, stat} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import {SAMPLE_RATE, decodeAudio, readBytes} from '../audio/index.js'
import {InputError, UserError} from '../util/errors.js'
import {proceduralBackgrounds, soundsLike} from './backgrounds.js'
import {type Phrase, phraseText} from './phrases.js'

/**
 * Loading the word clips and backgrounds a dataset is synthesized from, and
 * refusing, with a message naming the file or folder, anything that would
 * make a bad dataset.
 */

/** One decoded source recording. */
export interface Clip {
  /** The word it holds ('' for a background). */
  word: string
  /** Stable name used in manifests: role folder and file, e.g. `activates/1.wav`, `words/stop/a.wav`. */
  source: string
  /** Mono, 44.1 kHz, int16 units. */
  samples: Float64Array
  /** Root mean square of `samples`, for signal-to-background ratios. */
  rms: number
}

/** Everything synthesis draws from. Plain data, so it can be posted to worker threads. */
export interface SynthSources {
  trigger: string
  triggers: Clip[]
  /** Clips of every other word, drawn uniformly (as the course draws from its negatives folder). */
  negatives: Clip[]
  backgrounds: Clip[]
  /** Command phrases that may follow a trigger (--words layout only); every word has clips among `negatives`. */
  phrases?: Phrase[]
}

/** What dataset.json records of each source file. */
export interface SourceFile {
  source: string
  role: 'trigger' | 'negative' | 'background'
  word: string
  sha256: string
  sampleRate: number
  channels: number
  durationSec: number
}

export type SourceLayout =
  | {kind: 'course'; activates: string; negatives: string; backgrounds?: string; trigger?: string}
  | {kind: 'words'; words: string; trigger: string; backgrounds?: string; phrases?: Phrase[]}

export interface LoadedSources {
  sources: SynthSources
  files: SourceFile[]
  /** The input folders as absolute paths, keyed by role folder name. */
  inputs: Record<string, string>
}

/** The trigger's name in the course layout unless --trigger says otherwise. */
export const COURSE_TRIGGER = 'activate'
/** The course's negatives folder mixes several unnamed words; they share this token in transcripts. */
export const OTHER_WORD = '<other>'

/**
 * Notes and manifests that often sit beside clips (the TTS command writes a
 * manifest next to its WAVs): skipped rather than rejected. Any other file
 * must be a readable WAV.
 */
const SIDECAR = /\.(json|jsonl|txt|md|csv|tsv|yaml|yml)$/i

/** Byte-order sort: the order (and so the dataset) must not depend on the locale. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

async function requireFolder(dir: string, what: string): Promise<void> {
  let isDir: boolean
  try {
    isDir = (await stat(dir)).isDirectory()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InputError(dir, code === 'ENOENT' ? `no such folder (given as ${what})` : `cannot open the ${what} folder (${code ?? String(error)})`)
  }
  if (!isDir) throw new InputError(dir, `not a folder (given as ${what})`)
}

/** A folder's entries (dot files left out), in name order; a link to a folder counts as a folder. */
export async function listEntries(dir: string): Promise<Array<{name: string; isDir: boolean}>> {
  try {
    const entries = (await readdir(dir, {withFileTypes: true})).filter((e) => !e.name.startsWith('.'))
    const isDir = async (e: Dirent): Promise<boolean> => e.isDirectory() || (e.isSymbolicLink() && (await stat(join(dir, e.name)).catch(() => undefined))?.isDirectory() === true)
    const listed = await Promise.all(entries.map(async (e) => ({name: e.name, isDir: await isDir(e)})))
    return listed.sort((a, b) => byName(a.name, b.name))
  } catch (error) {
    throw new InputError(dir, `cannot list the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`)
  }
}

/**
 * The clip files of one folder (not recursive), after checking it exists and
 * holds at least one. Every file but the sidecars counts: WAV, FLAC, Ogg
 * Vorbis/Opus and MP3 are read (told by content), anything else is refused by name.
 */
export async function listClipFiles(dir: string, what: string): Promise<string[]> {
  await requireFolder(dir, what)
  const files = (await listEntries(dir)).filter((e) => !e.isDir && !SIDECAR.test(e.name)).map((e) => e.name)
  if (files.length === 0) throw new InputError(dir, `no audio clips in the ${what} folder`)
  return files
}

interface Loaded {
  clip: Clip
  file: SourceFile
}

async function loadClip(path: string, source: string, word: string, role: SourceFile['role']): Promise<Loaded> {
  const bytes = await readBytes(path)
  const {info, samples: decoded} = await decodeAudio(bytes, path)
  if (decoded.length === 0) throw new InputError(path, 'the file holds no samples')
  // In shared memory: synthesize hands every clip to each of its worker threads, which copies a plain
  // buffer per thread (measured: 1 GB of 16-bit backgrounds peaked at 17 GB with 2 workers).
  const samples = new Float64Array(new SharedArrayBuffer(decoded.byteLength))
  samples.set(decoded)
  let sum = 0
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i]
  return {
    clip: {word, source, samples, rms: Math.sqrt(sum / samples.length)},
    file: {
      source,
      role,
      word,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sampleRate: info.sampleRate,
      channels: info.channels,
      durationSec: info.durationSec,
    },
  }
}

/** Decode a folder's clips, a few files at a time so a large folder does not exhaust file handles. */
async function loadFolder(dir: string, what: string, prefix: string, word: string, role: SourceFile['role']): Promise<Loaded[]> {
  const names = await listClipFiles(dir, what)
  const out: Loaded[] = new Array(names.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const i = next++
      out[i] = await loadClip(join(dir, names[i]), `${prefix}/${names[i]}`, word, role)
    }
  }
  await Promise.all(Array.from({length: Math.min(8, names.length)}, worker))
  return out
}

/** A folder's clips as Clips (each checked as synthesis checks it), for callers that need no manifest. */
export async function readClipFolder(dir: string, what: string, word: string, role: SourceFile['role']): Promise<Clip[]> {
  return (await loadFolder(dir, what, what, word, role)).map((l) => l.clip)
}

/**
 * Load and check every source. `exampleSamples` is the example length and
 * `minSpeed` the slowest speed perturbation (1 when off): a clip slowed down
 * must still fit in an example.
 */
export async function loadSources(layout: SourceLayout, exampleSamples: number, minSpeed = 1): Promise<LoadedSources> {
  let triggers: Loaded[]
  let negatives: Loaded[]
  let trigger: string
  const inputs: Record<string, string> = {}
  if (layout.trigger !== undefined && layout.trigger.trim() === '') throw new UserError('--trigger must name a word, not an empty string', 'usage')
  if (layout.kind === 'course') {
    trigger = layout.trigger ?? COURSE_TRIGGER
    triggers = await loadFolder(layout.activates, '--activates', 'activates', trigger, 'trigger')
    negatives = await loadFolder(layout.negatives, '--negatives', 'negatives', OTHER_WORD, 'negative')
    inputs.activates = resolve(layout.activates)
    inputs.negatives = resolve(layout.negatives)
  } else {
    trigger = layout.trigger
    await requireFolder(layout.words, '--words')
    const entries = await listEntries(layout.words)
    const stray = entries.find((e) => !e.isDir && !SIDECAR.test(e.name))
    if (stray) throw new InputError(join(layout.words, stray.name), 'expected only one folder per word in --words, found a file')
    const words = entries.filter((e) => e.isDir).map((e) => e.name)
    if (!words.includes(trigger)) {
      const found = words.length > 0 ? `found: ${words.join(', ')}` : 'it has no word folders'
      throw new InputError(layout.words, `no folder named "${trigger}" for --trigger (${found})`)
    }
    if (words.length < 2) throw new InputError(layout.words, `needs at least one word folder besides the trigger "${trigger}" (the negatives)`)
    // Before decoding any audio: a misspelt phrase should fail at once.
    for (const phrase of layout.phrases ?? []) checkPhrase(phrase, words, trigger, layout.words)
    triggers = []
    negatives = []
    for (const word of words) {
      const loaded = await loadFolder(join(layout.words, word), `word "${word}"`, `words/${word}`, word, word === trigger ? 'trigger' : 'negative')
      ;(word === trigger ? triggers : negatives).push(...loaded)
    }
    inputs.words = resolve(layout.words)
  }
  // No folder: the caller adds procedural backgrounds (withProceduralBackgrounds).
  const backgrounds = layout.backgrounds === undefined ? [] : await loadFolder(layout.backgrounds, '--backgrounds', 'backgrounds', '', 'background')
  if (layout.backgrounds !== undefined) inputs.backgrounds = resolve(layout.backgrounds)

  checkLengths([...triggers, ...negatives], backgrounds, exampleSamples, minSpeed, layout)
  const all = [...triggers, ...negatives, ...backgrounds]
  return {
    sources: {
      trigger,
      triggers: triggers.map((l) => l.clip),
      negatives: negatives.map((l) => l.clip),
      backgrounds: backgrounds.map((l) => l.clip),
      ...(layout.kind === 'words' && layout.phrases?.length ? {phrases: layout.phrases.map((p) => [...p])} : {}),
    },
    files: all.map((l) => l.file),
    inputs,
  }
}

/**
 * Add `count` procedural backgrounds (backgrounds.ts: noise, hum, and babble
 * of the negatives that do not sound like the trigger), seeded by `seed`, to
 * loaded sources; dataset.json records them under inputs.proceduralBackgrounds.
 */
export function withProceduralBackgrounds(loaded: LoadedSources, count: number, seed: number): LoadedSources {
  if (count === 0) return loaded
  const {sources} = loaded
  const babble = sources.negatives.filter((c) => !soundsLike(c.word, sources.trigger))
  // In shared memory, as loadClip does: every synthesis worker gets the backgrounds without a copy.
  const made = proceduralBackgrounds(count, seed, babble).map((c) => ({...c, samples: shared(c.samples)}))
  return {
    ...loaded,
    sources: {...sources, backgrounds: [...sources.backgrounds, ...made]},
    inputs: {...loaded.inputs, proceduralBackgrounds: `${count} (seed ${seed})`},
  }
}

function shared(x: Float64Array): Float64Array {
  const out = new Float64Array(new SharedArrayBuffer(x.byteLength))
  out.set(x)
  return out
}

/**
 * Every word of a phrase must be a word folder, and not the trigger: a
 * phrase is what is said after the trigger, and a trigger inside it would
 * add labels the phrase was not meant to carry.
 */
function checkPhrase(phrase: Phrase, words: string[], trigger: string, dir: string): void {
  const text = phraseText(phrase)
  if (phrase.includes(trigger)) throw new UserError(`The phrase "${text}" contains the trigger "${trigger}": a phrase is the command said after the trigger, so list only the command words`, 'usage')
  const missing = phrase.find((w) => !words.includes(w))
  if (missing === undefined) return
  // "rnn-wake tts "lights on"" makes one folder for the whole phrase; synthesis needs one per word.
  const whole = words.includes(text) ? `; the folder "${text}" holds the phrase as one clip, but phrases are placed word by word: make one folder per word (e.g. rnn-wake tts ${phrase.join(' ')} --out DIR)` : ''
  throw new InputError(dir, `no folder for the word "${missing}" of the phrase "${text}" (found: ${words.join(', ')})${whole}`)
}

function seconds(samples: number): string {
  return `${(samples / SAMPLE_RATE).toFixed(2)} s`
}

function pathOf(source: string, layout: SourceLayout): string {
  const [role, ...rest] = source.split('/')
  const root = (layout as Record<string, string>)[role]
  return root === undefined ? source : join(root, ...rest)
}

function checkLengths(words: Loaded[], backgrounds: Loaded[], exampleSamples: number, minSpeed: number, layout: SourceLayout): void {
  let longest: Loaded | undefined
  for (const l of words) {
    const n = l.clip.samples.length
    // A clip must leave at least one possible start (the course's randint(0, 10000 - segment_ms)).
    const stretched = Math.ceil(n / minSpeed)
    if (stretched >= exampleSamples) {
      const slowed = minSpeed < 1 ? ` (${seconds(stretched)} at --speed ${minSpeed})` : ''
      throw new InputError(pathOf(l.clip.source, layout), `the clip is ${seconds(n)}${slowed}, not shorter than the ${seconds(exampleSamples)} examples (and their backgrounds)`)
    }
    if (!longest || n > longest.clip.samples.length) longest = l
  }
  for (const b of backgrounds) {
    const n = b.clip.samples.length
    if (longest && n < Math.ceil(longest.clip.samples.length / minSpeed)) {
      throw new InputError(
        pathOf(b.clip.source, layout),
        `the background is ${seconds(n)}, shorter than the clip ${pathOf(longest.clip.source, layout)} (${seconds(longest.clip.samples.length)}); short backgrounds are looped to ${seconds(exampleSamples)}, but one must at least span every clip`,
      )
    }
  }
}
