// A voice map for train's experimental --voice-map (src/train/embedding/voice-map.ts): a linear map of
// speech-embedding steps (each with one step either side) toward where people's voices put the same speech,
// fit by ridge regression on sentences read by people and by the synthesizers. Its input is a word bank made
// with SENTENCES=all (make-word-bank.mjs): after the ten words' 700 examples it holds the speechocean762
// train speakers' utterances, then one synthesized reading of each, in the same order. Each pair is aligned
// step to step by dynamic time warping (sentences.mjs, rows normalized in float64), the first 1,600 pairs
// fit the map and the rest measure it (per-step squared error against the recording's aligned step: as
// read, and mapped).
//   npm run build && SENTENCES=all SO762=DIR node bench/embedding/make-word-bank.mjs WORK BANK
//   node bench/embedding/make-voice-map.mjs BANK OUT
// then TRAIN_FLAGS="--voice-map OUT" for bench/embedding/real.sh (bench/RESULTS.md, speech-embedding levers, session 19).
// Its recordings are speechocean762's (Apache-2.0; Zhang et al., Interspeech 2021): a map made so carries that credit.
import {existsSync} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import {dirname} from 'node:path'

import {EMBEDDING_SIZE} from '../../dist/src/features/speech-embedding.js'
import {readBank} from '../../dist/src/train/feature-bank.js'
import {addPair, mapVoice, solveFit, startFit, writeVoiceMap} from '../../dist/src/train/embedding/voice-map.js'
import {warpPath} from './sentences.mjs'

/** The ten words' examples at the head of a word bank made by make-word-bank.mjs. */
const WORD_EXAMPLES = 700
const FIT_PAIRS = 1600
const CONTEXT = 1
/** Ridge penalty per thousand aligned steps (the held-out error is flat from 1 to 10). */
const RIDGE = 10
const [bankFile, out] = process.argv.slice(2)
if (!bankFile || !existsSync(bankFile) || !out) {
  console.error(`bench/embedding/make-voice-map: usage: make-voice-map.mjs BANK OUT, BANK a word bank made with SENTENCES=all (make-word-bank.mjs); ${bankFile ?? 'no bank'} given${bankFile && !existsSync(bankFile) ? ' (absent)' : ''}`)
  process.exit(1)
}
const bank = await readBank(bankFile)
const sentences = bank.sequences.slice(WORD_EXAMPLES)
const half = sentences.length / 2
const wordsOf = (s) => JSON.parse(s.name).map(([word]) => word).join(' ')
if (!Number.isInteger(half) || half <= FIT_PAIRS || sentences.slice(0, half).some((s, k) => wordsOf(s) !== wordsOf(sentences[half + k]))) {
  console.error(`bench/embedding/make-voice-map: ${bankFile} is not a word bank made with SENTENCES=all (its sentences do not come in recorded and synthesized halves of more than ${FIT_PAIRS})`)
  process.exit(1)
}
const pairsOf = (k) => {
  const recorded = sentences[k]
  const synthesized = sentences[half + k]
  return {recorded, synthesized, path: warpPath(synthesized.data, synthesized.frames, recorded.data, recorded.frames, Float64Array)}
}
const fit = startFit(CONTEXT, EMBEDDING_SIZE)
for (let k = 0; k < FIT_PAIRS; k++) {
  const {recorded, synthesized, path} = pairsOf(k)
  for (const [i, j] of path) addPair(fit, synthesized.data, i, recorded.data, j)
}
const sources = {
  sentences: `speechocean762 train speakers (github jimbozhang/speechocean762 @613968e3, Apache-2.0): the first ${FIT_PAIRS} of ${half} utterances of ${bankFile.split('/').pop()}, each with one reading by rnn-wake tts voices (every engine in turn)`,
  context: CONTEXT,
  ridgePerThousand: RIDGE,
  pairs: fit.pairs,
}
const map = solveFit(fit, RIDGE, bank.frontEnd, sources)
let asRead = 0
let mapped = 0
let steps = 0
for (let k = FIT_PAIRS; k < half; k++) {
  const {recorded, synthesized, path} = pairsOf(k)
  const moved = Float32Array.from(synthesized.data)
  mapVoice(moved, map)
  for (const [i, j] of path) {
    for (let d = 0; d < EMBEDDING_SIZE; d++) {
      const target = recorded.data[j * EMBEDDING_SIZE + d]
      asRead += (synthesized.data[i * EMBEDDING_SIZE + d] - target) ** 2
      mapped += (moved[i * EMBEDDING_SIZE + d] - target) ** 2
    }
    steps++
  }
}
await mkdir(dirname(out), {recursive: true})
await writeVoiceMap(out, {...map, sources: {...sources, heldOut: {utterances: half - FIT_PAIRS, steps, squaredErrorAsRead: Number((asRead / steps).toFixed(1)), squaredErrorMapped: Number((mapped / steps).toFixed(1))}}})
console.log(`${out}: fit on ${fit.pairs} aligned steps of ${FIT_PAIRS} sentences; held-out ${half - FIT_PAIRS} sentences (${steps} steps), per-step squared error as read ${(asRead / steps).toFixed(1)}, mapped ${(mapped / steps).toFixed(1)}`)
