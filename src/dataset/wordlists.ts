import {editCounts} from '../metrics/edit-distance.js'

/**
 * Words to speak as negatives: the ones a detector confuses with its trigger
 * (hard negatives) and everyday words (easy negatives, which teach it that
 * speech in general is not the trigger).
 *
 * Confusability is judged on spelling, not sound: a small curated table for
 * well-known wake words, then spelling neighbours (shared start, shared
 * ending, small edit distance) from the lists below. Spelling is a rough proxy
 * for sound in English, but it is predictable, needs no phonetic dictionary,
 * and the curated table covers the cases where it fails.
 */

/** About 300 frequent English words: function words, common verbs, nouns and adjectives. */
export const COMMON_WORDS: readonly string[] = [
  // function words
  'the', 'of', 'and', 'to', 'in', 'is', 'you', 'that', 'it', 'he', 'was', 'for', 'on', 'are', 'as', 'with',
  'his', 'they', 'at', 'be', 'this', 'have', 'from', 'or', 'one', 'had', 'by', 'but', 'not', 'what', 'all',
  'were', 'we', 'when', 'your', 'can', 'said', 'there', 'each', 'which', 'she', 'do', 'how', 'their', 'if',
  'will', 'up', 'other', 'about', 'out', 'many', 'then', 'them', 'these', 'so', 'some', 'her', 'would',
  'make', 'like', 'him', 'into', 'time', 'has', 'look', 'two', 'more', 'write', 'go', 'see', 'number', 'no',
  'way', 'could', 'people', 'my', 'than', 'first', 'water', 'been', 'call', 'who', 'now', 'find', 'long',
  'down', 'day', 'did', 'get', 'come', 'made', 'may', 'part', 'over', 'new', 'after', 'also', 'back',
  'because', 'before', 'between', 'both', 'during', 'every', 'here', 'just', 'never', 'only', 'should',
  'still', 'through', 'under', 'very', 'where', 'while', 'why', 'without', 'yes', 'maybe', 'please',
  'thanks', 'hello', 'okay', 'sorry', 'again', 'always', 'really', 'today', 'tomorrow', 'yesterday',
  // verbs
  'ask', 'begin', 'bring', 'build', 'buy', 'carry', 'change', 'close', 'cook', 'cut', 'drink', 'drive',
  'eat', 'fall', 'feel', 'follow', 'give', 'grow', 'happen', 'hear', 'help', 'hold', 'keep', 'know',
  'learn', 'leave', 'listen', 'live', 'lose', 'love', 'meet', 'move', 'need', 'open', 'pay', 'play',
  'put', 'read', 'remember', 'run', 'say', 'send', 'show', 'sing', 'sit', 'sleep', 'speak', 'stand',
  'start', 'stay', 'stop', 'take', 'talk', 'teach', 'tell', 'think', 'try', 'turn', 'understand', 'use',
  'wait', 'walk', 'want', 'watch', 'wear', 'win', 'work', 'worry',
  // nouns
  'air', 'animal', 'answer', 'apple', 'area', 'baby', 'ball', 'bank', 'bed', 'bird', 'boat', 'body', 'book',
  'box', 'boy', 'bread', 'car', 'cat', 'chair', 'child', 'city', 'class', 'coffee', 'color', 'country',
  'dinner', 'doctor', 'dog', 'door', 'dream', 'earth', 'evening', 'eye', 'face', 'family', 'father',
  'fire', 'fish', 'floor', 'flower', 'food', 'friend', 'game', 'garden', 'girl', 'glass', 'hand', 'head',
  'heart', 'home', 'horse', 'hour', 'house', 'idea', 'island', 'kitchen', 'lamp', 'letter', 'light',
  'line', 'minute', 'money', 'month', 'morning', 'mother', 'mountain', 'music', 'name', 'night', 'office',
  'paper', 'party', 'phone', 'picture', 'place', 'question', 'radio', 'rain', 'river', 'road', 'room',
  'school', 'sea', 'shop', 'sister', 'song', 'sound', 'story', 'street', 'student', 'sun', 'table',
  'teacher', 'television', 'thing', 'train', 'tree', 'week', 'window', 'winter', 'word', 'world', 'year',
  // adjectives
  'bad', 'beautiful', 'big', 'black', 'blue', 'cold', 'dark', 'different', 'easy', 'early', 'fast',
  'free', 'full', 'good', 'great', 'green', 'happy', 'hard', 'high', 'hot', 'important', 'large', 'late',
  'little', 'low', 'nice', 'old', 'possible', 'quick', 'quiet', 'ready', 'red', 'right', 'short', 'slow',
  'small', 'strong', 'sure', 'tired', 'true', 'warm', 'white', 'wrong', 'young',
]

/**
 * Longer words, searched for spelling neighbours of a trigger but not used as
 * everyday negatives: multi-syllable words are where a trigger's confusions
 * live (activate: captivate, motivate; computer: commuter, compute).
 */
const NEIGHBOUR_POOL: readonly string[] = [
  'action', 'actor', 'actually', 'activate', 'activated', 'activating', 'activation', 'active', 'actively',
  'activist', 'activity', 'captivate', 'cultivate', 'motivate', 'motivation', 'renovate', 'elevate',
  'innovate', 'navigate', 'aggravate', 'excavate', 'deactivate', 'reactivate', 'captive', 'attractive',
  'factor', 'tractor', 'accurate', 'adequate', 'advocate', 'candidate', 'certificate', 'dedicate',
  'educate', 'estimate', 'graduate', 'indicate', 'separate', 'update', 'create', 'relate', 'locate',
  'computer', 'compute', 'commuter', 'computing', 'company', 'complete', 'compete', 'comfort', 'consumer',
  'alex', 'alexander', 'alexis', 'election', 'electric', 'lexus', 'texas', 'relax', 'galaxy',
  'garvey', 'jarring', 'harvest', 'java', 'marvin', 'marvel', 'nervous', 'service', 'travis',
  'assistant', 'system', 'listen', 'message', 'weather', 'calendar', 'alarm', 'volume', 'music',
  'google', 'goggle', 'noodle', 'doodle', 'cereal', 'serious', 'seriously', 'city', 'siren',
  'nova', 'november', 'novel', 'over', 'mycroft', 'microphone', 'microsoft', 'minecraft', 'aircraft',
  'wake', 'awake', 'weekend', 'basically', 'probably', 'generally', 'medicine', 'elephant', 'potato',
  'tomato', 'banana', 'umbrella', 'vacation', 'situation', 'conversation', 'information', 'education',
  'population', 'celebrate', 'operate', 'decorate', 'communicate', 'appreciate', 'anticipate',
]

/**
 * Hand-picked confusions for common wake words: near rhymes, shared stressed
 * syllables and words that contain the trigger. Spelling search alone misses
 * several of these (alexa: election, lexus; siri: serious, cereal).
 */
export const CURATED_CONFUSABLES: Readonly<Record<string, readonly string[]>> = {
  activate: ['activity', 'active', 'captivate', 'activated', 'motivate', 'activation', 'cultivate', 'actively', 'deactivate', 'activist', 'renovate', 'action', 'actually', 'elevate', 'innovate', 'navigate'],
  alexa: ['alex', 'alexis', 'election', 'lexus', 'texas', 'relax', 'alexander', 'electric', 'lexicon', 'galaxy', 'alexia'],
  jarvis: ['service', 'marvin', 'travis', 'nervous', 'harvest', 'garvey', 'jar', 'java', 'davis'],
  'hey jarvis': ['hey', 'jarvis', 'hey travis', 'hey marvin', 'hey service', 'a jar is', 'hey davis'],
  computer: ['compute', 'commuter', 'computing', 'computers', 'company', 'complete', 'compete', 'consumer', 'tuner', 'computed'],
  siri: ['serious', 'cereal', 'series', 'city', 'siren', 'seriously', 'sherry', 'cherry', 'very'],
  'hey siri': ['hey', 'siri', 'hey serious', 'hey city', 'hey series', 'a cereal'],
  google: ['goggle', 'noodle', 'doodle', 'googol', 'gargle', 'bugle', 'frugal', 'giggle'],
  'ok google': ['okay', 'google', 'ok noodle', 'ok doodle', 'okay goggles', 'a cool gull'],
  mycroft: ['microphone', 'microsoft', 'minecraft', 'aircraft', 'my craft', 'my crop', 'crofter'],
  'hey mycroft': ['hey', 'mycroft', 'hey microsoft', 'hey minecraft', 'hey my craft', 'hey aircraft'],
  nova: ['november', 'novel', 'over', 'supernova', 'bossa nova', 'nevada'],
  marvin: ['marvel', 'margin', 'martin', 'carving', 'marvellous', 'jarvis', 'starving'],
}

export interface ConfusableOptions {
  /** At most this many words (default 24). */
  limit?: number
}

/** Lower case, single spaces: the key under which a trigger is looked up. */
export function normalizeWord(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, ' ')
}

function sharedPrefix(a: string, b: string): number {
  let n = 0
  while (n < a.length && n < b.length && a[n] === b[n]) n++
  return n
}

function sharedSuffix(a: string, b: string): number {
  let n = 0
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++
  return n
}

/**
 * How alike two spellings look, 0 (unrelated) to about 1.5 (near identical):
 * one minus the edit distance relative to the longer word, plus a bonus for a
 * shared start or ending of three letters or more, because a detector hears
 * the start (acti-vate / acti-vity) and the stressed ending (acti-vate /
 * capti-vate) of a word most.
 */
export function spellingSimilarity(a: string, b: string): number {
  const longer = Math.max(a.length, b.length)
  if (longer === 0) return 0
  const closeness = 1 - editCounts(a, b).errors / longer
  const prefix = sharedPrefix(a, b)
  const suffix = sharedSuffix(a, b)
  const bonus = (prefix >= 3 ? prefix / longer : 0) + (suffix >= 3 ? suffix / longer : 0)
  return closeness + 0.5 * bonus
}

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y'])

/**
 * The two halves of a word, split before a consonant that starts a syllable
 * (a consonant followed by a vowel, with a vowel somewhere before it), the
 * boundary nearest the middle: activate -> acti, vate; jarvis -> jar, vis;
 * computer -> com, puter. Half a trigger is a classic hard negative: the
 * detector must wait for the whole word. Words under five letters have no
 * useful halves.
 */
export function wordHalves(word: string): string[] {
  const w = normalizeWord(word)
  if (w.length < 5 || w.includes(' ')) return []
  let best = -1
  let seenVowel = false
  for (let i = 1; i < w.length - 1; i++) {
    seenVowel ||= VOWELS.has(w[i - 1])
    const onset = seenVowel && !VOWELS.has(w[i]) && VOWELS.has(w[i + 1])
    if (onset && (best < 0 || Math.abs(i - w.length / 2) < Math.abs(best - w.length / 2))) best = i
  }
  if (best < 0) return []
  return [w.slice(0, best), w.slice(best)].filter((h) => h.length >= 2 && [...h].some((c) => VOWELS.has(c)))
}

/** Below this a spelling neighbour is not worth speaking (e.g. "activate" vs "decorate" scores ~0.6). */
const NEIGHBOUR_THRESHOLD = 0.55

/**
 * Words that sound (or are spelled) close to `trigger`, best first: the
 * curated entry if there is one, then, for a phrase, each of its words on its
 * own ("hey", "jarvis"), then the halves of a single word (wordHalves), then
 * spelling neighbours from the word lists. Never the trigger itself.
 */
export function confusableWords(trigger: string, options: ConfusableOptions = {}): string[] {
  const limit = options.limit ?? 24
  const key = normalizeWord(trigger)
  const out: string[] = []
  const add = (word: string): void => {
    const w = normalizeWord(word)
    if (w.length > 0 && w !== key && !out.includes(w)) out.push(w)
  }
  for (const word of CURATED_CONFUSABLES[key] ?? []) add(word)
  const parts = key.split(' ')
  if (parts.length > 1) for (const part of parts) add(part)
  else for (const half of wordHalves(key)) add(half)

  // Score against the last word of a phrase: it carries the phrase's identity ("hey jarvis" -> "jarvis").
  const target = parts[parts.length - 1]
  const scored = [...new Set([...NEIGHBOUR_POOL, ...COMMON_WORDS])]
    .map((word) => ({word, score: spellingSimilarity(target, word)}))
    .filter((s) => s.score >= NEIGHBOUR_THRESHOLD)
    .sort((a, b) => b.score - a.score || (a.word < b.word ? -1 : a.word > b.word ? 1 : 0))
  for (const {word} of scored) add(parts.length > 1 ? [...parts.slice(0, -1), word].join(' ') : word)
  return out.slice(0, limit)
}

/** Common words minus the trigger and its confusables, so the two groups of negatives do not overlap. */
export function commonWordsExcept(exclude: readonly string[]): string[] {
  const skip = new Set(exclude.map(normalizeWord))
  return COMMON_WORDS.filter((w) => !skip.has(w))
}
