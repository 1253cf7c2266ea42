// Embeds lists of real non-trigger audio with the speech-embedding front end, once, into a
// cache of float32 files keyed by content (the files' bytes and the front end's weights):
//   node bench/embedding/embed-sources.mjs LIST.json CACHE [SHARD/SHARDS]
// LIST.json: {"train": [{path, source, seconds}], "test": [...]}, made by list-sources.mjs. Files of a
// source are joined, in order, into streams of at most 60 s with 0.25 s of silence between
// files (short words then read like speech with pauses, as a microphone hears them).
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, writeFileSync, renameSync} from 'node:fs'
import {join} from 'node:path'

import {readAudio, SAMPLE_RATE} from '../../dist/src/audio/read.js'
import {selectBackend} from '../../dist/src/model/backend.js'
import {SpeechEmbeddingStream, loadSpeechEmbedding} from '../../dist/src/features/speech-embedding.js'

export const STREAM_SECONDS = 60
const GAP = Math.round(0.25 * SAMPLE_RATE)

/** Files grouped per split and source, then cut into streams of <= 60 s. */
export function streams(list) {
  const out = []
  for (const split of ['train', 'test']) {
    const bySource = new Map()
    for (const e of list[split] ?? []) bySource.set(e.source, [...(bySource.get(e.source) ?? []), e])
    for (const [source, entries] of bySource) {
      let current = []
      let seconds = 0
      let n = 0
      const flush = () => {
        if (current.length) out.push({split, source, name: `${split}/${source}/${String(n++).padStart(4, '0')}`, files: current.map((e) => e.path)})
        current = []
        seconds = 0
      }
      for (const e of entries) {
        if (seconds + e.seconds > STREAM_SECONDS && current.length) flush()
        current.push(e)
        seconds += e.seconds + 0.25
      }
      flush()
    }
  }
  return out
}

export function streamKey(stream, weights) {
  const h = createHash('sha256').update(weights)
  for (const f of stream.files) h.update(readFileSync(f))
  return h.digest('hex').slice(0, 32)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [listFile, cache, shard = '0/1'] = process.argv.slice(2)
  const [k, of] = shard.split('/').map(Number)
  mkdirSync(cache, {recursive: true})
  await selectBackend('wasm')
  const weights = await loadSpeechEmbedding('bench')
  const all = streams(JSON.parse(readFileSync(listFile, 'utf8')))
  const mine = all.filter((_, i) => i % of === k)
  const t0 = Date.now()
  let audioSec = 0
  for (const [i, s] of mine.entries()) {
    const key = streamKey(s, weights.sha256)
    const file = join(cache, `${key}.f32`)
    if (existsSync(file)) continue
    const parts = []
    for (const f of s.files) parts.push((await readAudio(f)).samples)
    const total = parts.reduce((n, p) => n + p.length + GAP, 0)
    const x = new Float64Array(total)
    let at = 0
    for (const p of parts) {
      x.set(p, at)
      at += p.length + GAP
    }
    audioSec += total / SAMPLE_RATE
    const {data} = new SpeechEmbeddingStream(weights, SAMPLE_RATE).push(x)
    writeFileSync(file + '.tmp', Buffer.from(data.buffer))
    renameSync(file + '.tmp', file)
    if (i % 20 === 0) console.log(`${i + 1}/${mine.length} ${s.name}: ${(audioSec / 3600).toFixed(2)} h in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  }
  console.log(`done: ${mine.length} streams, ${(audioSec / 3600).toFixed(2)} h embedded in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
}
