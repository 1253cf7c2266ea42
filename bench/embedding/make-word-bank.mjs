// The shipped word bank (data/word-bank/words.bank; src/train/embedding/word-bank.ts): ten Speech Commands
// words said by people (the train half of ../shared/data/real/commands: even positions, as
// bench/real/prepare.mjs splits it) and by every offline synthesizer (30 clips a word, voices of
// bench/heldout-voices.txt and calibration-voices.txt left out), each clip mixed once into an example after
// up to two words of the same pool, over procedural noise, and embedded, with its words and where they end.
//   npm run build && node bench/embedding/make-word-bank.mjs [WORK] [OUT]
// SENTENCES=real adds sentences read by people (the speechocean762 corpus's train speakers, up to 20
// utterances each: sentences.mjs), each with where its words end; SENTENCES=all adds the same sentences read
// by the synthesizers too (one reading each, every engine in turn). SO762 is then a checkout of github
// jimbozhang/speechocean762 @613968e3 (its WAVE/ and train/). The levers of bench/RESULTS.md (session 18);
// the shipped bank has no sentences.
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdir, readdir} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import {SAMPLE_RATE} from '../../dist/src/audio/read.js'
import {readClipFolder} from '../../dist/src/dataset/clips.js'
import {openFrontEnd} from '../../dist/src/features/front-end.js'
import {loadSpeechEmbedding} from '../../dist/src/features/speech-embedding.js'
import {clipHash} from '../../dist/src/train/embedding/cache.js'
import {embedClipExamples, exampleBackgrounds} from '../../dist/src/train/embedding/data.js'
import {wordExampleName} from '../../dist/src/train/embedding/word-bank.js'
import {writeBank} from '../../dist/src/train/feature-bank.js'
import {selectBackend} from '../../dist/src/model/backend.js'
import {TtsEngines} from '../../dist/src/dataset/tts-engines.js'
import {alignedSentences, sentenceAligner, synthesizedSentences} from './sentences.mjs'

const WORDS = ['down', 'go', 'left', 'no', 'off', 'on', 'right', 'stop', 'up', 'yes']
const REAL = resolve(process.env.REAL ?? '../shared/data/real')
const [work = `${process.env.TMPDIR ?? '/tmp'}/rnn-wake-word-bank`, out = 'data/word-bank/words.bank'] = process.argv.slice(2)
const SENTENCES = process.env.SENTENCES ?? ''
const SO762 = resolve(process.env.SO762 ?? 'speechocean762')
/** Utterances of each speechocean762 train speaker (at most; about 80% are short enough). */
const PER_SPEAKER = 20
if (!existsSync(join(REAL, 'commands'))) {
  console.log(`bench/embedding/make-word-bank: ${REAL}/commands is absent; nothing made`)
  process.exit(0)
}
if (!['', 'real', 'all'].includes(SENTENCES)) {
  console.error(`bench/embedding/make-word-bank: SENTENCES is real, all or unset (got "${SENTENCES}")`)
  process.exit(1)
}
if (SENTENCES && !existsSync(join(SO762, 'train', 'text'))) {
  console.error(`bench/embedding/make-word-bank: SENTENCES needs SO762, a checkout of github jimbozhang/speechocean762 with WAVE/ and train/ (${SO762} has no train/text)`)
  process.exit(1)
}
const notTraining = `${readFileSync('bench/heldout-voices.txt', 'utf8').trim()},${readFileSync('bench/calibration-voices.txt', 'utf8').trim()}`
const pool = []
for (const word of WORDS) {
  const tts = join(work, 'tts', word)
  if (!existsSync(tts)) execFileSync('node', ['bin/run.js', 'tts', word, '--count', '30', '--seed', '3', '--engine', 'all', '--exclude-voices', notTraining, '--out', tts], {stdio: 'ignore'})
  const names = (await readdir(join(REAL, 'commands', word))).filter((n) => n.endsWith('.wav')).sort()
  const people = (await readClipFolder(join(REAL, 'commands', word), 'commands', word, 'negative')).sort((a, b) => (a.source < b.source ? -1 : 1))
  // Even positions train (bench/real/prepare.mjs); the odd ones are the benchmark's test negatives.
  const train = people.filter((c) => names.indexOf(c.source.split('/').pop()) % 2 === 0)
  const synthesized = await readClipFolder(tts, 'tts', word, 'negative')
  pool.push(...train, ...synthesized)
  console.log(`${word}: ${train.length} recordings, ${synthesized.length} synthesized`)
}
await selectBackend('wasm')
const weights = await loadSpeechEmbedding('bench')
const frontEnd = await openFrontEnd({kind: 'speech-embedding', sampleRate: SAMPLE_RATE, weights: weights.sha256}, 'bench')
const backgrounds = exampleBackgrounds(pool, 1, SAMPLE_RATE)
const sequences = pool.map((clip) => {
  const example = embedClipExamples(frontEnd, clip, clipHash(clip), pool, backgrounds, {perClip: 1, seed: 1, sampleRate: SAMPLE_RATE, recordWords: true}).positives[0]
  return {name: wordExampleName(example.words), frames: example.steps, data: example.data}
})
const sources = {words: WORDS, people: 'Speech Commands v0.02 test set, even positions', synthesized: 'rnn-wake tts --engine all, 30 clips a word, seed 3'}
if (SENTENCES) {
  const align = sentenceAligner(frontEnd)
  const read = await alignedSentences(SO762, frontEnd, align, PER_SPEAKER, console.log)
  sequences.push(...read.sequences)
  sources.sentences = `speechocean762 train speakers, up to ${PER_SPEAKER} utterances each (${read.tooLong} too long left out), word ends aligned to espeak-ng`
  if (SENTENCES === 'all') {
    const engines = await TtsEngines.load(['espeak', 'svox', 'gnuspeech'])
    sequences.push(...(await synthesizedSentences(read.kept, frontEnd, align, engines, engines.selectVoices([], notTraining.split(',')), 4, console.log)))
    sources.synthesizedSentences = 'the same sentences, one reading each by rnn-wake tts voices (every engine in turn, seed 4)'
  }
}
await mkdir(join(out, '..'), {recursive: true})
await writeBank(out, {bins: 96, frontEnd: weights.sha256, sequences, sources})
console.log(`${out}: ${sequences.length} examples`)
