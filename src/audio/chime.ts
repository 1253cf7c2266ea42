import {SAMPLE_RATE} from './read.js'

/**
 * The chime `detect --chime` overlays at each detection: two bell-like
 * partials (E6 then B6) with exponential decay, 0.45 s, peak -6 dBFS. Made
 * here from a formula so the project ships no third-party sound.
 */
export function makeChime(sampleRate = SAMPLE_RATE): Float64Array {
  const length = Math.round(0.45 * sampleRate)
  const out = new Float64Array(length)
  const notes = [
    {freq: 1318.51, start: 0, decay: 9},
    {freq: 1975.53, start: 0.09, decay: 7},
  ]
  for (const {freq, start, decay} of notes) {
    const offset = Math.round(start * sampleRate)
    for (let i = offset; i < length; i++) {
      const t = (i - offset) / sampleRate
      const attack = Math.min(1, t / 0.004)
      const env = attack * Math.exp(-decay * t)
      out[i] += env * (Math.sin(2 * Math.PI * freq * t) + 0.3 * Math.sin(2 * Math.PI * 2 * freq * t))
    }
  }
  let peak = 0
  for (const v of out) peak = Math.max(peak, Math.abs(v))
  const gain = (0.5 * 32767) / peak
  for (let i = 0; i < length; i++) out[i] *= gain
  return out
}

/** Add `overlay` into `base` starting at sample `at` (a copy; base is unchanged), saturating to int16 on write. */
export function overlayAt(base: Float64Array, overlay: Float64Array, at: number): Float64Array {
  const out = Float64Array.from(base)
  const start = Math.max(0, Math.round(at))
  for (let i = 0; i < overlay.length && start + i < out.length; i++) out[start + i] += overlay[i]
  return out
}
