/**
 * What the model sees of the spectrogram. The course feeds the raw PSD, which
 * spans ~1e-13 to 1e7 on int16 audio; `log10` compresses it (offset keeps
 * digital silence finite). Recorded in the model directory, so detection
 * always applies what training applied.
 */
export type FeatureTransform = {kind: 'none'} | {kind: 'log10'; offset: number}

export const RAW_FEATURES: FeatureTransform = {kind: 'none'}
export const LOG_FEATURES: FeatureTransform = {kind: 'log10', offset: 1e-2}

/** Transform spectrogram values into float32 model input (a new array). */
export function transformFeatures(data: Float64Array, transform: FeatureTransform): Float32Array {
  const out = new Float32Array(data.length)
  if (transform.kind === 'none') {
    out.set(data)
  } else {
    const {offset} = transform
    for (let i = 0; i < data.length; i++) out[i] = Math.log10(data[i] + offset)
  }
  return out
}
