import {resample} from '../audio/resample.js'
import type {Rng} from './rng.js'

/**
 * Voice, microphone and room augmentation on audio samples, for recipes whose front end takes
 * audio (the speech embedding), where features/augment.ts's spectrogram levers cannot reach.
 * Synthesized clips are dry, flat and spoken at a handful of tempos and pitches; real ones come
 * through rooms and microphones from voices of every size. Each lever applies with probability
 * 1/2: speed (tempo and pitch together, as a different speaker rate and vocal tract), eq (a
 * microphone's or phone's colouring) and reverb (a room).
 */
export const VOICE_AUGMENTS = ['speed', 'eq', 'reverb'] as const
export type VoiceAugment = (typeof VOICE_AUGMENTS)[number]

/** A clip played `factor` times faster (shorter and higher), band-limited. */
export function changeSpeed(samples: Float64Array, factor: number, sampleRate: number): Float64Array {
  return resample(samples, sampleRate * factor, sampleRate)
}

/** A clip at a random speed in 0.88-1.12 (half the time; else the clip itself). */
export function maybeChangeSpeed(samples: Float64Array, rng: Rng, sampleRate: number, augments: readonly VoiceAugment[]): Float64Array {
  if (!augments.includes('speed') || rng.uniform(0, 1) >= 0.5) return samples
  return changeSpeed(samples, rng.uniform(0.88, 1.12), sampleRate)
}

/** A second-order peaking filter (RBJ's cookbook) at `hz` with `gainDb` and quality `q`, applied in place. */
export function peakingFilter(x: Float64Array, hz: number, gainDb: number, q: number, sampleRate: number): void {
  const a = 10 ** (gainDb / 40)
  const w = (2 * Math.PI * hz) / sampleRate
  const alpha = Math.sin(w) / (2 * q)
  const cos = Math.cos(w)
  const a0 = 1 + alpha / a
  const b0 = (1 + alpha * a) / a0
  const b1 = (-2 * cos) / a0
  const b2 = (1 - alpha * a) / a0
  const a1 = (-2 * cos) / a0
  const a2 = (1 - alpha / a) / a0
  let x1 = 0
  let x2 = 0
  let y1 = 0
  let y2 = 0
  for (let i = 0; i < x.length; i++) {
    const y = b0 * x[i] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
    x2 = x1
    x1 = x[i]
    y2 = y1
    y1 = y
    x[i] = y
  }
}

/**
 * A room: Schroeder's reverberator (four parallel feedback combs, then two all-passes) with a
 * decay of RT60 `rt60` seconds, its output added at `wet` times the direct sound's energy. Far
 * cheaper than convolving with a measured response (a few operations per sample instead of an
 * FFT of the whole example), and the embedding only needs the smear, not a particular room.
 */
export function reverberate(x: Float64Array, rt60: number, wet: number, sampleRate: number): Float64Array {
  const combs = [0.0297, 0.0371, 0.0411, 0.0437].map((seconds) => {
    const delay = Math.round(seconds * sampleRate)
    return {delay, gain: 10 ** ((-3 * seconds) / rt60), line: new Float64Array(delay), at: 0}
  })
  const allPasses = [0.005, 0.0017].map((seconds) => ({delay: Math.round(seconds * sampleRate), gain: 0.7, line: new Float64Array(Math.round(seconds * sampleRate)), at: 0}))
  const tail = new Float64Array(x.length)
  for (let i = 0; i < x.length; i++) {
    let sum = 0
    for (const c of combs) {
      const delayed = c.line[c.at]
      c.line[c.at] = x[i] + delayed * c.gain
      c.at = (c.at + 1) % c.delay
      sum += delayed
    }
    for (const p of allPasses) {
      const delayed = p.line[p.at]
      const input = sum + delayed * p.gain
      p.line[p.at] = input
      p.at = (p.at + 1) % p.delay
      sum = delayed - p.gain * input
    }
    tail[i] = sum
  }
  let direct = 0
  let reverb = 0
  for (let i = 0; i < x.length; i++) {
    direct += x[i] * x[i]
    reverb += tail[i] * tail[i]
  }
  const scale = reverb > 0 ? Math.sqrt((wet * direct) / reverb) : 0
  const out = new Float64Array(x.length)
  for (let i = 0; i < x.length; i++) out[i] = x[i] + tail[i] * scale
  return out
}

/** The microphone and the room, each half the time, on a whole example (every word in it shares them). */
export function augmentChannel(x: Float64Array, rng: Rng, sampleRate: number, augments: readonly VoiceAugment[]): Float64Array {
  if (augments.includes('eq') && rng.uniform(0, 1) < 0.5) {
    const bands = 2 + rng.int(2)
    for (let k = 0; k < bands; k++) peakingFilter(x, 150 * 40 ** rng.uniform(0, 1), rng.uniform(-9, 9), rng.uniform(0.7, 2.5), sampleRate)
  }
  if (augments.includes('reverb') && rng.uniform(0, 1) < 0.5) return reverberate(x, rng.uniform(0.15, 0.8), 10 ** rng.uniform(-0.7, 0.2), sampleRate)
  return x
}

/** A comma list of voice augments ("all", "none"); throws on a name it does not know. */
export function parseVoiceAugments(list: string): VoiceAugment[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (names.length === 1 && names[0] === 'all') return [...VOICE_AUGMENTS]
  if (names.length === 1 && names[0] === 'none') return []
  for (const name of names) if (!(VOICE_AUGMENTS as readonly string[]).includes(name)) throw new Error(`unknown augment "${name}" (speech-embedding recipe: ${VOICE_AUGMENTS.join(', ')}, all or none)`)
  return names as VoiceAugment[]
}
