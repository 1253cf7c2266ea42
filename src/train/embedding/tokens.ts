import {type Vocabulary, encodeTranscript, inVocabulary, vocabularyFromDataset} from '../../dataset/phrases.js'
import type {TokenTargets} from '../parallel.js'
import {alignmentTargets} from '../token-targets.js'

/**
 * The token head of the speech-embedding recipe: what "detect" and "listen" transcribe after the
 * trigger (Graves et al.'s CTC on the same GRU steps as the trigger head). Word units only: at
 * 80 ms a step, a word spans a handful of steps, too few to spell it letter by letter.
 */

/** Steps after a word's end where its token is the alignment target (160 ms: two 80 ms steps). */
export const ALIGN_SPAN_STEPS = 2

/** The trigger's words and every phrase word, as word tokens (sorted, so the same words give the same ids). */
export function phraseVocabulary(word: string, phrases: ReadonlyArray<readonly string[]>): Vocabulary {
  const words = [...word.split(/\s+/).filter((w) => w !== ''), ...phrases.flat()]
  return vocabularyFromDataset({entries: [{transcript: words}]}, 'word')
}

/**
 * One sequence's targets: the ids of the words it holds that the vocabulary has, in order, and
 * one valid CTC path (each word's token for ALIGN_SPAN_STEPS after it ends, blank elsewhere, and
 * blank weighed as a word where a word outside the vocabulary ends, so the head learns silence there).
 */
export function sequenceTargets(words: ReadonlyArray<{word: string; endStep: number}>, vocabulary: Vocabulary, steps: number): TokenTargets {
  const kept = words.filter((w) => inVocabulary(w.word, vocabulary))
  const silent = words.filter((w) => !inVocabulary(w.word, vocabulary)).map((w) => w.endStep)
  const transcript = kept.map((w) => w.word)
  const align = alignmentTargets(transcript, kept.map((w) => w.endStep), vocabulary, steps, ALIGN_SPAN_STEPS, silent)
  return {ids: encodeTranscript(transcript, vocabulary), ...(align ? {align} : {})}
}
