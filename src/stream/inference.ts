import {type ModelConfig, outputStepSeconds} from '../model/config.js'
import type {Detector} from '../model/model-dir.js'
import {meanOf} from '../model/predict.js'
import {lowestBins} from '../features/transform.js'
import {ModelError} from '../util/errors.js'
import {type FrameSource, isSpeechEmbedding} from '../features/front-end.js'
import {type StepBlock, StreamingNetwork, UnsupportedModelError} from './network.js'

export type {StepBlock}

/**
 * A loaded detector as a stream: push audio (int16 units, at `sampleRate`:
 * config.features.sampleRate unless the front end takes another, see
 * FrontEnd.nativeRate) in chunks of any size, get the per-step outputs those samples
 * complete. Concatenated over a stream they equal `model.predict` on the
 * featurized whole (within float32 rounding), whatever the chunk sizes.
 * An ensemble runs one streaming network per member on the same frames and
 * averages their outputs, as predictClip does.
 */
export class StreamingInference {
  readonly config: ModelConfig
  readonly features: FrameSource
  /** One per network of the detector, the top-level one first. */
  readonly networks: StreamingNetwork[]
  /** Seconds per output step. */
  readonly stepSeconds: number
  /** Rate of the audio pushed. */
  readonly sampleRate: number
  private samples = 0

  constructor(detector: Detector, options: {sampleRate?: number} = {}) {
    const {config, dir} = detector
    const networks: StreamingNetwork[] = []
    try {
      for (const [i, model] of detector.networks.entries()) networks.push(streamingNetwork(model, config, dir, i > 0))
    } catch (error) {
      for (const network of networks) network.dispose()
      throw error
    }
    this.config = config
    this.networks = networks
    this.sampleRate = options.sampleRate ?? config.features.sampleRate
    try {
      this.features = detector.frontEnd.stream(this.sampleRate)
    } catch (error) {
      for (const network of networks) network.dispose()
      throw error
    }
    this.stepSeconds = outputStepSeconds(config)
  }

  /** CTC classes (tokens + blank) when the model transcribes, else 0. */
  get classes(): number {
    return this.networks[0].classes
  }

  /** Samples pushed since the start or the last reset. */
  get samplesSeen(): number {
    return this.samples
  }

  /** Output steps produced so far. */
  get steps(): number {
    return this.networks[0].steps
  }

  push(samples: ArrayLike<number>): StepBlock {
    this.samples += samples.length
    const frames = this.features.push(samples)
    if (this.networks.length === 1) return this.networks[0].push(frames)
    const bins = this.features.bins
    // A band-limited member reads the lowest bins of the same frames.
    const framesFor = (features: number) => (features === bins ? frames : {data: lowestBins(frames.data, frames.frames, bins, features), frames: frames.frames})
    const blocks = this.networks.map((network) => network.push(framesFor(network.features)))
    const tokens = blocks[0].tokens && meanOf(blocks.map((b) => b.tokens as Float32Array))
    return {firstStep: blocks[0].firstStep, steps: blocks[0].steps, probabilities: meanOf(blocks.map((b) => b.probabilities)), tokens}
  }

  /** Start a new stream: audio, frame, conv and GRU state all cleared. */
  reset(): void {
    this.samples = 0
    this.features.reset()
    for (const network of this.networks) network.reset()
  }

  dispose(): void {
    this.features.dispose?.()
    for (const network of this.networks) network.dispose()
  }
}

/** A network of the detector as a stream, checked against the directory's description. */
function streamingNetwork(model: Detector['model'], config: ModelConfig, dir: string, member: boolean): StreamingNetwork {
  let network: StreamingNetwork
  try {
    network = StreamingNetwork.fromModel(model)
  } catch (error) {
    if (error instanceof UnsupportedModelError) throw new ModelError(dir, `cannot run it as a stream: ${error.message}`)
    throw error
  }
  // Members may read the lowest bins only (see loadDetector).
  const bandLimited = member && !isSpeechEmbedding(config.features) && config.features.transform.kind === 'log10' && network.features < config.preset.features
  const problem =
    network.features !== config.preset.features && !bandLimited
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
  return network
}
