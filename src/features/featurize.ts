import {PowerSpectrum, type SpectrogramParams, frameCount} from './spectrogram.js'
import {type FeatureTransform, transformBins, transformFeatures} from './transform.js'

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
  const {data, frames, bins} = powerSpectrogram(samples, config, power)
  return {data: transformFeatures(data, config.transform, bins), frames, bins: transformBins(config.transform, bins)}
}

/** The spectrogram before the transform (PSD, frames x bins), e.g. for training augmentation. */
export function powerSpectrogram(samples: ArrayLike<number>, config: FeatureConfig, power = new PowerSpectrum(config.spectrogram)): {data: Float64Array; frames: number; bins: number} {
  const frames = frameCount(samples.length, config.spectrogram)
  const bins = power.bins
  const data = new Float64Array(frames * bins)
  for (let f = 0; f < frames; f++) power.compute(samples, f * config.spectrogram.hop, data, f * bins)
  return {data, frames, bins}
}
