import * as tf from '@tensorflow/tfjs'

import {type Features} from '../features/featurize.js'
import {isSpeechEmbedding} from '../features/front-end.js'
import {lowestBins} from '../features/transform.js'
import {type Detector, networkBins} from './model-dir.js'
import {outputSteps} from './presets.js'
import {concatFloat32} from '../util/arrays.js'

export interface ClipPrediction {
  /** Trigger probability per output step. */
  trigger: Float32Array
  /** Token posteriors per step (steps x (tokens + 1)), when the model has a CTC head. */
  tokens?: Float32Array
  steps: number
}

/**
 * Whole-clip prediction (the offline path): features of all samples, one
 * forward pass per network; an ensemble's outputs are averaged.
 */
export function predictClip(detector: Detector, samples: ArrayLike<number>): ClipPrediction {
  return predictFeatures(detector, detector.frontEnd.featurize(samples))
}

/** predictClip on features already computed by the detector's front end (e.g. cached embeddings). */
export function predictFeatures(detector: Detector, features: Features): ClipPrediction {
  const steps = outputSteps(detector.config.preset, features.frames)
  if (steps === 0) return {trigger: new Float32Array(0), steps: 0}
  // One input tensor per band width: an ensemble may mix full-band and band-limited networks.
  const inputs = new Map<number, tf.Tensor3D>()
  const inputFor = (network: tf.LayersModel): tf.Tensor3D => {
    const keep = networkBins(network) ?? features.bins
    let input = inputs.get(keep)
    if (input === undefined) {
      input = tf.tensor3d(lowestBins(features.data, features.frames, features.bins, keep), [1, features.frames, keep])
      inputs.set(keep, input)
    }
    return input
  }
  try {
    return {...averagedOutputs(detector.networks, inputFor), steps}
  } finally {
    for (const input of inputs.values()) input.dispose()
  }
}

/**
 * The networks' outputs on their inputs, averaged (an ensemble's): trigger probabilities, and token
 * posteriors when the networks have a token head. `inputFor` gives each network its input; the
 * caller owns those tensors.
 */
export function averagedOutputs(networks: readonly tf.LayersModel[], inputFor: (network: tf.LayersModel) => tf.Tensor): {trigger: Float32Array; tokens?: Float32Array} {
  const runs = networks.map((network) => {
    // Outside the tidy: the caller keeps the input (and may give it to the next network too).
    const input = inputFor(network)
    let trigger = new Float32Array(0)
    let tokens: Float32Array | undefined
    // Results leave the tidy through closure variables: tidy walks whatever is returned looking for
    // tensors, key by key through typed arrays. Copies: on the cpu backend dataSync hands out the tensor's own storage.
    tf.tidy(() => {
      const out = network.predict(input)
      const outputs = Array.isArray(out) ? out : [out]
      trigger = Float32Array.from(outputs[0].dataSync())
      if (outputs.length > 1) tokens = Float32Array.from(outputs[1].dataSync())
    })
    return {trigger, tokens}
  })
  const tokens = runs[0].tokens && meanOf(runs.map((r) => r.tokens as Float32Array))
  return {trigger: meanOf(runs.map((r) => r.trigger)), ...(tokens ? {tokens} : {})}
}

/** Element-wise mean of equally long arrays (the first one itself when there is one). */
export function meanOf(arrays: readonly Float32Array[]): Float32Array {
  if (arrays.length === 1) return arrays[0]
  const out = new Float32Array(arrays[0].length)
  for (const a of arrays) for (let i = 0; i < out.length; i++) out[i] += a[i]
  for (let i = 0; i < out.length; i++) out[i] /= arrays.length
  return out
}

/**
 * Prediction over audio of any length, in windows the model was trained on
 * (10 s by default), with the recurrent state starting afresh in each. The
 * windows advance by a whole number of output steps, so the steps of
 * consecutive windows join into one track at a uniform rate.
 */
export function predictLong(detector: Detector, samples: Float64Array, windowSec = 10): ClipPrediction {
  const {features, preset} = detector.config
  // The speech embedding streams from the start of the audio, as listen does: no windows.
  if (isSpeechEmbedding(features)) return predictClip(detector, samples)
  const samplesPerStep = features.spectrogram.hop * preset.conv.strides
  const windowSamples = Math.round(windowSec * features.sampleRate)
  if (samples.length <= windowSamples) return predictClip(detector, samples)
  const stepsPerWindow = outputSteps(preset, 1 + Math.floor((windowSamples - features.spectrogram.nfft) / features.spectrogram.hop))
  const advance = stepsPerWindow * samplesPerStep
  const triggers: Float32Array[] = []
  const tokens: Float32Array[] = []
  for (let start = 0; start < samples.length; start += advance) {
    const window = samples.subarray(start, Math.min(samples.length, start + windowSamples))
    const p = predictClip(detector, window)
    const keep = start + advance >= samples.length ? p.steps : Math.min(p.steps, stepsPerWindow)
    triggers.push(p.trigger.subarray(0, keep))
    if (p.tokens) tokens.push(p.tokens.subarray(0, (p.tokens.length / p.steps) * keep))
    if (start + windowSamples >= samples.length) break
  }
  const trigger = concatFloat32(triggers)
  return {trigger, tokens: tokens.length ? concatFloat32(tokens) : undefined, steps: trigger.length}
}
