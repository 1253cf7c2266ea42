import {PowerSpectrum, type SpectrogramParams, frameCount} from './spectrogram.js'
import {type FeatureTransform, transformFeatures} from './transform.js'

/** The whole front end, as recorded in a model directory. */
export interface FeatureConfig {
  sampleRate: number
  spectrogram: SpectrogramParams
  transform: FeatureTransform
}

export interface Features {
  /** Frame-major float32 model input, frames x bins. */
  data: Float32Array
  frames: number
  bins: number
}

/** Samples (at config.sampleRate, int16 units) to model input. */
export function featurize(samples: ArrayLike<number>, config: FeatureConfig, power = new PowerSpectrum(config.spectrogram)): Features {
  const frames = frameCount(samples.length, config.spectrogram)
  const bins = power.bins
  const spec = new Float64Array(frames * bins)
  for (let f = 0; f < frames; f++) power.compute(samples, f * config.spectrogram.hop, spec, f * bins)
  return {data: transformFeatures(spec, config.transform), frames, bins}
}
