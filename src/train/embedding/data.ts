import {proceduralBackgrounds} from '../../dataset/backgrounds.js'
import {type Clip, type SourceFile, readClipFolder} from '../../dataset/clips.js'
import {type Rng, deriveRng, gaussian, shuffled} from '../../dataset/rng.js'
import {type VoiceAugment, augmentChannel, maybeChangeSpeed} from '../../dataset/voice-augment.js'
import {EMBEDDING_SIZE, EMBEDDING_STEP_SECONDS} from '../../features/speech-embedding.js'
import type {FrontEnd} from '../../features/front-end.js'
import {concatFloat32} from '../../util/arrays.js'
import type {FeatureBank} from '../feature-bank.js'
import {VOICE_MAP_SHARE, type VoiceMapper, mapCrop, mapVoice} from './voice-map.js'

/**
 * Data for the speech-embedding recipe, all on frozen features: the clips' audio is mixed into
 * short examples once and run through the front end once; every epoch then only cuts and joins
 * feature sequences (examples and crops of the real-speech bank), which costs milliseconds.
 */

/** An example's audio, seconds: context words, then the word, then a tail. */
export const EXAMPLE_SECONDS = 3.2
/** Seconds after the end of the word whose steps are labelled 1 (the course's "ones after the word"). */
export const LABEL_SECONDS = 0.48
/** Most other words said just before the word in an example (uniform in 0..N). */
export const DEFAULT_CONTEXT_WORDS = 2
/** Steps of a word that must be in a training sequence for the token head to be asked for it. */
const MIN_WORD_STEPS = 3
/** Leading steps of an example dropped when it joins a sequence: they mostly hear the front end's lead silence. */
const LEAD_STEPS = 6

export interface EmbeddedExample {
  /** steps x 96 */
  data: Float32Array
  steps: number
  /** Steps labelled 1 (after the word ends), empty for a negative. */
  positiveSteps: number[]
  /** Every word placed, in order, with the step where it ends (for a token head); absent in examples made without phrases. */
  words?: Array<{word: string; endStep: number}>
}

/**
 * A folder's clips, in the order of their file names as JavaScript sorts them (the order the
 * held-out split was drawn in since this recipe began, kept so a seed keeps its split).
 */
export async function readClips(dir: string, what: string, word: string, role: SourceFile['role']): Promise<Clip[]> {
  return (await readClipFolder(dir, what, word, role)).sort((x, y) => (x.source < y.source ? -1 : x.source > y.source ? 1 : 0))
}

/** Voice and room augmentation of an example, from its own generator. */
export interface Augmentation {
  rng: Rng
  levers: readonly VoiceAugment[]
}

/** A word placed in an example: what it says (a clip's word) and the sample where it ends. */
export interface PlacedWord {
  word: string
  end: number
}

/**
 * One example's audio at `sampleRate`: up to `maxContext` other words just before the word (as
 * in real use, where the wake word often follows speech), the word (a trigger clip, or another
 * word for a negative), then the `after` words (a command phrase) or a tail, over a background
 * at a random level. Returns where the word ends and every word placed, in time order.
 */
export function mixExample(spoken: Clip, others: readonly Clip[], backgrounds: readonly Clip[], rng: Rng, sampleRate: number, maxContext = DEFAULT_CONTEXT_WORDS, after: readonly Clip[] = [], augment?: Augmentation): {samples: Float64Array; wordEnd: number; placed: PlacedWord[]} {
  // Augmentation draws from its own generator, so the mix itself is the same with or without it.
  const word = augment ? {...spoken, samples: maybeChangeSpeed(spoken.samples, augment.rng, sampleRate, augment.levers)} : spoken
  const base = Math.round(EXAMPLE_SECONDS * sampleRate)
  // The word ends between 1.7 s and 2.7 s: room for context before it and the labelled steps after it.
  const wordEnd = Math.min(base, Math.round(rng.uniform(1.7, 2.7) * sampleRate))
  // A phrase follows 0.05-0.3 s after each word; the example grows to hold it and a 0.4 s tail.
  const gaps = after.map(() => Math.round(rng.uniform(0.05, 0.3) * sampleRate))
  const phraseEnd = after.reduce((end, clip, k) => end + gaps[k] + clip.samples.length, wordEnd)
  const n = after.length === 0 ? base : Math.max(base, phraseEnd + Math.round(0.4 * sampleRate))
  let out: Float64Array = new Float64Array(n)
  const wordStart = Math.max(0, wordEnd - word.samples.length)
  const level = 10 ** rng.uniform(-0.6, 0.4)
  const add = (clip: Clip, at: number, gain: number) => {
    const from = Math.max(0, -at)
    for (let i = from; i < clip.samples.length && at + i < n; i++) out[at + i] += clip.samples[i] * gain
  }
  const relative = (other: Clip) => level * (word.rms > 0 && other.rms > 0 ? (word.rms / other.rms) * 10 ** rng.uniform(-0.3, 0.1) : 1)
  add(word, wordEnd - word.samples.length, level)
  const placed: PlacedWord[] = [{word: word.word, end: wordEnd}]
  // Context: other words ending 0-0.3 s before the word starts.
  let cursor = wordStart
  const contextWords = others.length === 0 ? 0 : rng.int(maxContext + 1)
  for (let k = 0; k < contextWords && cursor > 0.2 * sampleRate; k++) {
    const other = others[rng.int(others.length)]
    const end = cursor - Math.round(rng.uniform(0, 0.3) * sampleRate)
    add(other, end - other.samples.length, relative(other))
    if (end - other.samples.length >= 0) placed.unshift({word: other.word, end})
    cursor = end - other.samples.length
  }
  let at = wordEnd
  after.forEach((clip, k) => {
    at += gaps[k]
    add(clip, at, relative(clip))
    at += clip.samples.length
    placed.push({word: clip.word, end: at})
  })
  if (augment) out = augmentChannel(out, augment.rng, sampleRate, augment.levers)
  // Background at 5-30 dB below the word (sometimes none).
  if (backgrounds.length > 0 && rng.uniform(0, 1) < 0.85) {
    const bg = backgrounds[rng.int(backgrounds.length)]
    const snrDb = rng.uniform(5, 30)
    const gain = bg.rms > 0 ? (word.rms * level) / bg.rms / 10 ** (snrDb / 20) : 0
    const offset = rng.int(Math.max(1, bg.samples.length - n))
    for (let i = 0; i < n && offset + i < bg.samples.length; i++) out[i] += bg.samples[offset + i] * gain
  }
  for (let i = 0; i < n; i++) out[i] = Math.max(-32768, Math.min(32767, out[i]))
  return {samples: out, wordEnd, placed}
}

/** Steps (window ends at (k + 1) x 80 ms) labelled 1: those ending within LABEL_SECONDS after the word. */
export function labelSteps(wordEndSec: number, steps: number): number[] {
  const out: number[] = []
  for (let k = 0; k < steps; k++) {
    const end = (k + 1) * EMBEDDING_STEP_SECONDS
    if (end >= wordEndSec && end < wordEndSec + LABEL_SECONDS) out.push(k)
  }
  return out
}

export interface ExampleSet {
  positives: EmbeddedExample[]
  negatives: EmbeddedExample[]
  /** Examples of other words from a word bank (word-bank.ts): a quarter of the negative rows when there are any. */
  words?: EmbeddedExample[]
}

/** Share of the negative rows drawn from the word bank's examples, when the set has them. */
export const WORD_BANK_ROW_SHARE = 0.25

/**
 * `perClip` examples of one trigger clip and as many negatives (other words in the same setting),
 * mixed and embedded. Deterministic in the seed and the clip's content (`clipKey`), not in its
 * place in a list, so the examples of a clip can be cached and shared by runs whose clip lists differ.
 */
export function embedClipExamples(frontEnd: FrontEnd, clip: Clip, clipKey: string, others: readonly Clip[], backgrounds: readonly Clip[], options: ExampleOptions): ExampleSet {
  const positives: EmbeddedExample[] = []
  const negatives: EmbeddedExample[] = []
  const embed = (word: Clip, rng: Rng, positive: boolean, after: readonly Clip[] = []): EmbeddedExample => {
    const levers = options.augment ?? []
    const augment = levers.length > 0 ? {rng: deriveRng('rnn-wake/embedding-augment', options.seed, clipKey, positive ? 1 : 0, positives.length + negatives.length), levers} : undefined
    const {samples, wordEnd, placed} = mixExample(word, others, backgrounds, rng, options.sampleRate, options.contextWords, after, augment)
    const {data, frames} = frontEnd.featurize(samples)
    const example: EmbeddedExample = {data, steps: frames, positiveSteps: positive ? labelSteps(wordEnd / options.sampleRate, frames) : []}
    if (options.phrases || options.recordWords) example.words = placed.map((p) => ({word: p.word, endStep: endStep(p.end / options.sampleRate)}))
    return example
  }
  for (let j = 0; j < options.perClip; j++) {
    const after = options.phrases ? phraseAfter(options.phrases, deriveRng('rnn-wake/embedding-phrase', options.seed, clipKey, j)) : []
    positives.push(embed(clip, deriveRng('rnn-wake/embedding-example', options.seed, clipKey, j), true, after))
    if (others.length > 0) {
      const rng = deriveRng('rnn-wake/embedding-negative', options.seed, clipKey, j)
      negatives.push(embed(others[rng.int(others.length)], rng, false))
    }
  }
  return {positives, negatives}
}

export interface ExampleOptions {
  perClip: number
  seed: number
  sampleRate: number
  contextWords?: number
  /** Command phrases that may follow the word (a token head learns them); absent: none. */
  phrases?: PhraseClips
  /** Voice and room augmentation of every example (positives and negatives alike). */
  augment?: readonly VoiceAugment[]
  /** Record every placed word and where it ends (a token head over the other words), phrases or not. */
  recordWords?: boolean
}

/** Command phrases and the clips that say their words. */
export interface PhraseClips {
  phrases: ReadonlyArray<readonly string[]>
  clips: ReadonlyMap<string, readonly Clip[]>
  /** Share of trigger examples followed by a phrase. */
  probability: number
}

/** The clips of a phrase to say after the word (one clip per word), or none. */
function phraseAfter(source: PhraseClips, rng: Rng): Clip[] {
  if (source.phrases.length === 0 || rng.uniform(0, 1) >= source.probability) return []
  const phrase = source.phrases[rng.int(source.phrases.length)]
  return phrase.map((word) => {
    const clips = source.clips.get(word)!
    return clips[rng.int(clips.length)]
  })
}

/** The step whose window first reaches `seconds` (window k ends at (k + 1) x 80 ms). */
export function endStep(seconds: number): number {
  return Math.max(0, Math.ceil(seconds / EMBEDDING_STEP_SECONDS - 1e-9) - 1)
}

/** The procedural backgrounds examples are mixed over (noise colours, hum, babble of other words). */
export function exampleBackgrounds(others: readonly Clip[], seed: number, sampleRate: number): Clip[] {
  return proceduralBackgrounds(10, seed, others, 10, sampleRate)
}

/** A batch: sequences x steps x 96, labels sequences x steps, per-step loss weights. */
export interface Batch {
  x: Float32Array
  y: Float32Array
  weights: Float32Array
  size: number
  steps: number
  /** Per sequence, the words whose last MIN_WORD_STEPS steps or more it holds, and the step each ends at (examples with words only; none in bank crops). */
  words: Array<Array<{word: string; endStep: number}>>
  /** Per step, 1 where it comes from the bank (recorded speech), 0 where from the user's examples (the domain-adversarial term's labels). */
  fromBank: Float32Array
  /**
   * Per step, 1 where the domain critic may look: everywhere but the example part of trigger rows. Every trigger is a
   * user's clip, so a critic shown them would learn "trigger" as a sign of the clips' domain, and its reversed
   * gradient would wash the word out of the features; it compares other words with recorded speech instead.
   */
  domainMask: Float32Array
}

export interface BatchOptions {
  size: number
  steps: number
  /** Loss weight of a step labelled 1 (they are few). */
  positiveWeight: number
  /** Target of a trigger step (default 1): below 1, the network gains nothing from scores that saturate at 1.0. */
  positiveTarget?: number
  /** Places in the bank where the network fired (mined); half the plain bank crops are cut around them. */
  hard?: readonly HardWindow[]
  /**
   * Experimental: half the example rows (words and other words alike) have their example steps
   * blended with a crop of recorded speech, x <- (1 - a) x + a crop, a uniform in [0, bankMix):
   * clips pulled toward where people's speech lies, so the word must be told apart there.
   */
  bankMix?: number
  /** Experimental: Gaussian noise of this standard deviation (embedding units; their spread is ~10) added to the example steps. */
  inputNoise?: number
  /** A voice map (voice-map.ts) over the run's examples: VOICE_MAP_SHARE of the example rows (not the word bank's) go through it. */
  voiceMap?: VoiceMapper
}

/** A step of a bank sequence where a network's score was high: a hard negative. */
export interface HardWindow {
  /** Index into the bank's sequences. */
  sequence: number
  /** The step that scored high. */
  step: number
  score: number
}

/**
 * A training batch: a third positives, a third negative examples, a third plain crops of the
 * real-speech bank. Each example is joined after a crop of the bank, so the word follows real
 * speech and a sequence does not tell by its start what it holds.
 */
export function makeBatch(set: ExampleSet, bank: FeatureBank, rng: Rng, options: BatchOptions): Batch {
  const {size, steps} = options
  const x = new Float32Array(size * steps * EMBEDDING_SIZE)
  const y = new Float32Array(size * steps)
  const weights = new Float32Array(size * steps).fill(1)
  const fromBank = new Float32Array(size * steps)
  const domainMask = new Float32Array(size * steps).fill(1)
  const sequences = bank.sequences.filter((s) => s.frames >= steps)
  /** `count` steps (at most `steps`) of a random bank sequence, from a random start. */
  const randomCrop = (count: number): Float32Array => {
    const s = sequences[rng.int(sequences.length)]
    const start = rng.int(s.frames - count + 1)
    return s.data.subarray(start * EMBEDDING_SIZE, (start + count) * EMBEDDING_SIZE)
  }
  const bankCrop = (row: number, from: number, count: number) => {
    x.set(randomCrop(count), (row * steps + from) * EMBEDDING_SIZE)
    fromBank.fill(1, row * steps + from, row * steps + from + count)
  }
  // A mined crop ends 0-8 steps after the step that fired, so the network sees what led up to it.
  const hardCrop = (row: number, hard: HardWindow) => {
    const s = bank.sequences[hard.sequence]
    const end = Math.min(s.frames, hard.step + 1 + rng.int(9))
    const start = Math.max(0, Math.min(end - steps, s.frames - steps))
    x.set(s.data.subarray(start * EMBEDDING_SIZE, (start + steps) * EMBEDDING_SIZE), row * steps * EMBEDDING_SIZE)
    fromBank.fill(1, row * steps, (row + 1) * steps)
  }
  const hard = options.hard?.filter((h) => bank.sequences[h.sequence].frames >= steps) ?? []
  const words: Batch['words'] = Array.from({length: size}, () => [])
  for (let row = 0; row < size; row++) {
    const kind = set.negatives.length === 0 ? (row % 2 === 0 ? 0 : 2) : row % 3
    if (kind === 2 || (kind === 1 && set.negatives.length === 0)) {
      if (hard.length > 0 && rng.uniform(0, 1) < 0.5) hardCrop(row, hard[rng.int(hard.length)])
      else bankCrop(row, 0, steps)
      continue
    }
    const fromWords = kind === 1 && set.words !== undefined && set.words.length > 0 && rng.uniform(0, 1) < WORD_BANK_ROW_SHARE
    const pool = kind === 0 ? set.positives : fromWords ? set.words! : set.negatives
    const example = pool[rng.int(pool.length)]
    const available = example.steps - LEAD_STEPS
    const keep = Math.min(available, steps - 2 - rng.int(Math.max(1, steps - Math.min(available, steps - 2) - 1)))
    const prefix = steps - keep
    bankCrop(row, 0, prefix)
    const first = example.steps - keep
    x.set(example.data.subarray(first * EMBEDDING_SIZE, example.steps * EMBEDDING_SIZE), (row * steps + prefix) * EMBEDDING_SIZE)
    if (kind === 0) domainMask.fill(0, row * steps + prefix, (row + 1) * steps)
    const exampleSteps = x.subarray((row * steps + prefix) * EMBEDDING_SIZE, (row + 1) * steps * EMBEDDING_SIZE)
    let altered = false
    if (options.bankMix && rng.next() < 0.5) {
      const share = rng.uniform(0, options.bankMix)
      blend(exampleSteps, randomCrop(keep), share)
      altered = true
    }
    if (options.inputNoise) {
      addNoise(exampleSteps, rng, options.inputNoise)
      altered = true
    }
    if (options.voiceMap && !fromWords && rng.next() < VOICE_MAP_SHARE) {
      // A crop as drawn maps from the example mapped whole (the same values, kept); one blended or noised maps itself.
      if (altered) mapVoice(exampleSteps, options.voiceMap.map)
      else mapCrop(options.voiceMap, example.data, first, exampleSteps)
    }
    for (const k of example.positiveSteps) {
      const at = k - first
      if (at < 0) continue
      y[row * steps + prefix + at] = options.positiveTarget ?? 1
      weights[row * steps + prefix + at] = options.positiveWeight
    }
    // A word counts when at least its last MIN_WORD_STEPS steps are kept (a word cut short is left out).
    for (const w of example.words ?? []) if (w.endStep - first >= MIN_WORD_STEPS) words[row].push({word: w.word, endStep: w.endStep - first + prefix})
  }
  return {x, y, weights, size, steps, words, fromBank, domainMask}
}

/** `part` blended in place with an equally long `crop`: (1 - a) part + a crop. */
function blend(part: Float32Array, crop: Float32Array, a: number): void {
  for (let i = 0; i < part.length; i++) part[i] = (1 - a) * part[i] + a * crop[i]
}

/** Gaussian noise of standard deviation `sigma` added to `part` in place. */
function addNoise(part: Float32Array, rng: Rng, sigma: number): void {
  for (let i = 0; i < part.length; i++) part[i] += sigma * gaussian(rng)
}

/** Split trigger clips for validation: every k-th clip (by a seeded shuffle) is held out. */
export function holdOut<T>(items: readonly T[], fraction: number, seed: number): {train: T[]; held: T[]} {
  const order = shuffled(items, deriveRng('rnn-wake/embedding-holdout', seed))
  const n = items.length < 5 ? 0 : Math.max(1, Math.round(items.length * fraction))
  return {held: order.slice(0, n), train: order.slice(n)}
}

/**
 * A stand-in bank made of the negative examples (train --bank none), joined end to end into one
 * sequence (each without its lead steps): the batches keep their shape, but every "real speech"
 * crop and prefix then comes from the user's own negatives.
 */
export function bankOfExamples(examples: readonly EmbeddedExample[], frontEnd: string): FeatureBank {
  const data = concatFloat32(examples.map((e) => e.data.subarray(Math.min(LEAD_STEPS, e.steps) * EMBEDDING_SIZE)))
  return {bins: EMBEDDING_SIZE, frontEnd, sequences: [{name: 'negatives', frames: data.length / EMBEDDING_SIZE, data}]}
}
