// The shipped bank of real-speech features (data/speech-bank) from the embedded streams of
// embed-sources.mjs:
//   node bench/embedding/make-bank.mjs LIST.json CACHE OUT [--allow-missing]
// Train split of LIST.json: every 5th stream of each source (by order) -> calibration.bank (never
// trained on: train sets its threshold there), the rest -> train.bank; test split -> test.bank
// (for benchmarks only, not shipped). Left out of the shipped banks: recordings of the benchmark
// words (a bank is used for any word, and must never hold the user's own), and the Spanish
// prompts by the voice of the realspeech false-accept test set, and the GPL-2.0-only Colombian
// Spanish prompts (this project is GPL-3.0-or-later).
import {existsSync, mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {writeBank} from '../../dist/src/train/feature-bank.js'
import {loadSpeechEmbedding} from '../../dist/src/features/speech-embedding.js'
import {streamKey, streams} from './embed-sources.mjs'

const [listFile, cache, out] = process.argv.slice(2)
const allowMissing = process.argv.includes('--allow-missing')
const EXCLUDED = /^(real-words-|real-commands-happy$|asterisk-core-sounds-es-wav$|asterisk-prompt-es-co$)/
const list = JSON.parse(readFileSync(listFile, 'utf8'))
const weights = await loadSpeechEmbedding('bench')
const banks = {train: [], calibration: [], test: []}
const index = new Map()
let missing = 0
for (const s of streams(list)) {
  if (EXCLUDED.test(s.source)) continue
  const file = join(cache, `${streamKey(s, weights.sha256)}.f32`)
  if (!existsSync(file)) {
    missing++
    continue
  }
  const b = readFileSync(file)
  const data = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
  const n = index.get(`${s.split}/${s.source}`) ?? 0
  index.set(`${s.split}/${s.source}`, n + 1)
  const split = s.split === 'test' ? 'test' : n % 5 === 4 ? 'calibration' : 'train'
  banks[split].push({name: s.name, frames: data.length / 96, data})
}
if (missing && !allowMissing) throw new Error(`${missing} streams are not embedded yet (run embed-sources.mjs, or --allow-missing)`)
mkdirSync(out, {recursive: true})
const sources = list.sources?.filter((s) => !EXCLUDED.test(s.name)).map(({name, licence, credit}) => ({name, licence, credit}))
for (const [split, sequences] of Object.entries(banks)) {
  const frames = sequences.reduce((n, s) => n + s.frames, 0)
  await writeBank(join(out, `${split}.bank`), {bins: 96, frontEnd: weights.sha256, sequences, sources})
  const bySource = {}
  for (const s of sequences) bySource[s.name.split('/')[1]] = (bySource[s.name.split('/')[1]] ?? 0) + s.frames * 0.08 / 3600
  console.log(`${split}.bank: ${sequences.length} sequences, ${(frames * 0.08 / 3600).toFixed(2)} h ${JSON.stringify(Object.fromEntries(Object.entries(bySource).map(([k, v]) => [k, +v.toFixed(3)])))}`)
}
if (missing) console.log(`(${missing} streams not embedded yet were left out)`)
