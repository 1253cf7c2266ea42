// The word-head lever of the real-voice benchmark (bench/embedding/real.sh, NAMED_WORDS): the real other
// words of a word's train half (bench/real/prepare.mjs's negatives/train/<word>), named, so `train --word-head`
// can learn them as words, beside TTS clips of the same words (made by real.sh), in a folder of links:
//   node bench/embedding/name-negatives.mjs WORK WORD KIND OUT
// KIND "all": every Speech Commands word and every other benchmark word; "commands": the Speech Commands
// words only (the benchmark words stay unnamed, as "<other>"). The "unknown" commands are never named.
// Writes OUT/<file> links and OUT/manifest.jsonl ({"file", "text"} per named clip, as rnn-wake tts writes).
import {mkdir, readdir, readlink, rm, symlink, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import {TEXT, WORDS} from '../lib/real-clips.mjs'

const [work, word, kind, out] = process.argv.slice(2)
if (!out || !['all', 'commands'].includes(kind)) {
  console.error('usage: node bench/embedding/name-negatives.mjs WORK WORD all|commands OUT')
  process.exit(2)
}
const from = join(work, 'negatives', 'train', word)
await rm(out, {recursive: true, force: true})
await mkdir(out, {recursive: true})
const manifest = []
for (const name of (await readdir(from)).filter((n) => n.endsWith('.wav')).sort()) {
  await symlink(resolve(from, await readlink(join(from, name)).catch(() => name)), join(out, name))
  // prepare.mjs names each link <word>-<file>: a benchmark word's slug, or a Speech Commands folder.
  const benchmark = WORDS.find((w) => name.startsWith(`${w}-`))
  const text = benchmark ? (kind === 'all' ? TEXT[benchmark] : undefined) : name.slice(0, name.indexOf('-'))
  if (text !== undefined && text !== 'unknown') manifest.push(JSON.stringify({file: name, text}))
}
await writeFile(join(out, 'manifest.jsonl'), manifest.join('\n') + '\n')
console.log(`${out}: ${manifest.length} named clips`)
