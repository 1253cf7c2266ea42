import {type FeatureConfig} from './featurize.js'
import {SpectrogramFramer} from './framer.js'
import {transformBins, transformFeatures} from './transform.js'

/** Model input frames, frame-major: `frames` x `bins` float32 values. */
export interface FrameBlock {
  data: Float32Array
  frames: number
}

/**
 * The streaming front end: samples in chunks of any size to model input
 * frames, identical to `featurize()` on the whole signal (the framer is bit
 * exact with the batch spectrogram and the transform is per value). Owns the
 * only audio state of the pipeline: the samples of the frame not yet complete.
 */
export class FeatureStream {
  /** Values per model input frame (the transform may keep fewer than the spectrogram's bins). */
  readonly bins: number
  private readonly framer: SpectrogramFramer

  constructor(readonly config: FeatureConfig) {
    this.framer = new SpectrogramFramer(config.spectrogram)
    this.bins = transformBins(config.transform, this.framer.bins)
  }

  push(samples: ArrayLike<number>): FrameBlock {
    const spec = this.framer.push(samples)
    return {data: transformFeatures(spec.data, this.config.transform, this.framer.bins), frames: spec.frames}
  }

  /** Frames emitted since the start (or the last reset). */
  get frames(): number {
    return this.framer.frames
  }

  reset(): void {
    this.framer.reset()
  }
}
