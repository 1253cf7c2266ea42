import * as tf from '@tensorflow/tfjs'

/**
 * Domain-adversarial training (Ganin & Lempitsky, 2015) against the gap between the user's
 * clips and people. Every batch holds steps of the user's examples (synthesized voices over
 * mixed backgrounds) and steps of recorded speech from the bank. A small critic learns to tell
 * the two apart from the detector's hidden features, and the features are trained through a
 * gradient-reversal layer to defeat it: whatever tells "synthesizer" from "person" is pushed
 * out of the features the trigger head reads, while the trigger loss keeps the word in.
 */
export type DomainLayer = 'projection' | 'recurrent'

export interface DomainCritic {
  /** The detector with one more output first: the hidden features the critic reads (weights shared). */
  tapped: tf.LayersModel
  /** Weight of the critic's loss. */
  weight: number
  variables: tf.Variable[]
}

const CRITIC_UNITS = 32

/**
 * A critic on the detector's hidden features: `projection` is the per-step projection of the
 * embedding (before the GRU), `recurrent` the GRU's normalized output that the heads read.
 */
export function domainCritic(model: tf.LayersModel, layer: DomainLayer, weight: number, seed: number): DomainCritic {
  const tap = layer === 'projection' ? model.layers.find((l) => l.getClassName() === 'Activation') : model.layers.filter((l) => l.getClassName() === 'BatchNormalization').at(-1)
  if (tap === undefined) throw new Error(`domainCritic: the network has no ${layer} layer`)
  const tapped = tf.model({inputs: model.inputs, outputs: [tap.output as tf.SymbolicTensor, ...model.outputs]})
  const width = (tap.outputShape as number[]).at(-1) as number
  const variables = [
    tf.variable(tf.randomNormal([width, CRITIC_UNITS], 0, Math.sqrt(2 / width), 'float32', seed), true, `domain-critic-${seed}-w1`),
    tf.variable(tf.zeros([CRITIC_UNITS]), true, `domain-critic-${seed}-b1`),
    tf.variable(tf.randomNormal([CRITIC_UNITS, 1], 0, Math.sqrt(1 / CRITIC_UNITS), 'float32', seed + 1), true, `domain-critic-${seed}-w2`),
    tf.variable(tf.zeros([1]), true, `domain-critic-${seed}-b2`),
  ]
  return {tapped, weight, variables}
}

/** Scale of the reversed gradient at `progress` (0..1) of training: DANN's ramp from 0 to 1, so the critic learns first. */
export function reversalScale(progress: number): number {
  return 2 / (1 + Math.exp(-10 * progress)) - 1
}

/** Identity going forward; the gradient flows back multiplied by -scale. */
function reverseGradient(x: tf.Tensor, scale: number): tf.Tensor {
  const reverse = tf.customGrad(((input: tf.Tensor) => ({value: tf.add(input, 0), gradFunc: (dy: tf.Tensor) => tf.mul(dy, -scale)})) as unknown as Parameters<typeof tf.customGrad>[0])
  return reverse(x)
}

/** The critic's cross-entropy, telling bank steps (1) from example steps (0) where `mask` is 1 (default everywhere), through the reversal; times its weight. */
export function domainLoss(critic: DomainCritic, features: tf.Tensor, fromBank: tf.Tensor, scale: number, mask?: tf.Tensor): tf.Scalar {
  const [w1, b1, w2, b2] = critic.variables
  const width = features.shape.at(-1) as number
  const flat = tf.reshape(reverseGradient(features, scale), [-1, width])
  const logits = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(flat, w1), b1)), w2), b2)
  const loss = tf.losses.sigmoidCrossEntropy(tf.reshape(fromBank, [-1, 1]), logits, mask === undefined ? undefined : tf.reshape(mask, [-1, 1])) as tf.Scalar
  return tf.mul(loss, critic.weight) as tf.Scalar
}
