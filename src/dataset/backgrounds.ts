import {SAMPLE_RATE} from '../audio/read.js'
import type {Clip} from './clips.js'
import {type Rng, deriveRng, gaussian} from './rng.js'

/**
 * Procedural backgrounds. The course ships two 10 s recordings; a detector
 * trained on two rooms learns those rooms. These add the other sounds a
 * microphone hears: broadband noise of several colours, mains hum with
 * harmonics, and babble (overlapping speech of non-trigger words, the
 * hardest background for false accepts). Levels vary over ~30 dB so the
 * synthesizer's fixed -20 dB background gain still gives a spread of SNRs.
 */

export type BackgroundKind = 'white' | 'pink' | 'brown' | 'hum' | 'babble'

export const BACKGROUND_KINDS: readonly BackgroundKind[] = ['white', 'pink', 'brown', 'hum', 'babble']

function scaleToRms(x: Float64Array, rms: number): Float64Array {
  let sum = 0
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i]
  const current = Math.sqrt(sum / x.length)
  const g = current > 0 ? rms / current : 0
  for (let i = 0; i < x.length; i++) x[i] *= g
  return x
}

function noise(kind: 'white' | 'pink' | 'brown', n: number, rng: Rng): Float64Array {
  const x = new Float64Array(n)
  if (kind === 'white') {
    for (let i = 0; i < n; i++) x[i] = gaussian(rng)
  } else if (kind === 'brown') {
    // Leaky integration keeps the random walk from drifting to a DC offset.
    let y = 0
    for (let i = 0; i < n; i++) x[i] = y = 0.995 * y + gaussian(rng)
  } else {
    // Paul Kellet's economy pink filter: -3 dB/octave within ~1 dB over the audio band.
    let b0 = 0
    let b1 = 0
    let b2 = 0
    for (let i = 0; i < n; i++) {
      const w = gaussian(rng)
      b0 = 0.99765 * b0 + w * 0.099046
      b1 = 0.963 * b1 + w * 0.2965164
      b2 = 0.57 * b2 + w * 1.0526913
      x[i] = b0 + b1 + b2 + w * 0.1848
    }
  }
  return x
}

function hum(n: number, rng: Rng, sampleRate: number): Float64Array {
  const mains = rng.next() < 0.5 ? 50 : 60
  const x = new Float64Array(n)
  const harmonics = 2 + rng.int(6)
  for (let h = 1; h <= harmonics; h++) {
    const amp = rng.uniform(0.2, 1) / h
    const phase = rng.uniform(0, 2 * Math.PI)
    const w = (2 * Math.PI * mains * h) / sampleRate
    for (let i = 0; i < n; i++) x[i] += amp * Math.sin(w * i + phase)
  }
  // A little hiss, as a real amplifier has.
  for (let i = 0; i < n; i++) x[i] += 0.05 * gaussian(rng)
  return x
}

/** Several "speakers", each saying words from `speech` one after another with short pauses. */
function babble(n: number, rng: Rng, speech: readonly Clip[], sampleRate: number): Float64Array {
  const x = new Float64Array(n)
  if (speech.length === 0) return noise('pink', n, rng)
  const talkers = 2 + rng.int(5)
  for (let k = 0; k < talkers; k++) {
    const gain = rng.uniform(0.3, 1)
    let t = rng.int(Math.round(0.5 * sampleRate))
    while (t < n) {
      const clip = speech[rng.int(speech.length)]
      const g = clip.rms > 0 ? gain / clip.rms : 0
      for (let i = 0; i < clip.samples.length && t + i < n; i++) x[t + i] += clip.samples[i] * g
      t += clip.samples.length + rng.int(Math.round(0.4 * sampleRate))
    }
  }
  return x
}

/**
 * Whether `word` shares four letters in a row with `trigger` (deactivate,
 * captivate, activity for "activate"). Babble is background: it must not say
 * anything like the trigger, or it teaches the model to ignore the trigger
 * when quiet and tests count the trigger as a false accept.
 */
export function soundsLike(word: string, trigger: string): boolean {
  const w = word.toLowerCase()
  const t = trigger.toLowerCase()
  if (t.length < 4) return w.includes(t)
  for (let i = 0; i + 4 <= t.length; i++) if (w.includes(t.slice(i, i + 4))) return true
  return false
}

/**
 * `count` backgrounds of `seconds` each, cycling through the kinds, as Clips
 * ready for synthesizeExample. Deterministic in (seed, index); `speech`
 * supplies the babble (pass negative-word clips, never trigger clips).
 */
export function proceduralBackgrounds(count: number, seed: number, speech: readonly Clip[], seconds = 10, sampleRate = SAMPLE_RATE): Clip[] {
  const n = Math.round(seconds * sampleRate)
  const out: Clip[] = []
  for (let i = 0; i < count; i++) {
    const kind = BACKGROUND_KINDS[i % BACKGROUND_KINDS.length]
    const rng = deriveRng('rnn-wake/background', seed, i)
    const raw = kind === 'hum' ? hum(n, rng, sampleRate) : kind === 'babble' ? babble(n, rng, speech, sampleRate) : noise(kind, n, rng)
    // int16 rms from ~100 to ~3000 (-50 to -21 dBFS) before the synthesizer's -20 dB.
    const rms = 10 ** rng.uniform(2, 3.5)
    const samples = scaleToRms(raw, rms)
    out.push({word: '', source: `procedural/${kind}-${seed}-${i}`, samples, rms})
  }
  return out
}

/** How many procedural backgrounds train and synthesize mix into when given no background recordings. */
export const DEFAULT_PROCEDURAL_BACKGROUNDS = 20

/**
 * The background plan of train and synthesize: with no --backgrounds folder and
 * no --procedural-backgrounds count, DEFAULT_PROCEDURAL_BACKGROUNDS procedural
 * ones, and the one line that tells the user so.
 */
export function defaultBackgrounds(folders: number, procedural: number | undefined): {procedural: number; note?: string} {
  if (folders > 0 || (procedural ?? 0) > 0) return {procedural: procedural ?? 0}
  return {
    procedural: DEFAULT_PROCEDURAL_BACKGROUNDS,
    note: `no --backgrounds given: using ${DEFAULT_PROCEDURAL_BACKGROUNDS} procedural backgrounds (coloured noise, mains hum, babble of the negative words); recordings of real rooms (--backgrounds DIR) make a detector that copes better with them`,
  }
}
