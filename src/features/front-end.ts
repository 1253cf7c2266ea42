import {type FeatureConfig, type Features, featurize} from './featurize.js'
import {PowerSpectrum} from './spectrogram.js'
import {EMBEDDING_PIPELINE, EMBEDDING_RATE, EMBEDDING_SIZE, EMBEDDING_STEP_SECONDS, type SpeechEmbeddingFeatures, SpeechEmbeddingStream, embedAudio, loadSpeechEmbedding} from './speech-embedding.js'
import {transformBins} from './transform.js'
import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {FeatureStream, type FrameBlock} from './feature-stream.js'

/** A model directory's front end: a spectrogram (the course's, and its log variants) or the pretrained speech embedding. */
export type ModelFeatures = FeatureConfig | SpeechEmbeddingFeatures

export function isSpeechEmbedding(features: ModelFeatures): features is SpeechEmbeddingFeatures {
  return (features as SpeechEmbeddingFeatures).kind === 'speech-embedding'
}

/** Seconds per network input frame. */
export function frameStepSeconds(features: ModelFeatures): number {
  return isSpeechEmbedding(features) ? EMBEDDING_STEP_SECONDS : features.spectrogram.hop / features.sampleRate
}

/** Values per network input frame. */
export function frontEndBins(features: ModelFeatures): number {
  return isSpeechEmbedding(features) ? EMBEDDING_SIZE : transformBins(features.transform, features.spectrogram.nfft / 2 + 1)
}

/** Frames of audio in, as a stream: chunks of any size, the frames they complete. */
export interface FrameSource {
  readonly bins: number
  readonly frames: number
  push(samples: ArrayLike<number>): FrameBlock
  reset(): void
  /** Free what the source holds outside the JavaScript heap (tensors), if anything. */
  dispose?(): void
}

/**
 * The front end as one object, used alike by training (`featurize`), offline prediction and
 * streaming (`stream`): whatever runs after it only sees frames x bins.
 */
export interface FrontEnd {
  readonly config: ModelFeatures
  readonly bins: number
  /** Checksum of the pretrained weights, for front ends that have them. */
  readonly weightsId?: string
  /**
   * The rate a front end that resamples inside computes at: audio already at this rate skips
   * resampling (a microphone can be opened at it). Undefined: only config.sampleRate is taken.
   */
  readonly nativeRate?: number
  featurize(samples: ArrayLike<number>): Features
  /** A stream of audio at `sampleRate` (default config.sampleRate; another rate only with a nativeRate). */
  stream(sampleRate?: number): FrameSource
}

export interface FrontEndOptions {
  /** Where the speech embedding's weights are (default: the ones shipped in data/speech-embedding). */
  speechEmbeddingDir?: string
}

/**
 * Open a model's front end; loading problems are ModelErrors naming `owner` (the model
 * directory), among them pretrained weights other than those the model was trained on.
 */
export async function openFrontEnd(config: ModelFeatures, owner: string, options: FrontEndOptions = {}): Promise<FrontEnd> {
  if (isSpeechEmbedding(config)) {
    const weights = await loadSpeechEmbedding(owner, {dir: options.speechEmbeddingDir, expected: config.weights})
    return {
      config,
      bins: EMBEDDING_SIZE,
      weightsId: weights.sha256,
      featurize: (samples) => {
        const {data, frames} = withFeatureCache(samples, `${weights.sha256}:${config.sampleRate}:${EMBEDDING_PIPELINE}`, () => embedAudio(weights, samples, config.sampleRate))
        return {data, frames, bins: EMBEDDING_SIZE}
      },
      nativeRate: EMBEDDING_RATE,
      stream: (sampleRate = config.sampleRate) => new SpeechEmbeddingStream(weights, sampleRate),
    }
  }
  return spectrogramFrontEnd(config)
}

/** The spectrogram front end (no weights to load). */
export function spectrogramFrontEnd(config: FeatureConfig): FrontEnd {
  const power = new PowerSpectrum(config.spectrogram)
  return {
    config,
    bins: frontEndBins(config),
    featurize: (samples) => featurize(samples, config, power),
    stream: (sampleRate = config.sampleRate) => {
      if (sampleRate !== config.sampleRate) throw new RangeError(`a spectrogram front end streams ${config.sampleRate} Hz audio only, not ${sampleRate} Hz`)
      return new FeatureStream(config)
    },
  }
}

/**
 * Opt-in disk cache of embeddings (RNN_WAKE_FEATURE_CACHE=DIR), keyed by the samples and the
 * front end: benchmarks score many models on the same hours of audio, and the front end is
 * nearly all of the cost. Off by default: a user's evaluate should not fill a disk unasked.
 */
function withFeatureCache(samples: ArrayLike<number>, frontEnd: string, compute: () => {data: Float32Array; frames: number}): {data: Float32Array; frames: number} {
  const dir = process.env.RNN_WAKE_FEATURE_CACHE
  if (!dir) return compute()
  const typed = samples instanceof Float64Array ? samples : Float64Array.from(samples)
  const key = createHash('sha256').update(frontEnd).update(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength)).digest('hex').slice(0, 40)
  const file = join(dir, `${key}.f32`)
  try {
    const bytes = readFileSync(file)
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
    return {data, frames: data.length / EMBEDDING_SIZE}
  } catch {
    const out = compute()
    try {
      mkdirSync(dir, {recursive: true})
      writeFileSync(`${file}.${process.pid}.tmp`, out.data)
      renameSync(`${file}.${process.pid}.tmp`, file)
    } catch {
      // Only a cache.
    }
    return out
  }
}
