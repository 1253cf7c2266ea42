import {soundsLike} from '../../dataset/backgrounds.js'
import {InputError} from '../../util/errors.js'
import type {FeatureBank} from '../feature-bank.js'
import type {EmbeddedExample} from './data.js'

/**
 * A bank of word examples: other words said by people and by the synthesizers, each mixed into an
 * example (after up to two words of the same pool, over procedural noise) and embedded, with every
 * placed word and the step where it ends. Stored as a feature bank whose sequence names hold the words
 * (JSON), so it needs no format of its own. The word head learns to name these words in people's
 * voices and the synthesizers' alike; the trigger head takes them as negatives.
 */

/** A bank sequence's name: the words it holds, in order, each with the step where it ends. */
export function wordExampleName(words: ReadonlyArray<{word: string; endStep: number}>): string {
  return JSON.stringify(words.map((w) => [w.word, w.endStep]))
}

/**
 * The bank's examples as negatives with their words, leaving out every example with a word that
 * sounds like the trigger (a bank serves any word: "stop" must not teach a detector of "stop" that
 * stop is not its word). A sequence whose name is not a word list is a corrupt bank.
 */
export function wordBankExamples(bank: FeatureBank, trigger: string, file: string): EmbeddedExample[] {
  const out: EmbeddedExample[] = []
  for (const s of bank.sequences) {
    const words = parseWords(s.name, file)
    if (words.some((w) => w.word === trigger || soundsLike(w.word, trigger) || soundsLike(trigger, w.word))) continue
    out.push({data: s.data, steps: s.frames, positiveSteps: [], words})
  }
  return out
}

function parseWords(name: string, file: string): Array<{word: string; endStep: number}> {
  let parsed: unknown
  try {
    parsed = JSON.parse(name)
  } catch {
    parsed = undefined
  }
  if (!Array.isArray(parsed) || !parsed.every((w) => Array.isArray(w) && typeof w[0] === 'string' && Number.isInteger(w[1]) && w[1] >= 0)) {
    throw new InputError(file, `not a word bank: a sequence is named ${JSON.stringify(name.slice(0, 40))}, not a list of words and end steps`)
  }
  return (parsed as Array<[string, number]>).map(([word, endStep]) => ({word, endStep}))
}
