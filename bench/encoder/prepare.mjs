// The speech encoder's pretraining words (bench/encoder/pretrain.sh), in WORK/words/<word>/:
//   node bench/encoder/prepare.mjs [WORK] [REAL_WORK]
// Real recordings (from the real-voice benchmark's prepared folder REAL_WORK, bench/real/prepare.mjs):
// - the train half (even positions) of the Speech Commands words, trimmed to the word like the
//   benchmark's clips: yes ... go, and the "unknown" ones sorted by the word they say;
// - the train halves of happy, smart-mirror and snowboy.
// Text-to-speech clips ("rnn-wake tts", all engines, the benchmark's held-out and calibration voices
// left out) of every one of those words and of EXTRA_COUNT common words beside them, so the
// encoder hears each word from real people and from synthesizers and learns what is said.
// Held out of pretraining entirely (no recording, no synthesized clip): HELD_OUT, the benchmark
// words the encoder is judged on, and the words they are made of.
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, readdir, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {writeWav16} from '../../dist/src/audio/index.js'
import {deriveRng, shuffled} from '../../dist/src/dataset/rng.js'
import {COMMON_WORDS} from '../../dist/src/dataset/wordlists.js'
import initEspeak from '@echogarden/espeak-ng-emscripten'
import {wavs, wordClip} from '../lib/real-clips.mjs'

export const HELD_OUT = ['computer', 'view-glass']
const HELD_OUT_PARTS = ['computer', 'view', 'glass']
const REAL_WORDS = ['happy', 'smart-mirror', 'snowboy']
const TTS_COUNT = Number(process.env.TTS_COUNT ?? 40)
const EXTRA_COUNT = Number(process.env.EXTRA_COUNT ?? 60)

const root = new URL('../..', import.meta.url).pathname
const [work = `${process.env.TMPDIR ?? '/tmp'}/rnn-wake-encoder`, realWork = `${process.env.TMPDIR ?? '/tmp'}/rnn-wake-real`] = process.argv.slice(2)
const real = resolve(process.env.REAL ?? join(root, '../shared/data/real'))
if (!existsSync(join(real, 'commands'))) {
  console.log(`bench/encoder: ${real} is absent; the encoder's recipe needs ../shared/data/real`)
  process.exit(0)
}
const words = join(work, 'words')
const done = join(work, '.prepared')
if (existsSync(done)) {
  if (!existsSync(join(work, 'phones'))) await phoneFolders()
  console.log(`bench/encoder: ${work} is prepared already`)
  process.exit(0)
}
await rm(work, {recursive: true, force: true})
const counts = {}

// Real Speech Commands clips: 1 s each with the word somewhere inside, so trimmed (the labels end where the word ends).
for (const command of (await readdir(join(real, 'commands'))).sort()) {
  for (const [i, name] of (await wavs(join(real, 'commands', command))).entries()) {
    if (i % 2 !== 0) continue // the odd positions are the benchmark's test negatives
    const word = command === 'unknown' ? name.split('_')[0] : command
    if (HELD_OUT_PARTS.includes(word) || word === 'happy') continue // happy: its own words/ train half, speakers kept apart
    const trimmed = await wordClip(join(real, 'commands', command, name))
    if (trimmed === null) continue
    await mkdir(join(words, word), {recursive: true})
    await writeWav16(join(words, word, `real-${name}`), trimmed)
    counts[word] = (counts[word] ?? 0) + 1
  }
}
for (const word of REAL_WORDS) {
  const dir = join(realWork, 'clips', word, 'train')
  if (!existsSync(dir)) throw new Error(`bench/encoder: ${dir} is missing; run node bench/real/prepare.mjs ${realWork} first`)
  await mkdir(join(words, word), {recursive: true})
  const names = await wavs(dir)
  for (const name of names) await symlink(resolve(dir, name), join(words, word, `real-${name}`))
  counts[word] = names.length
}

const realWords = Object.keys(counts).sort()
const taken = new Set([...realWords, ...HELD_OUT_PARTS, 'smart', 'mirror', 'snow', 'boy'])
const extra = shuffled(COMMON_WORDS.filter((w) => !taken.has(w) && /^[a-z]+$/.test(w)), deriveRng('rnn-wake/encoder-words', 1)).slice(0, EXTRA_COUNT)
const notTraining = `${(await readFile(join(root, 'bench/heldout-voices.txt'), 'utf8')).trim()},${(await readFile(join(root, 'bench/calibration-voices.txt'), 'utf8')).trim()}`
const tts = (texts, out, seed) =>
  execFileSync('node', [join(root, 'bin/run.js'), 'tts', ...texts, '--count', String(TTS_COUNT), '--engine', 'all', '--seed', String(seed), '--exclude-voices', notTraining, '--out', out], {stdio: 'inherit'})
const single = [...realWords, ...extra].filter((w) => !w.includes('-'))
tts(single, join(work, 'tts'), 5)
for (const w of [...realWords, ...extra].filter((w) => w.includes('-'))) tts([w.replace('-', ' ')], join(work, 'tts-phrases', w), 6)
for (const w of [...realWords, ...extra]) {
  const dir = w.includes('-') ? join(work, 'tts-phrases', w) : join(work, 'tts', w)
  await mkdir(join(words, w), {recursive: true})
  for (const name of await wavs(dir)) await symlink(resolve(dir, name), join(words, w, `tts-${name}`))
}
await phoneFolders()
await writeFile(join(work, 'words.json'), JSON.stringify({heldOut: HELD_OUT, real: counts, ttsPerWord: TTS_COUNT, ttsOnly: extra}, null, 1) + '\n')
await writeFile(done, new Date().toISOString() + '\n')
console.log(`bench/encoder: prepared ${work}: ${realWords.length} words with real recordings (${Object.values(counts).reduce((a, b) => a + b, 0)} clips), ${extra.length} synthesized only, ${TTS_COUNT} synthesized clips each`)

/**
 * WORK/phones/<phonemes>/: the same clips, each word's folder named by how espeak-ng (en-us) says it
 * in IPA, stress marks left out (e.g. "happy" -> "hæpi"); "train --ctc-unit char" on these folders
 * learns phonetic symbols, spread evenly over each word (alignmentTargets), so the encoder learns
 * sounds it can reuse for words it never heard rather than whole words. Words that sound the same
 * share one folder.
 */
async function phoneFolders() {
  const espeak = new (await initEspeak()).eSpeakNGWorker()
  if (espeak.set_voice('en-us') !== 0) throw new Error('espeak-ng has no en-us voice')
  const say = (text) => {
    const phones = []
    espeak.synthesize(text, (_, events) => {
      for (const e of events) if (e.type === 'phoneme' && e.id) phones.push(String(e.id).replace(/[ˈˌ]/g, ''))
      return false
    })
    return phones.join('')
  }
  const lexicon = {}
  for (const word of (await readdir(words)).sort()) {
    const ipa = word.split('-').map(say).join(' ')
    lexicon[word] = ipa
    await mkdir(join(work, 'phones', ipa), {recursive: true})
    for (const name of await wavs(join(words, word))) await symlink(resolve(words, word, name), join(work, 'phones', ipa, `${word}-${name}`))
  }
  await writeFile(join(work, 'lexicon.json'), JSON.stringify(lexicon, null, 1) + '\n')
}
