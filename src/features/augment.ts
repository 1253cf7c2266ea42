import type {Rng} from '../dataset/rng.js'
import {UserError} from '../util/errors.js'

/**
 * Voice and channel augmentation of a power spectrogram, for training.
 *
 * A detector trained on one synthesizer's clips learns that synthesizer and
 * that channel: espeak-ng puts energy between 6 and 11 kHz where a 16 kHz
 * recording or a phone has none, its formants sit where its one vocal tract
 * puts them, and every clip is dry and flat. These perturb exactly those
 * cues. They work on the PSD (frames x bins, before the log), where a
 * channel is a per-bin gain and a vocal-tract change is a frequency warp, so
 * an example costs a pass over ~37k values per second of audio instead of a
 * filter over its 44,100 samples (example making is the default preset's
 * bottleneck).
 *
 * Each lever is applied to an example with probability 1/2, independently,
 * in the order a sound meets them: warp (the speaker), eq and band (the
 * microphone or phone), reverb (the room), noise (the device's noise floor,
 * which fills the band a low-pass left empty), level, mask (SpecAugment).
 */

export const AUGMENTS = ['warp', 'eq', 'band', 'reverb', 'noise', 'level', 'mask'] as const
export type AugmentName = (typeof AUGMENTS)[number]

export interface SpectrogramGeometry {
  /** Audio sample rate, Hz. */
  sampleRate: number
  nfft: number
  hop: number
}

/** "all", "none"/"" or a comma list of AUGMENTS, in canonical order. */
export function parseAugments(list: string): AugmentName[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (names.length === 1 && names[0] === 'all') return [...AUGMENTS]
  if (names.length === 0 || (names.length === 1 && names[0] === 'none')) return []
  for (const n of names) {
    if (!(AUGMENTS as readonly string[]).includes(n)) throw new UserError(`--augment: unknown augmentation "${n}" (choose from: all, none, ${AUGMENTS.join(', ')})`, 'usage')
  }
  return AUGMENTS.filter((a) => names.includes(a))
}

const APPLY_PROBABILITY = 0.5

/** Augment `spec` (frame-major, frames x bins, power) in place. */
export function augmentPower(spec: Float64Array, frames: number, bins: number, augments: readonly AugmentName[], rng: Rng, g: SpectrogramGeometry): void {
  if (augments.length === 0 || frames === 0) return
  const binHz = g.sampleRate / g.nfft
  // One draw per lever whether or not it is on, so turning one lever off leaves the others' draws alone.
  const on = (name: AugmentName): boolean => rng.next() < APPLY_PROBABILITY && augments.includes(name)
  const useWarp = on('warp')
  const useEq = on('eq')
  const useBand = on('band')
  const useReverb = on('reverb')
  const useNoise = on('noise')
  const useLevel = on('level')
  const useMask = on('mask')
  // Per-bin gains of the channel (eq and band), applied together.
  const gain = new Float64Array(bins).fill(1)
  let gainUsed = false
  if (useWarp) warpFrequencies(spec, frames, bins, rng.uniform(0.85, 1.15))
  if (useEq) {
    eqGains(gain, binHz, rng)
    gainUsed = true
  }
  if (useBand) {
    bandGains(gain, binHz, rng)
    gainUsed = true
  }
  if (gainUsed) {
    for (let f = 0; f < frames; f++) {
      const row = f * bins
      for (let k = 0; k < bins; k++) spec[row + k] *= gain[k]
    }
  }
  if (useReverb) reverberate(spec, frames, bins, rng.uniform(0.15, 0.8), rng.uniform(0.2, 1.5), g.hop / g.sampleRate)
  if (useNoise) addNoiseFloor(spec, frames, bins, rng.uniform(15, 45), rng)
  if (useLevel) {
    const scale = 10 ** (rng.uniform(-15, 10) / 10)
    for (let i = 0; i < spec.length; i++) spec[i] *= scale
  }
  if (useMask) mask(spec, frames, bins, rng)
}

/**
 * Vocal-tract-length perturbation: the spectrum stretched by `alpha` along
 * frequency (new bin k reads old bin k / alpha, linearly interpolated), which
 * moves formants and harmonics together, as a longer or shorter vocal tract
 * and a higher or lower voice do.
 */
export function warpFrequencies(spec: Float64Array, frames: number, bins: number, alpha: number): void {
  const row = new Float64Array(bins)
  for (let f = 0; f < frames; f++) {
    const base = f * bins
    for (let k = 0; k < bins; k++) row[k] = spec[base + k]
    for (let k = 0; k < bins; k++) {
      const src = Math.min(bins - 1, k / alpha)
      const i = Math.floor(src)
      const t = src - i
      spec[base + k] = i + 1 < bins ? row[i] * (1 - t) + row[i + 1] * t : row[bins - 1]
    }
  }
}

/** A smooth random equaliser: a tilt of up to +-4 dB per octave around 1 kHz and three peaks or dips of up to +-8 dB. */
function eqGains(gain: Float64Array, binHz: number, rng: Rng): void {
  const tilt = rng.uniform(-4, 4)
  const peaks = Array.from({length: 3}, () => ({center: Math.log2(200) + rng.next() * Math.log2(6000 / 200), width: rng.uniform(0.3, 1), db: rng.uniform(-8, 8)}))
  for (let k = 0; k < gain.length; k++) {
    const octave = Math.log2(Math.max(binHz * k, 50))
    let db = tilt * (octave - Math.log2(1000))
    for (const p of peaks) db += p.db * Math.exp(-0.5 * ((octave - p.center) / p.width) ** 2)
    gain[k] *= 10 ** (Math.max(-20, Math.min(20, db)) / 10)
  }
}

/**
 * A band-limited channel: a low-pass at 3.4-8 kHz (a phone, a 8-16 kHz
 * recording, a synthesizer with nothing up there) falling 60 dB per kHz, and
 * half the time a high-pass at 100-400 Hz.
 */
function bandGains(gain: Float64Array, binHz: number, rng: Rng): void {
  const low = rng.uniform(3400, 8000)
  const high = rng.next() < 0.5 ? rng.uniform(100, 400) : 0
  for (let k = 0; k < gain.length; k++) {
    const hz = binHz * k
    let db = 0
    if (hz > low) db -= (60 * (hz - low)) / 1000
    if (hz < high) db -= (60 * (high - hz)) / high
    gain[k] *= 10 ** (Math.max(-120, db) / 10)
  }
}

/**
 * A room's late reverberation, on the power envelope: each bin's power
 * smeared by an exponential decay of RT60 `rt60` seconds, added at
 * `wet` times the direct sound's level (a direct-to-reverberant ratio from
 * +7 to -2 dB).
 */
export function reverberate(spec: Float64Array, frames: number, bins: number, rt60: number, wet: number, hopSec: number): void {
  const decay = 10 ** ((-6 * hopSec) / rt60)
  const tail = new Float64Array(bins)
  for (let f = 0; f < frames; f++) {
    const row = f * bins
    for (let k = 0; k < bins; k++) {
      const direct = spec[row + k]
      tail[k] = decay * tail[k] + (1 - decay) * direct
      spec[row + k] = direct + wet * tail[k]
    }
  }
}

/**
 * White noise `snrDb` below the example's mean power per bin: each value an
 * exponential draw (the distribution of a noise periodogram bin).
 */
function addNoiseFloor(spec: Float64Array, frames: number, bins: number, snrDb: number, rng: Rng): void {
  let sum = 0
  for (let i = 0; i < spec.length; i++) sum += spec[i]
  const level = (sum / spec.length) * 10 ** (-snrDb / 10)
  if (!(level > 0)) return
  for (let i = 0; i < frames * bins; i++) spec[i] += -level * Math.log(1 - rng.next())
}

/** SpecAugment: two bands of up to 8 bins and two spans of up to 20 frames (36 ms) set to silence. */
function mask(spec: Float64Array, frames: number, bins: number, rng: Rng): void {
  for (let m = 0; m < 2; m++) {
    const width = rng.int(9)
    const start = rng.int(Math.max(1, bins - width))
    for (let f = 0; f < frames; f++) spec.fill(0, f * bins + start, f * bins + Math.min(bins, start + width))
  }
  for (let m = 0; m < 2; m++) {
    const width = rng.int(21)
    const start = rng.int(Math.max(1, frames - width))
    spec.fill(0, start * bins, Math.min(frames, start + width) * bins)
  }
}
