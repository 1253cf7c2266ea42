import {type AugmentName, augmentPower} from '../features/augment.js'
import {type FeatureConfig, type Features, powerSpectrogram} from '../features/featurize.js'
import {transformBins, transformFeatures} from '../features/transform.js'
import {PowerSpectrum, frameCount} from '../features/spectrogram.js'
import {type Rng} from '../dataset/rng.js'
import {type LabelGeometry, insertOnes} from '../dataset/synth-labels.js'
import {type ModelPreset, outputSteps} from '../model/presets.js'

/**
 * Turning an example's audio and trigger end times into what the network
 * trains on: features (frames x bins) and one label per output step of
 * *this* preset. Labels are recomputed from the end times rather than read
 * from labels.npy, because a preset with another conv stride has another Ty.
 */

/** The label grid of `preset` over examples of `durationMs`. */
export function presetGeometry(preset: ModelPreset, features: FeatureConfig, durationMs = 10_000): LabelGeometry {
  const samples = Math.round((durationMs * features.sampleRate) / 1000)
  const ty = outputSteps(preset, frameCount(samples, features.spectrogram))
  // The course marks 50 steps of stride 4 (~0.36 s); keep that duration at any stride.
  const labelSteps = Math.max(1, Math.round((50 * 4) / preset.conv.strides))
  return {sampleRate: features.sampleRate, durationMs, ty, labelSteps}
}

export function labelsFor(endsMs: readonly number[], g: LabelGeometry): Uint8Array {
  const y = new Uint8Array(g.ty)
  for (const endMs of endsMs) insertOnes(y, endMs, g)
  return y
}

/** A word placed in an example's audio, in ms from its start: the source of CTC targets. */
export interface TimedWord {
  word: string
  startMs: number
  endMs: number
  /** Whether this placement is the trigger (labelled), as opposed to another word. */
  trigger?: boolean
}

/**
 * The words a crop of [startMs, endMs) holds completely, in time order. A
 * word cut by either edge is dropped from the target (its audio stays in the
 * crop): asking for a word the crop only half holds would teach the head to
 * emit it from a fragment, and leaving it out costs little, since crops are
 * redrawn every epoch and mostly cut silence or background.
 */
export function wordsInside(words: readonly TimedWord[], startMs: number, endMs: number): string[] {
  return timedWordsInside(words, startMs, endMs).map((w) => w.word)
}

function timedWordsInside(words: readonly TimedWord[], startMs: number, endMs: number): TimedWord[] {
  return words.filter((w) => w.startMs >= startMs && w.endMs <= endMs)
}

/** The output step (of the whole example's grid) in which a word ends, as the trigger labels count it. */
function endStepOf(endMs: number, g: LabelGeometry): number {
  return Math.floor((endMs * g.ty) / g.durationMs)
}

/** One training or validation example, ready to batch. */
export interface TrainExample {
  /** frames x bins, frame-major. */
  features: Float32Array
  frames: number
  /** One 0/1 per output step of the preset over these frames. */
  labels: Uint8Array
  /** Trigger end times in seconds from the start of these frames. */
  truthsSec: number[]
  /** The words these frames hold completely, in time order (see wordsInside); absent when the source has no word times. */
  transcript?: string[]
  /** For each transcript word, the output step (from the start of these frames) in which it ends. */
  wordEndSteps?: number[]
  /** For each transcript word, the output step in which it starts (character-unit alignment spreads its letters over start..end). */
  wordStartSteps?: number[]
  /**
   * 1 on the negative steps where the trigger's labels would be had another
   * word been the trigger (the labelSteps after each non-trigger word's end,
   * where the labels are 0): where a detector that confuses the two fires.
   */
  hardNegatives?: Uint8Array
}

/** See TrainExample.hardNegatives; `offset` is the crop's first step in the whole example. */
function hardNegativeMask(words: readonly TimedWord[], labels: Uint8Array, g: LabelGeometry, offset: number): Uint8Array | undefined {
  const others = words.filter((w) => w.trigger === false)
  if (others.length === 0) return undefined
  const mask = new Uint8Array(labels.length)
  for (const w of others) {
    const end = endStepOf(w.endMs, g) - offset
    for (let t = Math.max(0, end + 1); t < Math.min(labels.length, end + 1 + g.labelSteps); t++) if (!labels[t]) mask[t] = 1
  }
  return mask
}

export interface CropOptions {
  /** Spectrogram frames per crop; null: the whole example. */
  frames: number | null
  /** Probability that a crop is placed around a trigger's labels when the example has one. */
  aroundLabels: number
}

/**
 * Featurize `audio` (or a crop of it) and label it. A crop starts on a
 * multiple of the conv stride, so its output steps are exactly a run of the
 * whole example's steps, and only its own samples are transformed.
 */
export function makeExample(
  audio: Int16Array | Float64Array,
  endsMs: readonly number[],
  preset: ModelPreset,
  features: FeatureConfig,
  g: LabelGeometry,
  crop: CropOptions,
  rng: Rng,
  power = new PowerSpectrum(features.spectrogram),
  words?: readonly TimedWord[],
  augment?: {names: readonly AugmentName[]; rng: Rng},
): TrainExample {
  const featurize = (samples: Int16Array | Float64Array, config: FeatureConfig, p: PowerSpectrum): Features => {
    const spec = powerSpectrogram(samples, config, p)
    if (augment) augmentPower(spec.data, spec.frames, spec.bins, augment.names, augment.rng, {sampleRate: config.sampleRate, nfft: config.spectrogram.nfft, hop: config.spectrogram.hop})
    return {data: transformFeatures(spec.data, config.transform, spec.bins), frames: spec.frames, bins: transformBins(config.transform, spec.bins)}
  }
  const full = labelsFor(endsMs, g)
  const totalFrames = frameCount(audio.length, features.spectrogram)
  const {hop, nfft} = features.spectrogram
  const stride = preset.conv.strides
  const stepSec = (hop * stride) / features.sampleRate
  if (crop.frames === null || crop.frames >= totalFrames) {
    const f = featurize(audio, features, power)
    const inside = words && timedWordsInside(words, 0, (audio.length * 1000) / features.sampleRate + 1)
    const labels = full.subarray(0, outputSteps(preset, f.frames))
    const hardNegatives = words && hardNegativeMask(words, labels, g, 0)
    return {
      features: f.data,
      frames: f.frames,
      labels,
      ...(hardNegatives ? {hardNegatives} : {}),
      truthsSec: endsMs.map((ms) => ms / 1000),
      transcript: inside?.map((w) => w.word),
      wordEndSteps: inside?.map((w) => endStepOf(w.endMs, g)),
      wordStartSteps: inside?.map((w) => endStepOf(w.startMs, g)),
    }
  }

  const n = outputSteps(preset, crop.frames)
  // Only the frames the convolution uses, so every crop has the same length wherever it starts.
  const cropFrames = (n - 1) * stride + preset.conv.kernelSize
  const maxStart = Math.max(0, outputSteps(preset, totalFrames) - n)
  let s0 = rng.int(maxStart + 1)
  if (endsMs.length > 0 && rng.next() < crop.aroundLabels) {
    const endStep = endStepOf(endsMs[rng.int(endsMs.length)], g)
    // The labels (after the end) and ~1 s of the word before it inside the crop, when the crop is long enough.
    const context = Math.round(1 / stepSec)
    const lo = Math.max(0, endStep + g.labelSteps + 1 - n)
    const hi = Math.min(maxStart, Math.max(lo, endStep - context))
    s0 = Math.min(maxStart, lo + rng.int(hi - lo + 1))
  }
  const f0 = s0 * stride
  const first = f0 * hop
  const last = Math.min(audio.length, (f0 + cropFrames - 1) * hop + nfft)
  const f = featurize(audio.subarray(first, last), features, power)
  const offsetSec = (f0 * hop) / features.sampleRate
  const inside = words && timedWordsInside(words, (first * 1000) / features.sampleRate, (last * 1000) / features.sampleRate)
  const labels = full.slice(s0, s0 + outputSteps(preset, f.frames))
  const hardNegatives = words && hardNegativeMask(words, labels, g, s0)
  return {
    ...(hardNegatives ? {hardNegatives} : {}),
    transcript: inside?.map((w) => w.word),
    wordEndSteps: inside?.map((w) => endStepOf(w.endMs, g) - s0),
    wordStartSteps: inside?.map((w) => endStepOf(w.startMs, g) - s0),
    features: f.data,
    frames: f.frames,
    labels,
    truthsSec: endsMs.map((ms) => ms / 1000 - offsetSec).filter((t) => t > 0 && t < (f.frames * hop) / features.sampleRate + 1),
  }
}
