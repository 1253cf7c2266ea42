import * as tf from '@tensorflow/tfjs'

import {SAMPLE_RATE} from '../../src/audio/read.js'
import {LOG_FEATURES} from '../../src/features/transform.js'
import {CONFIG_FORMAT, CONFIG_VERSION, type ModelConfig, courseFeatures} from '../../src/model/config.js'
import {FusedGRU} from '../../src/model/gru.js'
import {saveDetector} from '../../src/model/model-dir.js'
import type {ModelPreset} from '../../src/model/presets.js'
import {FusedTimeDistributed} from '../../src/model/time-distributed.js'
import {COURSE_TRIGGER} from '../../src/stream/trigger.js'

/**
 * A detector whose behaviour is known without training: the course layout
 * (conv, BN, GRU x2, TimeDistributed Dense) with hand-set weights so that it
 * "hears" three pure tones. A tone at 2205 Hz (spectrogram bin 10) is the
 * trigger word; with the CTC head, 2205 Hz reads as "activate", 15435 Hz
 * (bin 70) as "lights" and 7717.5 Hz (bin 35) as "on"; anything else is
 * blank. Every BatchNorm is the identity and each GRU is memoryless
 * (update gate shut, no recurrence), so a step's output depends only on the
 * 15 frames under it.
 */

export const TOY_PRESET: ModelPreset = {
  name: 'toy',
  features: 101,
  conv: {filters: 3, kernelSize: 15, strides: 4},
  gruUnits: [3, 3],
  dropout: 0.1,
  recurrentActivation: 'hardSigmoid',
}

export const TOY_TOKENS = ['activate', 'lights', 'on']
/** Spectrogram bin of each conv filter's tone: trigger/"activate", "lights", "on". */
const TONE_BINS = [10, 70, 35]
const BIN_HZ = SAMPLE_RATE / 200

export function toyConfig(ctc: boolean): ModelConfig {
  return {
    format: CONFIG_FORMAT,
    version: CONFIG_VERSION,
    word: 'activate',
    preset: TOY_PRESET,
    features: courseFeatures(LOG_FEATURES),
    trigger: COURSE_TRIGGER,
    ...(ctc ? {vocabulary: {unit: 'word' as const, tokens: TOY_TOKENS, blank: TOY_TOKENS.length}} : {}),
  }
}

export function buildToyModel(ctc: boolean): tf.LayersModel {
  const {filters, kernelSize, strides} = TOY_PRESET.conv
  const H = filters
  const input = tf.input({shape: [null, 101], name: 'input_1'})
  const conv = tf.layers.conv1d({name: 'conv1d_1', filters, kernelSize, strides})
  const bns = [1, 2, 3].map((i) => tf.layers.batchNormalization({name: `batch_normalization_${i}`}))
  const grus = [1, 2].map((i) => new FusedGRU({name: `gru_${i}`, units: H, returnSequences: true}))
  const drop = (i: number) => tf.layers.dropout({rate: 0.1, name: `dropout_${i}`})
  let y = conv.apply(input) as tf.SymbolicTensor
  y = bns[0].apply(y) as tf.SymbolicTensor
  y = tf.layers.activation({activation: 'relu', name: 'activation_1'}).apply(y) as tf.SymbolicTensor
  y = drop(1).apply(y) as tf.SymbolicTensor
  y = grus[0].apply(y) as tf.SymbolicTensor
  y = drop(2).apply(y) as tf.SymbolicTensor
  y = bns[1].apply(y) as tf.SymbolicTensor
  y = grus[1].apply(y) as tf.SymbolicTensor
  y = drop(3).apply(y) as tf.SymbolicTensor
  y = bns[2].apply(y) as tf.SymbolicTensor
  y = drop(4).apply(y) as tf.SymbolicTensor
  const trigger = new FusedTimeDistributed({name: 'time_distributed_1', layer: tf.layers.dense({units: 1, activation: 'sigmoid', name: 'dense_1'})})
  const ctcHead = new FusedTimeDistributed({name: 'time_distributed_2', layer: tf.layers.dense({units: TOY_TOKENS.length + 1, activation: 'softmax', name: 'dense_2'})})
  const outputs = [trigger.apply(y) as tf.SymbolicTensor, ...(ctc ? [ctcHead.apply(y) as tf.SymbolicTensor] : [])]
  const model = tf.model({inputs: input, outputs, name: 'rnn_wake_toy'})

  // Conv: filter f is the mean log power (log10 features) over 3 bins around
  // its tone and all 15 frames, minus 3: a tone gives ~+4, silence ~-3.
  const kernel = new Float32Array(kernelSize * 101 * filters)
  for (let k = 0; k < kernelSize; k++) {
    for (let f = 0; f < filters; f++) {
      for (let b = TONE_BINS[f] - 1; b <= TONE_BINS[f] + 1; b++) kernel[(k * 101 + b) * filters + f] = 1 / (3 * kernelSize)
    }
  }
  conv.setWeights([tf.tensor3d(kernel, [kernelSize, 101, filters]), tf.fill([filters], -3)])
  // BatchNorm as the identity: (x - 0) / sqrt(var + eps) * 1 + 0 with var + eps = 1.
  for (const bn of bns) bn.setWeights([tf.ones([H]), tf.zeros([H]), tf.zeros([H]), tf.fill([H], 1 - 1e-3)])
  // GRU: z = hardSigmoid(-10) = 0 and no recurrence, so h = tanh(gain * x).
  for (const [i, gru] of grus.entries()) {
    const w = new Float32Array(H * 3 * H)
    for (let u = 0; u < H; u++) w[u * 3 * H + 2 * H + u] = i === 0 ? 1 : 3
    const bias = new Float32Array(3 * H)
    bias.fill(-10, 0, H)
    gru.setWeights([tf.tensor2d(w, [H, 3 * H]), tf.zeros([H, 3 * H]), tf.tensor1d(bias)])
  }
  // Trigger: sigmoid(10 h0 - 5). CTC: logits 16 h_f for the tokens, 10 for
  // the blank: as peaky as a trained head (blank ~1 - 1e-4 in silence), or
  // the beam search rightly prefers stray tokens summed over long silences.
  trigger.setWeights([tf.tensor2d([10, 0, 0], [H, 1]), tf.tensor1d([-5])])
  if (ctc) {
    const w = new Float32Array(H * (TOY_TOKENS.length + 1))
    for (let f = 0; f < H; f++) w[f * (TOY_TOKENS.length + 1) + f] = 16
    ctcHead.setWeights([tf.tensor2d(w, [H, TOY_TOKENS.length + 1]), tf.tensor1d([0, 0, 0, 10])])
  }
  return model
}

export async function saveToyDetector(dir: string, ctc: boolean): Promise<void> {
  const model = buildToyModel(ctc)
  await saveDetector(dir, model, toyConfig(ctc))
  model.dispose()
}

export interface ToySegment {
  /** 'trigger', 'lights' or 'on' (a tone), or silence. */
  kind: 'trigger' | 'lights' | 'on' | 'silence'
  seconds: number
}

const TONE_OF: Record<string, number> = {trigger: TONE_BINS[0], lights: TONE_BINS[1], on: TONE_BINS[2]}

/** Tones with 5 ms fades over a faint noise floor, int16 units. Deterministic. */
export function toyAudio(segments: ToySegment[]): Float64Array {
  const total = Math.round(segments.reduce((s, g) => s + g.seconds, 0) * SAMPLE_RATE)
  const out = new Float64Array(total)
  let seed = 12345
  for (let i = 0; i < total; i++) out[i] = ((seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5) * 60
  let at = 0
  for (const g of segments) {
    const n = Math.round(g.seconds * SAMPLE_RATE)
    if (g.kind !== 'silence') {
      const hz = TONE_OF[g.kind] * BIN_HZ
      const fade = Math.round(0.005 * SAMPLE_RATE)
      for (let i = 0; i < n; i++) {
        const env = Math.min(1, i / fade, (n - 1 - i) / fade)
        out[at + i] += 8000 * env * Math.sin((2 * Math.PI * hz * i) / SAMPLE_RATE)
      }
    }
    at += n
  }
  return out
}

/** "activate, lights on", a pause, "activate" alone: two detections, at ~0.5 s and ~3.4 s. */
export const TOY_SCRIPT: ToySegment[] = [
  {kind: 'silence', seconds: 0.5},
  {kind: 'trigger', seconds: 0.4},
  {kind: 'silence', seconds: 0.2},
  {kind: 'lights', seconds: 0.3},
  {kind: 'silence', seconds: 0.2},
  {kind: 'on', seconds: 0.3},
  {kind: 'silence', seconds: 1.5},
  {kind: 'trigger', seconds: 0.4},
  {kind: 'silence', seconds: 1.2},
]
