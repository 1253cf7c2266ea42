import * as tf from '@tensorflow/tfjs'

import {type Vocabulary, encodeTranscript} from '../dataset/phrases.js'

/**
 * Per-step targets for the token head, from the word end times that
 * synthesized data knows. CTC alone learns from the token sequence only, and
 * on this machine's budget (hundreds of Adam steps, not tens of thousands)
 * a small shared encoder left it at the blank plateau for every word but the
 * trigger (bench/RESULTS.md, ctc section). Asking the head for each word's
 * token in the `span` steps after the word ends, and blank elsewhere, gives
 * the encoder a dense signal like the trigger head's labels. It is one valid
 * CTC path (each token once, in order, blanks between), so the two losses
 * agree; CTC still decides the exact emission step.
 *
 * Word units only: a character's place inside a word is not known.
 * Returns one class id per step (blank = tokens.length), or undefined when
 * the example carries no word times.
 */
export function alignmentTargets(
  transcript: readonly string[] | undefined,
  wordEndSteps: readonly number[] | undefined,
  vocab: Vocabulary,
  steps: number,
  span: number,
  silentEndSteps: readonly number[] = [],
): Int32Array | undefined {
  if (vocab.unit !== 'word' || transcript === undefined || wordEndSteps === undefined || transcript.length !== wordEndSteps.length) return undefined
  const blank = vocab.tokens.length
  const targets = new Int32Array(steps).fill(blank)
  const ids = encodeTranscript(transcript, vocab)
  for (let i = 0; i < ids.length; i++) {
    const end = wordEndSteps[i]
    const start = Math.max(0, end)
    // A blank before the next word's span keeps a repeated word ("music music") two tokens.
    const next = i + 1 < ids.length ? Math.max(end + 1, wordEndSteps[i + 1] - 1) : Infinity
    const stop = Math.min(steps, end + span, next)
    for (let t = start; t < stop; t++) targets[t] = ids[i]
  }
  // After a word outside the vocabulary the head must stay silent where it would otherwise emit: blank, weighed as a word's steps.
  for (const end of silentEndSteps) {
    for (let t = Math.max(0, end); t < Math.min(steps, end + span); t++) if (targets[t] === blank) targets[t] = SILENT
  }
  return targets
}

/** Target code of a blank step just after a word outside the vocabulary (alignmentLoss weighs it as a word's step). */
export const SILENT = -1

/**
 * Per-step cross-entropy of token posteriors `probs` (batch x steps x
 * classes, a softmax's output) against class ids (batch x steps, flattened;
 * SILENT: blank), balanced: the mean over word steps (SILENT steps count as
 * word steps) plus the mean over the other blank steps, halved.
 * Blank holds ~85% of the steps, so a plain mean is met by an all-blank
 * head that has not yet learned which word is which; balancing gives the
 * words' steps as much weight as all the blanks.
 */
export function alignmentLoss(probs: tf.Tensor, targets: Int32Array, classes: number): tf.Scalar {
  const blank = classes - 1
  let wordSteps = 0
  for (const t of targets) if (t !== blank) wordSteps++
  const blankSteps = targets.length - wordSteps
  const weights = new Float32Array(targets.length)
  for (let i = 0; i < targets.length; i++) weights[i] = targets[i] === blank ? 0.5 / blankSteps : 0.5 / wordSteps
  if (wordSteps === 0 || blankSteps === 0) weights.fill(1 / targets.length)
  const classIds = targets.map((t) => (t === SILENT ? blank : t))
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.tensor1d(classIds, 'int32'), classes).reshape(probs.shape)
    const perStep = tf.neg(tf.sum(tf.mul(oneHot, tf.log(tf.add(probs, 1e-7))), -1)).reshape([-1])
    return tf.sum(tf.mul(perStep, tf.tensor1d(weights))) as tf.Scalar
  })
}
