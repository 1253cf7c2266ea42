import {type ModelConfig, outputStepSeconds} from '../model/config.js'
import type {Detector} from '../model/model-dir.js'
import {ModelError} from '../util/errors.js'
import {FeatureStream} from './features.js'
import {type StepBlock, StreamingNetwork, UnsupportedModelError} from './network.js'

export type {StepBlock}

/**
 * A loaded detector as a stream: push audio (config.features.sampleRate, int16
 * units) in chunks of any size, get the per-step outputs those samples
 * complete. Concatenated over a stream they equal `model.predict` on the
 * featurized whole (within float32 rounding), whatever the chunk sizes.
 */
export class StreamingInference {
  readonly config: ModelConfig
  readonly features: FeatureStream
  readonly network: StreamingNetwork
  /** Seconds per output step. */
  readonly stepSeconds: number
  private samples = 0

  constructor(detector: Detector) {
    const {config, dir} = detector
    let network: StreamingNetwork
    try {
      network = StreamingNetwork.fromModel(detector.model)
    } catch (error) {
      if (error instanceof UnsupportedModelError) throw new ModelError(dir, `cannot run it as a stream: ${error.message}`)
      throw error
    }
    const problem =
      network.features !== config.preset.features
        ? `the network takes ${network.features} values per frame but rnn-wake.json says ${config.preset.features}`
        : network.strides !== config.preset.conv.strides || network.kernelSize !== config.preset.conv.kernelSize
          ? `the network's conv (kernel ${network.kernelSize}, stride ${network.strides}) differs from rnn-wake.json's (kernel ${config.preset.conv.kernelSize}, stride ${config.preset.conv.strides})`
          : config.vocabulary !== undefined && network.classes > 0 && network.classes !== config.vocabulary.tokens.length + 1
            ? `the CTC head has ${network.classes} classes but the vocabulary has ${config.vocabulary.tokens.length} tokens + blank`
            : undefined
    if (problem !== undefined) {
      network.dispose()
      throw new ModelError(dir, problem)
    }
    this.config = config
    this.network = network
    this.features = new FeatureStream(config.features)
    this.stepSeconds = outputStepSeconds(config)
  }

  /** CTC classes (tokens + blank) when the model transcribes, else 0. */
  get classes(): number {
    return this.network.classes
  }

  /** Samples pushed since the start or the last reset. */
  get samplesSeen(): number {
    return this.samples
  }

  /** Output steps produced so far. */
  get steps(): number {
    return this.network.steps
  }

  push(samples: ArrayLike<number>): StepBlock {
    this.samples += samples.length
    return this.network.push(this.features.push(samples))
  }

  /** Start a new stream: audio, frame, conv and GRU state all cleared. */
  reset(): void {
    this.samples = 0
    this.features.reset()
    this.network.reset()
  }

  dispose(): void {
    this.network.dispose()
  }
}
