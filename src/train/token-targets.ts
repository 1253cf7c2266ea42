import * as tf from '@tensorflow/tfjs'

import {SPACE_TOKEN, type Vocabulary, encodeTranscript, inVocabulary} from '../dataset/phrases.js'
import type {TokenTargets} from './parallel.js'

/**
 * The token head's targets for one sequence of `steps` output steps (either recipe): the ids of
 * the words the vocabulary spells, in order, and their alignment (alignmentTargets), where the
 * end of every word outside the vocabulary asks for silence. `endSteps` (and, for character
 * units, `startSteps`) give each word's steps; without them there is no alignment.
 */
export function vocabularyTargets(words: readonly string[], endSteps: readonly number[] | undefined, vocabulary: Vocabulary, steps: number, span: number, startSteps?: readonly number[]): TokenTargets {
  const keep = words.map((w) => inVocabulary(w, vocabulary))
  const transcript = words.filter((_, i) => keep[i])
  const ends = endSteps?.filter((_, i) => keep[i])
  const silent = endSteps?.filter((_, i) => !keep[i]) ?? []
  const starts = startSteps?.filter((_, i) => keep[i])
  const align = alignmentTargets(transcript, ends, vocabulary, steps, span, silent, starts)
  return {ids: encodeTranscript(transcript, vocabulary), ...(align ? {align} : {})}
}

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
 * Character units need each word's start too (`wordStartSteps`): where a
 * character falls inside its word is not known, so the word's steps are
 * shared out evenly among its characters in order (a flat start, as speech
 * recognizers bootstrap phone models), a blank step parts a doubled letter,
 * and the space token takes the step after a word when the next one starts
 * later. Pretraining an encoder on words spelled in phonetic symbols
 * (bench/encoder) makes these sub-word targets.
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
  wordStartSteps?: readonly number[],
): Int32Array | undefined {
  if (transcript === undefined || wordEndSteps === undefined || transcript.length !== wordEndSteps.length) return undefined
  if (vocab.unit === 'char') return wordStartSteps?.length === transcript.length ? characterTargets(transcript, wordStartSteps, wordEndSteps, vocab, steps) : undefined
  if (vocab.unit !== 'word') return undefined
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

/** See alignmentTargets: each word's characters spread evenly over the steps from its start to its end. */
function characterTargets(transcript: readonly string[], starts: readonly number[], ends: readonly number[], vocab: Vocabulary, steps: number): Int32Array {
  const blank = vocab.tokens.length
  const targets = new Int32Array(steps).fill(blank)
  const space = vocab.tokens.indexOf(SPACE_TOKEN)
  transcript.forEach((word, w) => {
    const letters = encodeTranscript([word], vocab)
    const start = starts[w]
    const length = Math.max(ends[w] - start + 1, letters.length)
    letters.forEach((id, k) => {
      const from = start + Math.floor((k * length) / letters.length)
      const to = start + Math.floor(((k + 1) * length) / letters.length)
      const doubled = k > 0 && letters[k - 1] === id
      for (let t = Math.max(0, from + (doubled ? 1 : 0)); t < Math.min(steps, to); t++) targets[t] = id
    })
    const after = start + length
    if (space >= 0 && w + 1 < transcript.length && after < starts[w + 1] && after >= 0 && after < steps) targets[after] = space
  })
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
