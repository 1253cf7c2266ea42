import type * as tf from '@tensorflow/tfjs'

/**
 * The detector's encoder: the layers below its heads (the Conv1D, every GRU
 * and the BatchNorms between them), by their Keras names (build.ts). A
 * network pretrained on many words (bench/encoder) lends these to a new
 * word's detector, whose trigger and token heads start afresh.
 */
const ENCODER_LAYER = /^(conv1d|batch_normalization|gru)_\d+$/

/** The shapes of a list of weights as one comparable string, e.g. "15x37x128,128". */
export function weightShapes(weights: readonly tf.Tensor[]): string {
  return weights.map((w) => w.shape.join('x')).join(',')
}

export function isEncoderLayer(layer: tf.layers.Layer): boolean {
  return ENCODER_LAYER.test(layer.name)
}

/**
 * Copy the encoder layers' weights of `source` into `target` (same layer
 * names and shapes); returns the names copied. Throws naming the first layer
 * whose shapes differ, so a mismatched encoder never half-loads.
 */
export function copyEncoder(target: tf.LayersModel, source: tf.LayersModel): string[] {
  const pairs: Array<[tf.layers.Layer, tf.Tensor[]]> = []
  for (const layer of target.layers.filter(isEncoderLayer)) {
    let from: tf.layers.Layer
    try {
      from = source.getLayer(layer.name)
    } catch {
      throw new Error(`the encoder has no layer ${layer.name}`)
    }
    const weights = from.getWeights()
    const mine = layer.getWeights()
    if (weightShapes(weights) !== weightShapes(mine)) throw new Error(`the encoder's ${layer.name} has weights ${weightShapes(weights)}, this network's ${weightShapes(mine)}`)
    pairs.push([layer, weights])
  }
  for (const [layer, weights] of pairs) layer.setWeights(weights)
  return pairs.map(([layer]) => layer.name)
}

/**
 * Stop training the encoder layers (only the heads learn); returns the
 * layers frozen. BatchNorm statistics are non-trainable weights that the
 * training call still updates, so they follow the new word's data.
 */
export function freezeEncoder(model: tf.LayersModel): string[] {
  return freezeLayers(model, model.layers.filter(isEncoderLayer).map((l) => l.name))
}

/** Mark these layers non-trainable (a gradient thread's replica copies the main model's choice). */
export function freezeLayers(model: tf.LayersModel, names: readonly string[]): string[] {
  for (const name of names) model.getLayer(name).trainable = false
  return [...names]
}
