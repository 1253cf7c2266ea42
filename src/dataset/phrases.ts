import {UserError} from '../util/errors.js'

/**
 * Command phrases for synthesis, and the token vocabulary a CTC head learns
 * from a dataset's transcripts.
 *
 * A phrase is a short sequence of vocabulary words ("lights on") that
 * synthesis places right after a trigger, one word clip after another, so the
 * transcripts hold the word orders a listener must recognise rather than
 * words in random order.
 */

/** A phrase: its words, each the name of a word folder in the --words layout. */
export type Phrase = string[]

/** The text of a phrase as a user writes it. */
export function phraseText(phrase: readonly string[]): string {
  return phrase.join(' ')
}

/**
 * Phrases from `--phrases "lights on,lights off,stop"` (separator ',') or a
 * file with one phrase per line (separator '\n', where blank lines and lines
 * starting with '#' are skipped). Words are separated by whitespace.
 * `origin` names where the text came from, for error messages.
 */
export function parsePhrases(text: string, separator: ',' | '\n', origin: string): Phrase[] {
  const phrases: Phrase[] = []
  const seen = new Map<string, string>()
  const items = text.split(separator === ',' ? ',' : /\r?\n/)
  for (const [i, item] of items.entries()) {
    const words = item.trim().split(/\s+/).filter((w) => w !== '')
    const where = separator === ',' ? `phrase ${i + 1}` : `line ${i + 1}`
    if (words.length === 0 || (separator === '\n' && words[0].startsWith('#'))) {
      // An empty item between commas is a typo; in a file, blank lines are layout.
      if (separator === ',' && words.length === 0) throw new UserError(`${origin}: ${where} is empty (phrases are separated by commas, e.g. "lights on,stop")`, 'usage')
      continue
    }
    const key = phraseText(words)
    const earlier = seen.get(key)
    if (earlier !== undefined) throw new UserError(`${origin}: "${key}" is listed twice (${earlier} and ${where})`, 'usage')
    seen.set(key, where)
    phrases.push(words)
  }
  if (phrases.length === 0) throw new UserError(`${origin}: no phrases given`, 'usage')
  return phrases
}

/** Token units of a CTC vocabulary: whole words, or characters with a space token between words. */
export type TokenUnit = 'word' | 'char'

/**
 * What a CTC head emits besides the blank. Token id i is `tokens[i]`; the
 * blank is not listed (src/ctc puts it after the last token, id tokens.length).
 */
export interface Vocabulary {
  unit: TokenUnit
  tokens: string[]
}

/** The token separating words in character units. */
export const SPACE_TOKEN = ' '

/**
 * A word in angle brackets (the course's "<other>", which stands for unnamed
 * words) is a class, not spelling: it stays one token in character units too.
 */
export function isSpecialWord(word: string): boolean {
  return word.length > 2 && word.startsWith('<') && word.endsWith('>')
}

/** Code-unit order, as everywhere in datasets: a vocabulary must not depend on the locale. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The tokens of one word: itself, or its characters (by code point), spaces inside a word included. */
function unitsOf(word: string, unit: TokenUnit): string[] {
  return unit === 'word' || isSpecialWord(word) ? [word] : Array.from(word)
}

/** The parts of a dataset (readDataset's result fits) that name its words. */
export interface VocabularySource {
  /** dataset.json: `words` lists every source word, placed or not. */
  info?: {words?: unknown}
  entries?: ReadonlyArray<{transcript: readonly string[]}>
}

function infoWords(info: {words?: unknown} | undefined): string[] {
  const words = info?.words
  if (!Array.isArray(words)) return []
  return words.flatMap((w: unknown) => (typeof w === 'object' && w !== null && typeof (w as {word?: unknown}).word === 'string' ? [(w as {word: string}).word] : []))
}

/**
 * The vocabulary of a dataset: every word of dataset.json's `words` (so a
 * word that no example happens to hold still gets a token) and of every
 * transcript, as words or as characters. Tokens are sorted by UTF-16 code
 * unit, so the same words always give the same ids. In character units the
 * space token is included as soon as any transcript could need it (always,
 * unless no entry has two words and no word holds a space).
 */
export function vocabularyFromDataset(source: VocabularySource, unit: TokenUnit = 'word'): Vocabulary {
  const tokens = new Set<string>()
  const words = [...infoWords(source.info), ...(source.entries ?? []).flatMap((e) => e.transcript)]
  for (const word of words) for (const t of unitsOf(word, unit)) tokens.add(t)
  if (unit === 'char' && (source.entries ?? []).some((e) => e.transcript.length > 1)) tokens.add(SPACE_TOKEN)
  tokens.delete('')
  return {unit, tokens: [...tokens].sort(byCodeUnit)}
}

/**
 * Whether the vocabulary can spell `word`. A model with a small command
 * vocabulary (train --ctc-vocabulary) is asked to stay silent on every other
 * word, so targets and references keep only the words this admits.
 */
export function inVocabulary(word: string, vocab: Pick<Vocabulary, 'unit' | 'tokens'>): boolean {
  const tokens = new Set(vocab.tokens)
  return unitsOf(word, vocab.unit).every((t) => tokens.has(t))
}

/**
 * A transcript as token ids. Word units: one id per word. Character units:
 * the characters of each word, with the space token between consecutive
 * words (none before the first or after the last), e.g. ["lights", "on"] ->
 * l i g h t s ␣ o n.
 */
export function encodeTranscript(words: readonly string[], vocab: Vocabulary): number[] {
  const ids = new Map(vocab.tokens.map((t, i) => [t, i]))
  const out: number[] = []
  const push = (token: string, word: string): void => {
    const id = ids.get(token)
    if (id === undefined) {
      const what = vocab.unit === 'word' ? `the word "${word}"` : `"${token}" (in "${word}")`
      throw new UserError(`Cannot encode ${what}: it is not in the ${vocab.unit} vocabulary of ${vocab.tokens.length} tokens`, 'badInput')
    }
    out.push(id)
  }
  words.forEach((word, i) => {
    if (vocab.unit === 'char' && i > 0) push(SPACE_TOKEN, word)
    for (const t of unitsOf(word, vocab.unit)) push(t, word)
  })
  return out
}

/**
 * Token ids back to words. In character units words are split at space
 * tokens, so a word that itself holds a space comes back as two words.
 */
export function decodeTokens(ids: readonly number[], vocab: Vocabulary): string[] {
  const tokens = ids.map((id) => {
    const t = vocab.tokens[id]
    if (t === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (0..${vocab.tokens.length - 1})`)
    return t
  })
  if (vocab.unit === 'word') return tokens
  const words: string[] = []
  let current = ''
  for (const t of tokens) {
    if (t === SPACE_TOKEN) {
      if (current !== '') words.push(current)
      current = ''
    } else {
      current += t
    }
  }
  if (current !== '') words.push(current)
  return words
}
