import {type Vocabulary, vocabularyFromDataset} from '../../dataset/phrases.js'

/**
 * The token head of the speech-embedding recipe: what "detect" and "listen" transcribe after the
 * trigger (Graves et al.'s CTC on the same GRU steps as the trigger head). Word units only: at
 * 80 ms a step, a word spans a handful of steps, too few to spell it letter by letter. Its
 * targets per sequence are token-targets.ts's vocabularyTargets, as in the spectrogram recipe.
 */

/** Steps after a word's end where its token is the alignment target (160 ms: two 80 ms steps). */
export const ALIGN_SPAN_STEPS = 2

/** The trigger's words and every phrase word, as word tokens (sorted, so the same words give the same ids). */
export function phraseVocabulary(word: string, phrases: ReadonlyArray<readonly string[]>): Vocabulary {
  const words = [...word.split(/\s+/).filter((w) => w !== ''), ...phrases.flat()]
  return vocabularyFromDataset({entries: [{transcript: words}]}, 'word')
}
