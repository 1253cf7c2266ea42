import {resample} from '../audio/index.js'
import type {Clip, SynthSources} from './clips.js'
import type {ExampleRecord, InsertedClip} from './manifest.js'
import type {Rng} from './rng.js'
import {COURSE_GEOMETRY, type LabelGeometry, endMsOf, exampleSamples, labelRuns, labelsFromEnds} from './synth-labels.js'

/**
 * One training example, the course's `create_training_example`:
 *   1. a 10 s window of a background, lowered by 20 dB;
 *   2. 0..4 trigger clips (drawn with replacement), then 0..2 negative clips,
 *      each at a uniformly random start not overlapping any clip already
 *      placed (a few tries, then the clip is skipped);
 *   3. labels: 50 ones after the end of each trigger;
 *   4. the whole mix normalised to -20 dBFS.
 *
 * Deliberate differences from the course's pydub code, none of which changes
 * what a model learns from it:
 *   - starts are drawn per sample, not per millisecond; the label uses the
 *     millisecond of the clip's last sample, which is the course's
 *     `segment_start + segment_ms - 1`;
 *   - mixing is in floating point with one rounding to int16 at the end
 *     (pydub rounds and saturates after every step);
 *   - if normalising would saturate samples, the gain is raised until the
 *     saturated signal still measures the target level (pydub would leave
 *     such an example quieter than -20 dBFS).
 * Augmentations (off by default, so the default is the course's method) add
 * a per-clip gain or a signal-to-background ratio, and a speed factor
 * applied by resampling (tempo and pitch change together, like tape).
 *
 * Command phrases (only when the sources have some, so the course's method
 * is untouched otherwise): with probability `phraseProb` a trigger is
 * followed by a phrase drawn uniformly from the sources' phrases, its words'
 * clips one after another with `phraseGapMs` of silence before each word.
 * The trigger and its phrase are placed as one block: a random start for the
 * whole block, which must not overlap anything placed before, and nothing
 * placed later may fall inside it (gaps included), so the words stay in
 * order and adjacent. If the block finds no room in `placementTries` tries,
 * the trigger is placed alone (with tries of its own) and the phrase's words
 * are listed as skipped. Labels still come from the triggers' ends only.
 */

/** [low, high] of a uniform draw; low === high fixes the value. */
export type Range = [number, number]

export interface SynthParams extends LabelGeometry {
  /** Gain applied to the background window (the course: -20 dB). */
  backgroundGainDb: number
  /** Level of the finished example in dBFS, 20 log10(rms / 32768) (the course: -20). */
  targetDbfs: number
  /** Triggers per example are uniform in 0..maxTriggers (the course: 4). */
  maxTriggers: number
  /** Negatives per example are uniform in 0..maxNegatives (the course: 2). */
  maxNegatives: number
  /** Random starts tried before a clip is skipped (the course: 1 + 6 retries). */
  placementTries: number
  /** Per-clip gain in dB; null: off (clips keep their recorded level). */
  clipGainDb: Range | null
  /** Clip rms over background-window rms, in dB; null: off. Replaces clipGainDb when set. */
  snrDb: Range | null
  /** Playback speed factor by resampling (> 1 is faster and higher); null: off. */
  speed: Range | null
  /** Probability that a trigger is followed by a command phrase; used only when the sources have phrases. */
  phraseProb: number
  /** Silence before each word of a phrase (after the trigger, then between words), in ms. */
  phraseGapMs: Range
}

export const COURSE_PARAMS: SynthParams = {
  ...COURSE_GEOMETRY,
  backgroundGainDb: -20,
  targetDbfs: -20,
  maxTriggers: 4,
  maxNegatives: 2,
  placementTries: 7,
  clipGainDb: null,
  snrDb: null,
  speed: null,
  // Inert without phrases, so these do not change the course's method.
  phraseProb: 0.5,
  phraseGapMs: [50, 250],
}

export interface SynthExample {
  /** The example as written to its WAV: mono, 44.1 kHz, int16. */
  audio: Int16Array
  /** Ty labels, 0 or 1. */
  labels: Uint8Array
  /** What the manifest records about it (without its index and file name). */
  record: ExampleRecord
}

const dbToGain = (db: number): number => 10 ** (db / 20)
const gainToDb = (g: number): number => 20 * Math.log10(g)

/** A clip drawn and perturbed, not yet placed. */
interface Prepared {
  clip: Clip
  trigger: boolean
  samples: Float64Array
  gainDb: number
  speed: number
}

/** Clips of each word, for drawing a phrase's words; built once per sources object (per worker). */
const clipsByWord = new WeakMap<SynthSources, Map<string, Clip[]>>()

function wordClips(sources: SynthSources): Map<string, Clip[]> {
  let byWord = clipsByWord.get(sources)
  if (!byWord) {
    byWord = new Map()
    for (const c of [...sources.triggers, ...sources.negatives]) {
      const list = byWord.get(c.word)
      if (list) list.push(c)
      else byWord.set(c.word, [c])
    }
    for (const phrase of sources.phrases ?? []) {
      for (const word of phrase) if (!byWord.has(word)) throw new Error(`the phrase "${phrase.join(' ')}" needs clips of "${word}", and the sources have none`)
    }
    clipsByWord.set(sources, byWord)
  }
  return byWord
}

function rmsOf(x: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i]
  return x.length === 0 ? 0 : Math.sqrt(sum / x.length)
}

/**
 * Pure: the same sources, generator state and params always give the same
 * example. The order of random draws is part of the format (changing it
 * changes every dataset): background, window, trigger count, then per
 * trigger (clip, gain, speed, ratio, [with phrases: whether a phrase follows,
 * and if so which, then per word clip, gain, speed, ratio, gap], starts),
 * negative count, then per negative (clip, gain, speed, ratio, starts).
 */
export function synthesizeExample(sources: SynthSources, rng: Rng, params: SynthParams = COURSE_PARAMS): SynthExample {
  const length = exampleSamples(params)
  const mix = new Float64Array(length)

  const bg = sources.backgrounds[rng.int(sources.backgrounds.length)]
  const bgSamples = bg.samples
  const looped = bgSamples.length < length
  // A short background is looped from a random phase so that the seam moves between examples.
  const bgStart = rng.int(looped ? bgSamples.length : bgSamples.length - length + 1)
  const bgGain = dbToGain(params.backgroundGainDb)
  for (let i = 0, j = bgStart; i < length; i++, j++) {
    if (j === bgSamples.length) j = 0
    mix[i] = bgSamples[j] * bgGain
  }
  const bgRms = params.snrDb ? rmsOf(mix) : 0

  const placed: InsertedClip[] = []
  const skipped: Array<{word: string; source: string}> = []
  // Spans taken, gaps inside a trigger + phrase block included, so no later clip lands between its words.
  const occupied: Array<[number, number]> = []
  let groups = 0

  const prepare = (clip: Clip, trigger: boolean): Prepared => {
    let gainDb = params.clipGainDb ? rng.uniform(params.clipGainDb[0], params.clipGainDb[1]) : 0
    const speed = params.speed ? rng.uniform(params.speed[0], params.speed[1]) : 1
    const samples = speed === 1 ? clip.samples : resample(clip.samples, params.sampleRate * speed, params.sampleRate)
    if (params.snrDb) {
      const ratio = rng.uniform(params.snrDb[0], params.snrDb[1])
      const clipRms = speed === 1 ? clip.rms : rmsOf(samples)
      // A silent clip or background has no ratio to set; it keeps its level.
      gainDb = clipRms > 0 && bgRms > 0 ? ratio - gainToDb(clipRms / bgRms) : 0
    }
    return {clip, trigger, samples, gainDb, speed}
  }

  /** Place `block` (with gaps[i] samples after block[i]) at one random free start, or return false. */
  const place = (block: Prepared[], gaps: number[], phrase?: number): boolean => {
    let span = 0
    for (const [i, p] of block.entries()) span += p.samples.length + (i < block.length - 1 ? gaps[i] : 0)
    // A block as long as the example has no start; a lone clip never is (loadSources checks).
    if (span >= length) return false
    for (let t = 0; t < params.placementTries; t++) {
      const start = rng.int(length - span)
      const end = start + span
      if (occupied.some(([s, e]) => start < e && s < end)) continue
      occupied.push([start, end])
      const group = phrase === undefined ? undefined : groups++
      let at = start
      for (const [i, p] of block.entries()) {
        const n = p.samples.length
        const g = dbToGain(p.gainDb)
        for (let k = 0; k < n; k++) mix[at + k] += p.samples[k] * g
        const c: InsertedClip = {word: p.clip.word, trigger: p.trigger, source: p.clip.source, start: at, end: at + n, endMs: endMsOf(at + n, params.sampleRate), gainDb: p.gainDb, speed: p.speed}
        if (group !== undefined) {
          c.group = group
          c.phrase = phrase
        }
        placed.push(c)
        at += n + (gaps[i] ?? 0)
      }
      return true
    }
    return false
  }

  const skip = (p: Prepared): void => {
    skipped.push({word: p.clip.word, source: p.clip.source})
  }

  const phrases = sources.phrases ?? []
  const byWord = phrases.length > 0 ? wordClips(sources) : undefined
  const nTriggers = rng.int(params.maxTriggers + 1)
  for (let k = 0; k < nTriggers; k++) {
    const trigger = prepare(sources.triggers[rng.int(sources.triggers.length)], true)
    if (byWord && rng.next() < params.phraseProb) {
      const index = rng.int(phrases.length)
      const block = [trigger]
      const gaps: number[] = []
      for (const word of phrases[index]) {
        const clips = byWord.get(word)!
        block.push(prepare(clips[rng.int(clips.length)], false))
        gaps.push(Math.round((rng.uniform(params.phraseGapMs[0], params.phraseGapMs[1]) * params.sampleRate) / 1000))
      }
      if (place(block, gaps, index)) continue
      block.slice(1).forEach(skip)
    }
    if (!place([trigger], [])) skip(trigger)
  }
  const nNegatives = rng.int(params.maxNegatives + 1)
  for (let k = 0; k < nNegatives; k++) {
    const negative = prepare(sources.negatives[rng.int(sources.negatives.length)], false)
    if (!place([negative], [])) skip(negative)
  }

  const labels = labelsFromEnds(
    placed.filter((p) => p.trigger).map((p) => p.endMs),
    params,
  )
  const {audio, gainDb, dbfs} = normalize(mix, params.targetDbfs)
  const clips = placed.sort((a, b) => a.start - b.start)
  // Number the blocks in time order, as a reader meets them.
  const renumber = new Map<number, number>()
  for (const c of clips) {
    if (c.group === undefined) continue
    if (!renumber.has(c.group)) renumber.set(c.group, renumber.size)
    c.group = renumber.get(c.group)
  }
  return {
    audio,
    labels,
    record: {
      background: {source: bg.source, start: bgStart, looped, gainDb: params.backgroundGainDb},
      clips,
      skipped,
      transcript: clips.map((c) => c.word),
      labelRuns: labelRuns(labels),
      gainDb,
      dbfs,
    },
  }
}

/**
 * The gain g at which x * g, saturated to int16, has rms `target`.
 * Only the few samples that can saturate are sorted: with their prefix sums
 * of squares the level at any g costs a binary search, not a pass over the
 * 441,000 samples (a pass per iteration was most of the synthesis time).
 */
function saturatingGain(x: Float64Array, target: number, g0: number): number {
  let total = 0
  for (let i = 0; i < x.length; i++) total += x[i] * x[i]
  // Raising the gain by more than 6 dB is rare; a wider net only when needed keeps the sort small.
  for (let reach = 2; ; reach *= 4) {
    const threshold = 32767 / (g0 * reach)
    let count = 0
    for (let i = 0; i < x.length; i++) if (Math.abs(x[i]) > threshold) count++
    const sorted = new Float64Array(count)
    for (let i = 0, k = 0; i < x.length; i++) {
      const a = Math.abs(x[i])
      if (a > threshold) sorted[k++] = a
    }
    sorted.sort().reverse()
    const prefix = new Float64Array(sorted.length + 1)
    for (let i = 0; i < sorted.length; i++) prefix[i + 1] = prefix[i] + sorted[i] * sorted[i]
    let g = g0
    for (let iteration = 0; iteration < 500; iteration++) {
      const limit = 32767 / g
      let lo = 0
      let hi = sorted.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (sorted[mid] > limit) lo = mid + 1
        else hi = mid
      }
      const level = Math.sqrt((g * g * (total - prefix[lo]) + 32767 * 32767 * lo) / x.length)
      if (Math.abs(level / target - 1) < 1e-7) break
      // level(g) / g only falls as g grows, so this climbs monotonically to the answer.
      g *= target / level
    }
    // Every sample that saturates at g was among the candidates, so the level computed was exact.
    if (g <= g0 * reach || sorted.length === x.length) return g
  }
}

/**
 * pydub's `match_target_amplitude`: one gain bringing the mix to `targetDbfs`.
 * When that gain saturates peaks, the saturated signal is quieter than asked
 * (the course's own train_reference.wav measures -21.07 dBFS with 870
 * saturated samples), so the gain is raised until what is written measures
 * the target.
 */
export function normalize(mix: Float64Array, targetDbfs: number): {audio: Int16Array; gainDb: number; dbfs: number | null} {
  let sumSq = 0
  let peak = 0
  for (let i = 0; i < mix.length; i++) {
    const a = Math.abs(mix[i])
    sumSq += a * a
    if (a > peak) peak = a
  }
  const rms = Math.sqrt(sumSq / mix.length)
  const audio = new Int16Array(mix.length)
  if (rms === 0) return {audio, gainDb: 0, dbfs: null}
  const target = 32768 * dbToGain(targetDbfs)
  let g = target / rms
  if (peak * g > 32767) g = saturatingGain(mix, target, g)
  let sum = 0
  for (let i = 0; i < mix.length; i++) {
    // Round half up (as Math.round) and saturate; truncation plus a fix-up for negatives is much cheaper than Math.round here.
    const y = mix[i] * g + 0.5
    let v: number
    if (y >= 32767) v = 32767
    else if (y < -32768) v = -32768
    else {
      v = y | 0
      if (v > y) v--
    }
    audio[i] = v
    sum += v * v
  }
  const written = Math.sqrt(sum / mix.length)
  return {audio, gainDb: gainToDb(g), dbfs: written > 0 ? gainToDb(written / 32768) : null}
}
