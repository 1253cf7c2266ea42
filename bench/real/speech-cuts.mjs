// Cut long real speech into short pieces that training places as foreground negatives.
// Why: the real-voice benchmark's false accepts are mostly in long real speech at full level, while
// training only ever hears running speech as a background 0-20 dB under the clips; its foreground
// negatives are isolated words. Pieces of running speech at the clips' level close that gap.
//
// Usage: npm run build && node bench/real/speech-cuts.mjs SPEECH_DIR OUT_DIR [--count 600] [--min 0.8] [--max 2.5] [--seed 1]
//   SPEECH_DIR: e.g. WORK/speech/train of bench/real/prepare.mjs (never its test files).
import {mkdir, rename, rm} from 'node:fs/promises'
import {basename, join} from 'node:path'

import {SAMPLE_RATE, readAudio} from '../../dist/src/audio/read.js'
import {writeWav16} from '../../dist/src/audio/write.js'
import {listWavs} from '../../dist/src/metrics/evaluate-model.js'

const [speechDir, outDir, ...rest] = process.argv.slice(2)
if (!speechDir || !outDir) {
  console.error('usage: node bench/real/speech-cuts.mjs SPEECH_DIR OUT_DIR [--count N] [--min S] [--max S] [--seed N]')
  process.exit(2)
}
const option = (name, fallback) => {
  const i = rest.indexOf(`--${name}`)
  return i >= 0 ? Number(rest[i + 1]) : fallback
}
const count = option('count', 600)
const minSec = option('min', 0.8)
const maxSec = option('max', 2.5)
let state = option('seed', 1) >>> 0
// mulberry32: a seeded generator so the same pieces come out on every machine.
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const files = await listWavs(speechDir)
const audios = []
for (const file of files) audios.push({file, ...(await readAudio(file))})
const rate = SAMPLE_RATE // readAudio resamples every file to it
const rms = (x) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length)
const tmp = `${outDir}.tmp-${process.pid}`
await mkdir(tmp, {recursive: true})
let made = 0
let tries = 0
while (made < count && tries < count * 20) {
  tries++
  const source = audios[Math.floor(random() * audios.length)]
  const length = Math.round((minSec + random() * (maxSec - minSec)) * rate)
  if (source.samples.length <= length) continue
  const start = Math.floor(random() * (source.samples.length - length))
  const piece = Float64Array.from(source.samples.subarray(start, start + length))
  // Pauses between sentences teach nothing; keep pieces with speech in them.
  if (rms(piece) < 0.3 * rms(source.samples)) continue
  const fade = Math.round(0.01 * rate)
  for (let i = 0; i < fade; i++) {
    piece[i] *= i / fade
    piece[length - 1 - i] *= i / fade
  }
  await writeWav16(join(tmp, `${basename(source.file, '.wav')}-${String(made).padStart(4, '0')}.wav`), piece, rate)
  made++
}
await rm(outDir, {recursive: true, force: true})
await rename(tmp, outDir)
console.log(`${made} pieces of ${minSec}-${maxSec} s from ${files.length} files in ${outDir}`)
