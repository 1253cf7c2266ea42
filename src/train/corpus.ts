import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import {readAudio} from '../audio/index.js'
import {proceduralBackgrounds, soundsLike} from '../dataset/backgrounds.js'
import {type Clip, OTHER_WORD, type SynthSources, listClipFiles} from '../dataset/clips.js'
import {readDataset} from '../dataset/manifest.js'
import {vocabularyFromDataset} from '../dataset/phrases.js'
import {deriveRng, shuffled} from '../dataset/rng.js'
import {type SynthParams, synthesizeExample} from '../dataset/synth.js'
import {InputError, UserError} from '../util/errors.js'
import type {TimedWord} from './examples.js'

/**
 * Where training examples come from, as plain data a worker thread can
 * receive: either clip files to synthesize from (fresh examples every epoch)
 * or a synthesized dataset on disk. The main thread only lists and checks
 * files; decoding and mixing happen where the examples are made.
 */
export type CorpusSpec =
  | {
      kind: 'clips'
      trigger: string
      triggers: string[]
      negatives: string[]
      backgrounds: string[]
      /** Procedural backgrounds added to the files (src/dataset/backgrounds.ts). */
      procedural: number
      proceduralSeed: number
      params: SynthParams
      /** Command phrases that may follow a trigger (params.phraseProb), as word lists; absent: none. */
      phrases?: string[][]
      /** The negatives' folders are --words folders: a clip says its folder's name (unless a tts manifest names it). */
      wordFolders?: boolean
    }
  | {kind: 'dataset'; dir: string; files: string[]; endsMs: number[][]; words: TimedWord[][]}

export interface ClipFolders {
  trigger: string
  triggers: string[]
  negatives: string[]
  backgrounds: string[]
  phrases?: string[][]
  /** The negatives are --words folders, one per word, named after it (see CorpusSpec). */
  wordFolders?: boolean
}

export interface ResolvedCorpus {
  train: CorpusSpec
  val: CorpusSpec
  /** sha256 over what the model learns from (file hashes), recorded in rnn-wake.json. */
  dataHash: string
  /** Human-readable description for rnn-wake.json. */
  describe: Record<string, unknown>
  /** Every word a transcript of this corpus can hold (train and validation), for a CTC vocabulary. */
  words: string[]
}

async function filesOf(dirs: readonly string[], what: string): Promise<string[]> {
  const out: string[] = []
  for (const dir of dirs) for (const name of await listClipFiles(dir, what)) out.push(resolve(dir, name))
  return out
}

/** A seeded shuffle, so the split is the same on --resume. */
function splitOrder<T>(items: readonly T[], key: string, seed: number): T[] {
  return shuffled(items, deriveRng('rnn-wake/train-split', key, seed))
}

function split(files: string[], fraction: number, key: string, seed: number): [string[], string[]] {
  if (fraction <= 0 || files.length < 2) return [files, files]
  const order = splitOrder(files, key, seed)
  const nVal = Math.min(files.length - 1, Math.max(1, Math.round(files.length * fraction)))
  return [order.slice(nVal).sort(), order.slice(0, nVal).sort()]
}

async function hashFiles(files: readonly string[]): Promise<string> {
  const h = createHash('sha256')
  for (const f of files) h.update(createHash('sha256').update(await readFile(f)).digest('hex')).update('\n')
  return h.digest('hex')
}

/**
 * Clip folders to a train and a validation corpus. Trigger and negative
 * clips are split by file (a validation example never reuses a training
 * recording); backgrounds are shared, procedural ones get another seed.
 */
export async function resolveClipCorpus(folders: ClipFolders, params: SynthParams, options: {valSplit: number; seed: number; procedural: number}): Promise<ResolvedCorpus> {
  const triggers = await filesOf(folders.triggers, '--activates')
  const negatives = await filesOf(folders.negatives, '--negatives')
  const backgrounds = await filesOf(folders.backgrounds, '--backgrounds')
  const [tTrain, tVal] = split(triggers, options.valSplit, 'triggers', options.seed)
  const [nTrain, nVal] = split(negatives, options.valSplit, 'negatives', options.seed)
  const base = {
    kind: 'clips' as const,
    trigger: folders.trigger,
    backgrounds,
    procedural: options.procedural,
    params,
    ...(folders.phrases ? {phrases: folders.phrases} : {}),
    ...(folders.wordFolders ? {wordFolders: true} : {}),
  }
  const spoken = new Set<string>([folders.trigger])
  const manifests = new Map<string, Map<string, string>>()
  for (const file of negatives) {
    const dir = dirname(file)
    if (!manifests.has(dir)) manifests.set(dir, await spokenWords(dir))
    spoken.add(manifests.get(dir)!.get(basename(file)) ?? (folders.wordFolders ? basename(dir) : OTHER_WORD))
  }
  // A phrase word is spoken by the negatives' clips that carry its name (a --words folder, or a tts manifest's text).
  for (const word of (folders.phrases ?? []).flat()) {
    if (!spoken.has(word)) throw new UserError(`--phrases: no negative clip says "${word}" (make some with: rnn-wake tts ${word} --out DIR, then pass --negatives DIR/${word})`, 'usage')
  }
  return {
    train: {...base, triggers: tTrain, negatives: nTrain, proceduralSeed: options.seed},
    val: {...base, triggers: tVal, negatives: nVal, proceduralSeed: options.seed + 1_000_003},
    dataHash: await hashFiles([...triggers, ...negatives, ...backgrounds]),
    describe: {
      kind: 'clips',
      trigger: folders.trigger,
      triggerFolders: folders.triggers.map((d) => resolve(d)),
      negativeFolders: folders.negatives.map((d) => resolve(d)),
      backgroundFolders: folders.backgrounds.map((d) => resolve(d)),
      clips: {triggers: tTrain.length, negatives: nTrain.length, backgrounds: backgrounds.length, proceduralBackgrounds: options.procedural},
      validationClips: {triggers: tVal.length, negatives: nVal.length},
      ...(folders.phrases ? {phrases: folders.phrases.map((p) => p.join(' ')), phraseProb: params.phraseProb} : {}),
    },
    words: [...spoken],
  }
}

async function datasetSpec(dir: string): Promise<{spec: CorpusSpec & {kind: 'dataset'}; hash: string; words: string[]}> {
  const ds = await readDataset(dir)
  const rate = ds.info.geometry.sampleRate
  const spec = {
    kind: 'dataset' as const,
    dir: resolve(dir),
    files: ds.entries.map((e) => join(resolve(dir), e.file)),
    endsMs: ds.entries.map((e) => e.clips.filter((c) => c.trigger).map((c) => c.endMs)),
    words: ds.entries.map((e) => e.clips.map((c) => ({word: c.word, startMs: (c.start * 1000) / rate, endMs: (c.end * 1000) / rate, trigger: c.trigger}))),
  }
  const words = vocabularyFromDataset({info: ds.info as {words?: unknown}, entries: ds.entries}, 'word').tokens
  const hash = createHash('sha256')
    .update(await readFile(join(dir, 'dataset.json')))
    .update(ds.labels)
    .digest('hex')
  return {spec, hash, words}
}

function subset(spec: CorpusSpec & {kind: 'dataset'}, indices: number[]): CorpusSpec {
  return {...spec, files: indices.map((i) => spec.files[i]), endsMs: indices.map((i) => spec.endsMs[i]), words: indices.map((i) => spec.words[i])}
}

/** A synthesized dataset, with validation from --val DIR or a --val-split of its examples. */
export async function resolveDatasetCorpus(dir: string, options: {val?: string; valSplit: number; seed: number}): Promise<ResolvedCorpus> {
  const {spec, hash, words} = await datasetSpec(dir)
  let train: CorpusSpec = spec
  let val: CorpusSpec
  let valHash = ''
  const allWords = new Set(words)
  if (options.val !== undefined) {
    const v = await datasetSpec(options.val)
    val = v.spec
    valHash = v.hash
    for (const w of v.words) allWords.add(w)
  } else {
    const order = splitOrder(
      spec.files.map((_, i) => i),
      'examples',
      options.seed,
    )
    if (spec.files.length < 2) throw new InputError(dir, 'needs at least 2 examples to hold some out for validation (or pass --val DIR)')
    const nVal = Math.min(spec.files.length - 1, Math.max(1, Math.round(spec.files.length * options.valSplit)))
    val = subset(spec, order.slice(0, nVal).sort((a, b) => a - b))
    train = subset(spec, order.slice(nVal).sort((a, b) => a - b))
  }
  return {
    train,
    val,
    dataHash: createHash('sha256').update(hash).update(valHash).digest('hex'),
    describe: {kind: 'dataset', dir: resolve(dir), val: options.val === undefined ? `split ${options.valSplit}` : resolve(options.val), examples: (train as {files: string[]}).files.length, validationExamples: (val as {files: string[]}).files.length},
    words: [...allWords],
  }
}

export function corpusSize(spec: CorpusSpec): number | null {
  return spec.kind === 'dataset' ? spec.files.length : null
}

/** Audio plus trigger end times and word times: what makeExample needs. */
export interface RawExample {
  audio: Int16Array | Float64Array
  endsMs: number[]
  /** Every placed word in time order (trigger, command words, negatives). */
  words: TimedWord[]
}

/** The worker-side view of a corpus: decoded clips, ready to make examples. */
export interface OpenCorpus {
  raw(index: number, seed: number): Promise<RawExample>
}

/** The words of a folder written by "rnn-wake tts" (its manifest.jsonl), by file name; empty without one. */
export async function spokenWords(dir: string): Promise<Map<string, string>> {
  try {
    const lines = (await readFile(join(dir, 'manifest.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '')
    return new Map(lines.map((l) => JSON.parse(l) as {file: string; text: string}).map((m) => [m.file, m.text]))
  } catch {
    return new Map()
  }
}

/** named: a clip's word is its tts manifest's text, else its folder's name when `wordFolders`, else `word`. */
async function loadClips(files: readonly string[], word: string, named = false, wordFolders = false): Promise<Clip[]> {
  const out: Clip[] = []
  const manifests = new Map<string, Map<string, string>>()
  for (const file of files) {
    let clipWord = word
    if (named) {
      const dir = dirname(file)
      if (!manifests.has(dir)) manifests.set(dir, await spokenWords(dir))
      clipWord = manifests.get(dir)!.get(basename(file)) ?? (wordFolders ? basename(dir) : word)
    }
    const {samples} = await readAudio(file)
    if (samples.length === 0) throw new InputError(file, 'the file holds no samples')
    let sum = 0
    for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i]
    out.push({word: clipWord, source: basename(file), samples, rms: Math.sqrt(sum / samples.length)})
  }
  return out
}

export async function openCorpus(spec: CorpusSpec): Promise<OpenCorpus> {
  if (spec.kind === 'dataset') {
    return {
      async raw(index) {
        const i = index % spec.files.length
        return {audio: (await readAudio(spec.files[i])).samples, endsMs: spec.endsMs[i], words: spec.words[i]}
      },
    }
  }
  const negatives = await loadClips(spec.negatives, OTHER_WORD, true, spec.wordFolders === true)
  const babble = negatives.filter((c) => !soundsLike(c.word, spec.trigger))
  const sources: SynthSources = {
    trigger: spec.trigger,
    triggers: await loadClips(spec.triggers, spec.trigger),
    negatives,
    backgrounds: [...(await loadClips(spec.backgrounds, '')), ...proceduralBackgrounds(spec.procedural, spec.proceduralSeed, babble)],
    ...(spec.phrases ? {phrases: spec.phrases} : {}),
  }
  const rate = spec.params.sampleRate
  return {
    async raw(index, seed) {
      const ex = synthesizeExample(sources, deriveRng('rnn-wake/train', seed, index), spec.params)
      return {
        audio: ex.audio,
        endsMs: ex.record.clips.filter((c) => c.trigger).map((c) => c.endMs),
        words: ex.record.clips.map((c) => ({word: c.word, startMs: (c.start * 1000) / rate, endMs: (c.end * 1000) / rate, trigger: c.trigger})),
      }
    },
  }
}
