/**
 * What the model sees of the spectrogram. The course feeds the raw PSD, which
 * spans ~1e-13 to 1e7 on int16 audio; `log10` compresses it (offset keeps
 * digital silence finite). Recorded in the model directory, so detection
 * always applies what training applied.
 */
export type FeatureTransform = {kind: 'none'} | {kind: 'log10'; offset: number; bins?: number}

export const RAW_FEATURES: FeatureTransform = {kind: 'none'}
export const LOG_FEATURES: FeatureTransform = {kind: 'log10', offset: 1e-2}

/**
 * A band-limited front end: only the lowest `bins` bins of each frame (e.g.
 * 37 bins of 220.5 Hz: up to 7.9 kHz). Real recordings at 16 kHz, phones and
 * most synthesizers carry nothing above 4-8 kHz, so a network that never
 * sees that band cannot learn to rely on what one synthesizer puts there.
 */
export function transformBins(transform: FeatureTransform, spectrogramBins: number): number {
  return transform.kind === 'log10' && transform.bins !== undefined ? Math.min(transform.bins, spectrogramBins) : spectrogramBins
}

/** Transform spectrogram values (frame-major, `bins` per frame) into float32 model input (a new array). */
export function transformFeatures(data: Float64Array, transform: FeatureTransform, bins?: number): Float32Array {
  if (transform.kind === 'none') return Float32Array.from(data)
  const {offset} = transform
  const keep = bins === undefined ? undefined : transformBins(transform, bins)
  if (bins === undefined || keep === bins) {
    const out = new Float32Array(data.length)
    for (let i = 0; i < data.length; i++) out[i] = Math.log10(data[i] + offset)
    return out
  }
  const frames = data.length / bins
  const out = new Float32Array(frames * keep!)
  for (let f = 0; f < frames; f++) {
    for (let k = 0; k < keep!; k++) out[f * keep! + k] = Math.log10(data[f * bins + k] + offset)
  }
  return out
}

/**
 * The lowest `keep` of `bins` values of each frame (frame-major), or `data`
 * itself when it keeps them all. With a log10 transform this is exactly what a
 * band-limited front end (`bins: keep`) computes, so one spectrogram serves an
 * ensemble whose networks read different bands.
 */
export function lowestBins(data: Float32Array, frames: number, bins: number, keep: number): Float32Array {
  if (keep === bins) return data
  if (keep > bins) throw new RangeError(`cannot keep ${keep} of ${bins} bins`)
  const out = new Float32Array(frames * keep)
  for (let f = 0; f < frames; f++) out.set(data.subarray(f * bins, f * bins + keep), f * keep)
  return out
}
