// The real-voice benchmark's material, from ../shared/data/real (see its SOURCES.md), in WORK:
//   node bench/real/prepare.mjs [WORK] [REAL]
// - clips/<word>/{train,test}/: each recording of a benchmark word, trimmed to the word (frames within 25 dB of the loudest, +-50 ms; as
//   "rnn-wake tts" trims) and brought to 44.1 kHz, so the labels of a planted word end where it ends.
//   The word's test/ half is only ever planted in test sets; its train/ half only feeds the
//   "TTS + 20 real clips" protocol (real-20/<word>/: 20 of them, drawn with a fixed seed).
// - speech/{train,test}/: the long real speech split by file (SPEECH_TEST below), never both.
// - negatives/{train,test}/<word>/: real words that are not <word>: the Speech Commands words (split
//   by file: even positions train, odd test; "happy" clips left out of "unknown" for the word happy)
//   and the other benchmark words' same half.
// - backgrounds/{train,test}/: 60 s procedural noise (white, pink, brown, hum; other seeds for test)
//   beside the speech files of the same half: backgrounds of real speech and noise.
// Exits 0 with a message when REAL is absent.
import {existsSync} from 'node:fs'
import {mkdir, readdir, rm, symlink, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {writeWav16} from '../../dist/src/audio/index.js'
import {proceduralBackgrounds} from '../../dist/src/dataset/backgrounds.js'
import {deriveRng, shuffled} from '../../dist/src/dataset/rng.js'
import {WORDS, wavs, wordClip} from '../lib/real-clips.mjs'

// 21 of the 31 one-minute files (11 of 16 alphanumeric, 10 of 15 voxlingua): 21 min of test speech.
const SPEECH_TEST = (name) => /^alphanumeric-0(0\d|10)\.wav$/.test(name) || /^voxlingua-en-00\d\.wav$/.test(name)
const REAL_CLIPS = 20

const [work = `${process.env.TMPDIR ?? '/tmp'}/rnn-wake-real`, realArg] = process.argv.slice(2)
const real = resolve(realArg ?? new URL('../../../shared/data/real', import.meta.url).pathname)
if (!existsSync(join(real, 'words'))) {
  console.log(`bench/real: ${real} is absent; nothing to prepare (the real-voice benchmark needs ../shared/data/real)`)
  process.exit(0)
}
const done = join(work, '.prepared')
if (existsSync(done)) {
  console.log(`bench/real: ${work} is prepared already`)
  process.exit(0)
}
await rm(work, {recursive: true, force: true})
const link = async (from, dir, name) => {
  await mkdir(dir, {recursive: true})
  await symlink(resolve(from), join(dir, name))
}

const counts = {}
for (const word of WORDS) {
  for (const half of ['train', 'test']) {
    const src = join(real, 'words', word, half)
    const dir = join(work, 'clips', word, half)
    await mkdir(dir, {recursive: true})
    let n = 0
    for (const name of await wavs(src)) {
      const trimmed = await wordClip(join(src, name))
      if (trimmed === null) continue
      await writeWav16(join(dir, name), trimmed)
      n++
    }
    counts[`${word}/${half}`] = n
  }
  const train = await wavs(join(work, 'clips', word, 'train'))
  const order = shuffled(train, deriveRng('rnn-wake/bench-real-20', word))
  for (const name of order.slice(0, REAL_CLIPS)) await link(join(work, 'clips', word, 'train', name), join(work, 'real-20', word), name)
}

for (const name of await wavs(join(real, 'speech'))) await link(join(real, 'speech', name), join(work, 'speech', SPEECH_TEST(name) ? 'test' : 'train'), name)

for (const word of WORDS) {
  for (const [h, half] of ['train', 'test'].entries()) {
    const dir = join(work, 'negatives', half, word)
    for (const command of (await readdir(join(real, 'commands'))).sort()) {
      const names = await wavs(join(real, 'commands', command))
      for (const [i, name] of names.entries()) {
        if (i % 2 !== h) continue
        if (word === 'happy' && name.startsWith('happy_')) continue
        await link(join(real, 'commands', command, name), dir, `${command}-${name}`)
      }
    }
    for (const other of WORDS.filter((w) => w !== word)) {
      for (const name of await wavs(join(work, 'clips', other, half))) await link(join(work, 'clips', other, half, name), dir, `${other}-${name}`)
    }
  }
}

const kinds = ['white', 'pink', 'brown', 'hum']
for (const [half, seed] of [['train', 311], ['test', 911]]) {
  const dir = join(work, 'backgrounds', half)
  await mkdir(dir, {recursive: true})
  // Twice as many as needed, keeping the noise kinds: procedural babble needs word clips, and babble of real speech is the speech files.
  const noise = proceduralBackgrounds(16, seed, [], 60).filter((c) => kinds.some((k) => c.source.includes(k))).slice(0, 8)
  for (const clip of noise) await writeWav16(join(dir, `${clip.source.replace(/^procedural\//, '')}.wav`), clip.samples)
  for (const name of await wavs(join(work, 'speech', half))) await link(join(work, 'speech', half, name), dir, name)
}
await writeFile(join(work, 'counts.json'), JSON.stringify(counts, null, 1) + '\n')
await writeFile(done, new Date().toISOString() + '\n')
console.log(`bench/real: prepared ${work}`, counts)
