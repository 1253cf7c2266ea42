// Split a folder written by "rnn-wake tts --negatives-for TRIGGER" into look-alike words (the
// confusable list of src/dataset/wordlists.ts) and the rest (common words), by the text in its
// manifest.jsonl, copying the WAVs. The held-out test counts false accepts per hour on ordinary
// speech, as the field does (REFERENCE.md section 2), and reports look-alikes on their own.
// usage: node bench/split-negatives.mjs NEGATIVES_DIR TRIGGER LOOKALIKE_OUT COMMON_OUT
import {copyFile, mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {confusableWords, normalizeWord} from '../dist/src/dataset/wordlists.js'

const [dir, trigger, lookOut, commonOut] = process.argv.slice(2)
if (!commonOut) throw new Error('usage: node bench/split-negatives.mjs NEGATIVES_DIR TRIGGER LOOKALIKE_OUT COMMON_OUT')
const like = new Set(confusableWords(trigger).map(normalizeWord))
const lines = (await readFile(join(dir, 'manifest.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
const groups = {[lookOut]: [], [commonOut]: []}
for (const m of lines) groups[like.has(normalizeWord(m.text)) ? lookOut : commonOut].push(m)
for (const [out, items] of Object.entries(groups)) {
  await mkdir(out, {recursive: true})
  for (const m of items) await copyFile(join(dir, m.file), join(out, m.file))
  await writeFile(join(out, 'manifest.jsonl'), items.map((m) => JSON.stringify(m)).join('\n') + '\n')
  console.log(`${out}: ${items.length} clips`)
}
