import init, {type ESpeakNGModule, type ESpeakNGWorker} from '@echogarden/espeak-ng-emscripten'

import {SAMPLE_RATE, resample} from '../audio/index.js'
import {UserError} from '../util/errors.js'
import {lazyShared} from '../util/lazy.js'
import {deriveRng, type Rng, shuffled} from './rng.js'
import {commonWordsExcept, confusableWords, normalizeWord} from './wordlists.js'

/**
 * Word clips from the espeak-ng synthesizer compiled to WebAssembly
 * (@echogarden/espeak-ng-emscripten, GPL-3.0): fully offline, in process.
 *
 * A clip is one text spoken by one English voice (an accent such as en-us or
 * en-gb-scotland) with one variant (a speaker: f3, m1, klatt, whisper, ...) at
 * one rate and pitch, resampled from espeak's 22.05 kHz to 44.1 kHz and
 * trimmed of leading and trailing silence.
 *
 * Determinism. espeak-ng keeps state between calls (the C rand() that drives
 * breath noise and pitch flutter, filter memories), so the same text said
 * twice on one instance differs (in length too, by a few samples), and
 * espeak_Initialize seeds rand() from the wall clock, so two processes differ
 * as well. A new worker on the same module does not reset that state, and a
 * new module per clip costs 0.3-0.45 s (measured here), 60-90 s for 200 clips.
 * Instead the engine is built once with the clock held fixed, its whole wasm
 * memory (17 MB) is copied, and the copy is written back before every clip
 * (2-4 ms): each clip is rendered from the state of a freshly built engine, so
 * its bytes depend only on its own settings, not on the clips before it, the
 * process or the time of day. Two details keep that restore sound: the
 * binding's string buffer is allocated before the copy (MAX_TEXT_BYTES), and
 * memory grown later is zeroed.
 */

const VARIANT_DIR = '/usr/share/espeak-ng-data/voices/!v'
/**
 * Longest text (UTF-8 bytes) a clip may have. The binding copies string
 * arguments into a buffer it malloc()s inside wasm memory and remembers on the
 * JavaScript side; a longer string makes it malloc/free outside that buffer,
 * which restoring the memory snapshot would then silently undo (a use after
 * free). The buffer is grown past this size before the snapshot is taken.
 */
export const MAX_TEXT_BYTES = 2000
/** No voice has this name (set_voice only fails), but the binding must make room for it. */
const STRING_BUFFER_WARMUP = 'x'.repeat(4096)
/** The clock espeak sees while it seeds rand(); any constant works, it only has to be the same every time. */
const FIXED_CLOCK_MS = 0

/**
 * espeak's amplitude, 0..200 (its default is 100). At 100 about one clip in
 * ten (the loud variants: Gene, iven, Jacky, ...) saturates inside espeak;
 * at 50 about one in three hundred does, and the median peak is -10 dBFS.
 */
export const ESPEAK_VOLUME = 50

export const RATE_LIMITS = {min: 80, max: 450} as const
export const PITCH_LIMITS = {min: 0, max: 100} as const
export const DEFAULT_RATE_RANGE: Range = [120, 220]
export const DEFAULT_PITCH_RANGE: Range = [30, 80]

/** Inclusive integer range [lo, hi]. */
export type Range = readonly [number, number]

/** What the embedded espeak-ng data offers for English. */
export interface VoiceCatalog {
  /** English voices (accents), lower case as espeak-ng's -v takes them: en, en-029, en-gb-scotland, en-us, ... */
  voices: string[]
  /** Variants (speaker characteristics), as their files are named: Alex, f1..f5, m1..m8, klatt, whisper, ... */
  variants: string[]
}

/**
 * The synthesizers `rnn-wake tts --engine` can speak with: espeak-ng (this
 * file), SVOX Pico (tts-svox.ts) and GnuSpeech (tts-gnuspeech.ts).
 */
export const ENGINE_NAMES = ['espeak', 'svox', 'gnuspeech'] as const
export type EngineName = (typeof ENGINE_NAMES)[number]

export interface VoiceChoice {
  /** Absent means espeak (espeak-only plans stay as they were before there were other engines). */
  engine?: EngineName
  /** espeak: an accent (en-us); svox: en-US or en-GB; gnuspeech: male, female, large_child, small_child or baby. */
  voice: string
  /** espeak's speaker variant (f3, m1, klatt, ...); '' for the other engines. */
  variant: string
}

/** Everything that decides a clip's sound. */
export interface ClipSettings extends VoiceChoice {
  text: string
  /** espeak: words per minute; svox, gnuspeech: speaking rate in % of the voice's own. */
  rate: number
  /** espeak: base pitch, 0..100 (50 = the variant's own); svox, gnuspeech: pitch in % of the voice's own. */
  pitch: number
  /** svox, gnuspeech only: vocal tract length in % of the voice's own (over 100: a larger speaker, lower formants). */
  tract?: number
}

/** Anything that turns clip settings into a clip: one engine, or several behind a dispatcher. */
export interface Speaker {
  speak(settings: ClipSettings, trim?: TrimOptions | false): SpokenClip
}

/** The engine a clip or voice belongs to. */
export function engineOf(choice: VoiceChoice): EngineName {
  return choice.engine ?? 'espeak'
}

/**
 * What svox and gnuspeech clips vary, drawn uniformly per clip (whole
 * numbers, in % of the voice's own): the speaking rate, the pitch and the
 * vocal tract length. espeak's own rate and pitch come from --rate-range and
 * --pitch-range instead. SVOX Pico has two adult female voices, so its pitch
 * and tract reach further down (70 % pitch with a 112 % tract is a low,
 * larger voice); GnuSpeech's voice types already span man to baby.
 */
export const ENGINE_RANGES: Record<Exclude<EngineName, 'espeak'>, {rate: Range; pitch: Range; tract: Range}> = {
  svox: {rate: [80, 125], pitch: [70, 125], tract: [94, 112]},
  gnuspeech: {rate: [80, 125], pitch: [85, 120], tract: [94, 106]},
}

export interface SpokenClip extends ClipSettings {
  /** Mono, 44.1 kHz, int16 units, trimmed. */
  samples: Float64Array
  /** Seconds. */
  duration: number
}

export interface TrimOptions {
  /** A 5 ms frame counts as sound when its energy is within this many dB of the loudest frame's (default -40). */
  thresholdDb?: number
  /** Frame length for the energy measure, ms (default 5). */
  frameMs?: number
  /** Kept before the first and after the last sounding frame, ms (default 10). */
  marginMs?: number
  /** Linear fade over at most this much of each kept margin, ms (default 5), so a cut in a quiet tail does not click. */
  fadeMs?: number
}

/**
 * Cut leading and trailing silence: find the first and last 5 ms frame whose
 * energy is within 40 dB of the loudest frame's and keep 10 ms beyond each.
 * A threshold relative to the clip's own peak works for quiet (whisper) and
 * loud variants alike; the margin keeps soft onsets and released stops.
 * Returns a copy; an all-zero input gives an empty array.
 */
export function trimSilence(samples: Float64Array, sampleRate: number = SAMPLE_RATE, options: TrimOptions = {}): Float64Array {
  const thresholdDb = options.thresholdDb ?? -40
  const frame = Math.max(1, Math.round(((options.frameMs ?? 5) * sampleRate) / 1000))
  const margin = Math.round(((options.marginMs ?? 10) * sampleRate) / 1000)
  const fade = Math.round(((options.fadeMs ?? 5) * sampleRate) / 1000)
  const frames = Math.ceil(samples.length / frame)
  const energy = new Float64Array(frames)
  let peak = 0
  for (let f = 0; f < frames; f++) {
    const end = Math.min(samples.length, (f + 1) * frame)
    let sum = 0
    for (let i = f * frame; i < end; i++) sum += samples[i] * samples[i]
    energy[f] = sum / (end - f * frame)
    if (energy[f] > peak) peak = energy[f]
  }
  if (peak === 0) return new Float64Array(0)
  const floor = peak * 10 ** (thresholdDb / 10)
  let first = 0
  while (energy[first] < floor) first++
  let last = frames - 1
  while (energy[last] < floor) last--
  const soundStart = first * frame
  const soundEnd = Math.min(samples.length, (last + 1) * frame)
  const start = Math.max(0, soundStart - margin)
  const end = Math.min(samples.length, soundEnd + margin)
  const out = samples.slice(start, end)
  // Fade only inside the kept margins: espeak often starts speech at sample 0, and that onset must stay intact.
  const fadeIn = Math.min(fade, soundStart - start)
  for (let i = 0; i < fadeIn; i++) out[i] *= (i + 0.5) / fadeIn
  const fadeOut = Math.min(fade, end - soundEnd)
  for (let i = 0; i < fadeOut; i++) out[out.length - 1 - i] *= (i + 0.5) / fadeOut
  return out
}

/** One espeak-ng instance that renders every clip from the same starting state (see the file comment). */
export class EspeakEngine implements Speaker {
  private constructor(
    private readonly module: ESpeakNGModule,
    private readonly worker: ESpeakNGWorker,
    private readonly snapshot: Uint8Array,
    readonly catalog: VoiceCatalog,
    /** espeak's output rate (22050). */
    readonly nativeRate: number,
  ) {}

  static async create(): Promise<EspeakEngine> {
    const module = await init()
    return withFixedClock(() => EspeakEngine.setUp(module))
  }

  private static setUp(module: ESpeakNGModule): EspeakEngine {
    const worker = new module.eSpeakNGWorker()
    const voices = worker
      .list_voices()
      .filter((v) => v.languages.some((l) => l.name === 'en' || l.name.startsWith('en-')))
      .map((v) => v.identifier.slice(v.identifier.lastIndexOf('/') + 1).toLowerCase())
      .sort(byName)
    const variants = module.FS.readdir(VARIANT_DIR)
      .filter((name) => !name.startsWith('.'))
      .sort(byName)
    const nativeRate = worker.get_samplerate()
    // A long string makes the binding note the size it needs; its next call frees and re-mallocs its string
    // buffer at that size. Both happen before the snapshot, so the buffer is allocated in the restored state too.
    worker.set_voice(STRING_BUFFER_WARMUP)
    if (worker.set_voice('en-us') !== 0) throw new Error('espeak-ng has no en-us voice')
    return new EspeakEngine(module, worker, module.HEAPU8.slice(), {voices, variants}, nativeRate)
  }

  /** The raw espeak output for `settings` (int16 at nativeRate), from the pristine engine state. */
  renderNative(settings: ClipSettings): Int16Array {
    return withFixedClock(() => this.renderFromSnapshot(settings))
  }

  private renderFromSnapshot(settings: ClipSettings): Int16Array {
    const heap = this.module.HEAPU8
    heap.set(this.snapshot)
    // Memory grown since the snapshot must look as a fresh instance's would: zero (allocators rely on it).
    if (heap.length > this.snapshot.length) heap.fill(0, this.snapshot.length)
    const name = `${settings.voice}+${settings.variant}`
    if (this.worker.set_voice(name) !== 0) throw new Error(`espeak-ng rejected voice ${name}`)
    this.worker.set_rate(settings.rate)
    this.worker.set_pitch(settings.pitch)
    this.worker.set_volume(ESPEAK_VOLUME)
    const chunks: Int16Array[] = []
    let total = 0
    this.worker.synthesize(settings.text, (chunk) => {
      chunks.push(chunk)
      total += chunk.length
      return false
    })
    const out = new Int16Array(total)
    let offset = 0
    for (const chunk of chunks) {
      out.set(chunk, offset)
      offset += chunk.length
    }
    return out
  }

  /** One clip at 44.1 kHz, trimmed; throws a UserError if espeak made no sound (e.g. text of only punctuation). */
  speak(settings: ClipSettings, trim: TrimOptions | false = {}): SpokenClip {
    checkSettings(settings, this.catalog)
    const native = this.renderNative(settings)
    const upsampled = resample(Float64Array.from(native), this.nativeRate, SAMPLE_RATE)
    const samples = trim === false ? upsampled : trimSilence(upsampled, SAMPLE_RATE, trim)
    if (samples.length === 0) throw new UserError(`espeak-ng produced no sound for "${settings.text}"`, 'usage')
    return {...settings, samples, duration: samples.length / SAMPLE_RATE}
  }
}

/**
 * Run `fn` (synchronous, so no other code sees the change) with Date.now
 * frozen. espeak_Initialize seeds rand() with time(NULL) and espeak stores
 * wall-clock timestamps in its state; emscripten answers both from Date.now.
 */
function withFixedClock<T>(fn: () => T): T {
  const realNow = Date.now
  Date.now = () => FIXED_CLOCK_MS
  try {
    return fn()
  } finally {
    Date.now = realNow
  }
}

/** The process-wide engine (created on first use, ~0.2-0.4 s). */
export const getEngine: () => Promise<EspeakEngine> = lazyShared(() => EspeakEngine.create())

export async function listVoices(): Promise<VoiceCatalog> {
  const {catalog} = await getEngine()
  return {voices: [...catalog.voices], variants: [...catalog.variants]}
}

/** One word (or phrase) as a 44.1 kHz clip in int16 units, trimmed unless `trim` is false. */
export async function synthesizeWord(text: string, settings: VoiceChoice & {rate?: number; pitch?: number}, trim: TrimOptions | false = {}): Promise<Float64Array> {
  const engine = await getEngine()
  return engine.speak({text, voice: settings.voice, variant: settings.variant, rate: settings.rate ?? 175, pitch: settings.pitch ?? 50}, trim).samples
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function validNames(catalog: VoiceCatalog): string {
  return `voices: ${catalog.voices.join(', ')}; variants: ${catalog.variants.join(', ')}; or a pair such as ${catalog.voices.includes('en-us') ? 'en-us' : catalog.voices[0]}+${catalog.variants[0]}`
}

function checkSettings(s: ClipSettings, catalog: VoiceCatalog): void {
  checkText(s.text)
  if (engineOf(s) !== 'espeak') throw new Error(`espeak-ng cannot speak a ${engineOf(s)} clip`)
  if (!catalog.voices.includes(s.voice)) throw new UserError(`Unknown voice "${s.voice}" (${validNames(catalog)})`, 'usage')
  if (!catalog.variants.includes(s.variant)) throw new UserError(`Unknown variant "${s.variant}" (${validNames(catalog)})`, 'usage')
  checkRange([s.rate, s.rate], 'rate', RATE_LIMITS)
  checkRange([s.pitch, s.pitch], 'pitch', PITCH_LIMITS)
}

/** Checks shared by the engines whose rate, pitch and tract are % of the voice's own. */
export function checkEngineSettings(s: ClipSettings, engine: Exclude<EngineName, 'espeak'>, catalog: VoiceCatalog): void {
  checkText(s.text)
  if (engineOf(s) !== engine) throw new Error(`${engine} cannot speak a ${engineOf(s)} clip`)
  if (!catalog.voices.includes(s.voice)) throw new UserError(`Unknown ${engine} voice "${s.voice}" (${engine} voices: ${catalog.voices.join(', ')})`, 'usage')
  const ranges = ENGINE_RANGES[engine]
  const within = (value: number | undefined, range: Range): boolean => value !== undefined && Number.isInteger(value) && value >= range[0] && value <= range[1]
  if (!within(s.rate, ranges.rate) || !within(s.pitch, ranges.pitch) || !within(s.tract, ranges.tract)) {
    throw new UserError(`${engine} clip settings out of range (rate ${s.rate}, pitch ${s.pitch}, tract ${s.tract}): rate ${ranges.rate.join('..')}, pitch ${ranges.pitch.join('..')}, tract ${ranges.tract.join('..')} (% of the voice's own)`, 'usage')
  }
}

export function checkText(text: string): void {
  if (text.trim().length === 0) throw new UserError('Cannot speak an empty word: give the text to say, e.g. "activate"', 'usage')
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > MAX_TEXT_BYTES) throw new UserError(`The text "${text.slice(0, 40)}..." is too long for a word clip (${bytes} bytes, at most ${MAX_TEXT_BYTES})`, 'usage')
}

export function checkRange(range: Range, what: 'rate' | 'pitch', limits: {min: number; max: number}): void {
  const [lo, hi] = range
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi || lo < limits.min || hi > limits.max) {
    const shown = lo === hi ? String(lo) : `${lo}:${hi}`
    throw new UserError(`The ${what} ${shown} is out of range: use whole numbers ${limits.min}..${limits.max}${lo === hi ? '' : ', low:high with low <= high'}`, 'usage')
  }
}

/** Parse "120:220" (or "150" for a fixed value) into an inclusive range. */
export function parseRange(text: string, what: 'rate' | 'pitch'): Range {
  const m = /^\s*(-?\d+)\s*(?::\s*(-?\d+)\s*)?$/.exec(text)
  if (!m) throw new UserError(`Cannot read the ${what} range "${text}": expected low:high, e.g. ${what === 'rate' ? '120:220' : '30:80'}`, 'usage')
  const lo = Number(m[1])
  const range: Range = [lo, m[2] === undefined ? lo : Number(m[2])]
  checkRange(range, what, what === 'rate' ? RATE_LIMITS : PITCH_LIMITS)
  return range
}

type VoiceName = {kind: 'voice'; voice: string} | {kind: 'variant'; variant: string} | {kind: 'pair'; voice: string; variant: string}

function resolveName(raw: string, catalog: VoiceCatalog): VoiceName {
  const name = raw.trim()
  const findVoice = (n: string): string | undefined => catalog.voices.find((v) => v === n.toLowerCase())
  // Variant files are mixed case (Alex, f3); matching ignores case, and no two differ only in case.
  const findVariant = (n: string): string | undefined => catalog.variants.find((v) => v.toLowerCase() === n.toLowerCase())
  const plus = name.indexOf('+')
  if (plus >= 0) {
    const voice = findVoice(name.slice(0, plus))
    const variant = findVariant(name.slice(plus + 1))
    if (voice && variant) return {kind: 'pair', voice, variant}
  } else {
    const voice = findVoice(name)
    if (voice) return {kind: 'voice', voice}
    const variant = findVariant(name)
    if (variant) return {kind: 'variant', variant}
  }
  throw new UserError(`Unknown voice "${name}" (${validNames(catalog)})`, 'usage')
}

/**
 * The (voice, variant) pairs clips are drawn from. Each name in `include` or
 * `exclude` is a voice (en-us: that accent with every variant), a variant (f3:
 * that speaker in every accent) or a pair (en-us+f3).
 *
 * Include: with no names, every pair; otherwise a pair is in when its voice is
 * among the named voices (or none was named) and its variant among the named
 * variants (or none was named), or when it is named as a pair. So "en-us,en-gb-x-rp"
 * keeps two accents, "f1,f2" two speakers, "en-us,f1" one pair.
 * Exclude: a pair is out when its voice, its variant or the pair itself is named.
 */
export function selectVoices(catalog: VoiceCatalog, include: readonly string[] = [], exclude: readonly string[] = []): VoiceChoice[] {
  const inc = include.filter((n) => n.trim() !== '').map((n) => resolveName(n, catalog))
  const exc = exclude.filter((n) => n.trim() !== '').map((n) => resolveName(n, catalog))
  const incVoices = new Set(inc.flatMap((n) => (n.kind === 'voice' ? [n.voice] : [])))
  const incVariants = new Set(inc.flatMap((n) => (n.kind === 'variant' ? [n.variant] : [])))
  const incPairs = new Set(inc.flatMap((n) => (n.kind === 'pair' ? [`${n.voice}+${n.variant}`] : [])))
  const crossFilter = inc.length === 0 || incVoices.size > 0 || incVariants.size > 0
  const pool: VoiceChoice[] = []
  for (const voice of catalog.voices) {
    for (const variant of catalog.variants) {
      const pair = `${voice}+${variant}`
      const crossed = crossFilter && (incVoices.size === 0 || incVoices.has(voice)) && (incVariants.size === 0 || incVariants.has(variant))
      if (!crossed && !incPairs.has(pair)) continue
      const out = exc.some((n) => (n.kind === 'voice' ? n.voice === voice : n.kind === 'variant' ? n.variant === variant : n.voice === voice && n.variant === variant))
      if (!out) pool.push({voice, variant})
    }
  }
  if (pool.length === 0) throw new UserError('No voice left: --voices and --exclude-voices together rule out every voice', 'usage')
  return pool
}

export interface PlanOptions {
  /** Default 0. */
  seed?: number
  /** Default DEFAULT_RATE_RANGE (120:220 words per minute). */
  rateRange?: Range
  /** Default DEFAULT_PITCH_RANGE (30:80). */
  pitchRange?: Range
}

/**
 * Settings for one clip per entry of `texts`. When the pool holds several
 * engines they take turns: each round of clips gives every engine one, in a
 * shuffled order (so with --negatives-for no engine is tied to the
 * confusable or the common words). Within an engine, voices are dealt from a
 * shuffled deck of its pool, reshuffled when it runs out, so N clips use N
 * different voices before any repeats; rate and pitch (and for svox and
 * gnuspeech the tract) are uniform in their ranges. `stream` names the random
 * stream (a word's clips use the word), so one word's clips do not change
 * when other words are added to the same run. An espeak-only pool draws
 * exactly what it drew before there were other engines.
 */
export function planClips(texts: readonly string[], pool: readonly VoiceChoice[], stream: string, options: PlanOptions = {}): ClipSettings[] {
  const rateRange = options.rateRange ?? DEFAULT_RATE_RANGE
  const pitchRange = options.pitchRange ?? DEFAULT_PITCH_RANGE
  checkRange(rateRange, 'rate', RATE_LIMITS)
  checkRange(pitchRange, 'pitch', PITCH_LIMITS)
  if (pool.length === 0) throw new UserError('No voice to speak with', 'usage')
  const rng = deriveRng('rnn-wake/tts', options.seed ?? 0, stream)
  const draw = (range: Range): number => range[0] + rng.int(range[1] - range[0] + 1)
  const engines = ENGINE_NAMES.filter((e) => pool.some((c) => engineOf(c) === e))
  let turns: EngineName[] = []
  const decks = new Map<EngineName, VoiceChoice[]>()
  return texts.map((text) => {
    checkText(text)
    if (turns.length === 0) turns = engines.length === 1 ? [...engines] : shuffled(engines, rng)
    const engine = turns.pop()!
    let deck = decks.get(engine) ?? []
    if (deck.length === 0) decks.set(engine, (deck = shuffled(pool.filter((c) => engineOf(c) === engine), rng)))
    const {voice, variant} = deck.pop()!
    if (engine === 'espeak') {
      const rate = draw(rateRange)
      const pitch = draw(pitchRange)
      return {text: text.trim(), voice, variant, rate, pitch}
    }
    const ranges = ENGINE_RANGES[engine]
    const rate = draw(ranges.rate)
    const pitch = draw(ranges.pitch)
    const tract = draw(ranges.tract)
    return {text: text.trim(), engine, voice, variant, rate, pitch, tract}
  })
}

export function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new UserError(`The clip count must be a whole number of at least 1 (got ${count})`, 'usage')
}

/** `count` clips of `word`. */
export function planWord(word: string, count: number, pool: readonly VoiceChoice[], options: PlanOptions = {}): ClipSettings[] {
  checkText(word)
  checkCount(count)
  return planClips(new Array<string>(count).fill(word), pool, normalizeWord(word), options)
}

/**
 * The words `planNegatives` speaks for `trigger`: its confusable words
 * (hard negatives) and the common words, in a seeded order, minus both the
 * trigger and the confusables.
 */
export function negativeWords(trigger: string, seed = 0): {confusable: string[]; common: string[]} {
  checkText(trigger)
  const confusable = confusableWords(trigger)
  const common = shuffled(commonWordsExcept([trigger, ...confusable]), deriveRng('rnn-wake/tts-negatives', seed, normalizeWord(trigger)))
  return {confusable, common}
}

/**
 * `count` clips of words that are not `trigger`: every other clip is a
 * confusable word (taken in turn, so each gets about count/2/n clips), the
 * rest are common words in a seeded order (each once before any repeats).
 * Half and half: hard negatives are what cut false accepts, common words
 * what keep the detector from firing on speech in general.
 */
export function planNegatives(trigger: string, count: number, pool: readonly VoiceChoice[], options: PlanOptions = {}): ClipSettings[] {
  checkCount(count)
  const {confusable, common} = negativeWords(trigger, options.seed ?? 0)
  const texts: string[] = []
  let c = 0
  let w = 0
  for (let i = 0; i < count; i++) {
    if (confusable.length > 0 && (i % 2 === 0 || common.length === 0)) texts.push(confusable[c++ % confusable.length])
    else texts.push(common[w++ % common.length])
  }
  return planClips(texts, pool, `negatives:${normalizeWord(trigger)}`, options)
}

export interface GenerateOptions extends PlanOptions {
  /** Clips per word. */
  count: number
  /** Include filter (see selectVoices). */
  voices?: readonly string[]
  excludeVoices?: readonly string[]
  trim?: TrimOptions | false
}

/**
 * `count` clips of each word, in memory, grouped by word in the order given.
 * Same words, options and seed give the same samples. For large sets write
 * them out as they are made with writeTtsClips (src/dataset/tts-output.ts).
 */
export async function generateClips(words: readonly string[], options: GenerateOptions): Promise<SpokenClip[]> {
  if (words.length === 0) throw new UserError('No word to speak', 'usage')
  const engine = await getEngine()
  const pool = selectVoices(engine.catalog, options.voices, options.excludeVoices)
  const plans = words.flatMap((word) => planWord(word, options.count, pool, options))
  return plans.map((plan) => engine.speak(plan, options.trim ?? {}))
}
