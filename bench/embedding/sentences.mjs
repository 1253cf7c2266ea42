// Sentences read by people for the word bank (make-word-bank.mjs): the speechocean762 corpus's train
// speakers (github jimbozhang/speechocean762 @613968e3: WAVE/, train/text, train/wav.scp), each
// utterance with the step where each of its words ends. The corpus gives the words, not their times,
// so the times come from an alignment: the same words read by espeak-ng one after another (where each
// ends is known), both readings embedded, and dynamic time warping with cosine distance between their
// 80 ms embedding steps maps each synthesized word end onto the recording. Written here because no
// npm package aligns speech to text offline without a model download; on synthesized speech (another
// espeak voice as the recording) it lands within one step of the truth for 97.6% of 628 words
// (node bench/embedding/sentences.mjs --check).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {SAMPLE_RATE, readAudio} from '../../dist/src/audio/read.js'
import {planClips, synthesizeWord, trimSilence} from '../../dist/src/dataset/tts.js'
import {EMBEDDING_SIZE} from '../../dist/src/features/speech-embedding.js'
import {endStep} from '../../dist/src/train/embedding/data.js'
import {wordExampleName} from '../../dist/src/train/embedding/word-bank.js'

/** Longest utterance kept, seconds after its silence is trimmed (a training sequence holds 3.84 s). */
export const MAX_SECONDS = 4.4
const LEAD = Math.round(0.48 * SAMPLE_RATE)
const TAIL = Math.round(0.24 * SAMPLE_RATE)
const GAP = Math.round(0.04 * SAMPLE_RATE)
/** The voice the words are read in for the alignment. */
const REFERENCE = {voice: 'en-us', variant: 'm1', rate: 150, pitch: 50}

/** The corpus's train utterances by speaker: id, words (lower case) and WAV path, in id order. */
export function speechoceanTrain(root) {
  const lines = (f) => readFileSync(join(root, f), 'utf8').trim().split('\n').map((l) => l.split(/\s+/))
  const text = new Map(lines('train/text').map(([id, ...words]) => [id, words.map((w) => w.toLowerCase())]))
  const wav = new Map(lines('train/wav.scp').map(([id, path]) => [id, join(root, path)]))
  const speakers = new Map()
  for (const id of [...text.keys()].sort()) {
    const speaker = wav.get(id).split('/').at(-2)
    if (!speakers.has(speaker)) speakers.set(speaker, [])
    speakers.get(speaker).push({id, words: text.get(id), file: wav.get(id)})
  }
  return speakers
}

/** `samples` between a lead and a tail of quiet noise (the embedding of digital silence is no room's), from a seeded generator. */
function padded(samples, seed) {
  let s = seed >>> 0
  const noise = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 6
  const out = new Float64Array(LEAD + samples.length + TAIL)
  for (let i = 0; i < out.length; i++) out[i] = noise()
  for (let i = 0; i < samples.length; i++) out[LEAD + i] += samples[i]
  return out
}

/** The words read one after another by a synthesizer voice, and the sample where each ends. */
async function reading(words, voice, clips) {
  const said = []
  for (const word of words) {
    const key = `${JSON.stringify(voice)}:${word}`
    if (!clips.has(key)) clips.set(key, await synthesizeWord(word.replace(/'/g, ''), voice))
    said.push(clips.get(key))
  }
  const samples = new Float64Array(said.reduce((n, c) => n + c.length + GAP, 0))
  const ends = []
  let at = 0
  for (const clip of said) {
    samples.set(clip, at)
    at += clip.length
    ends.push(at)
    at += GAP
  }
  return {samples, ends}
}

/** Rows scaled to unit length, in an array of type `Out` (Float32Array for the aligner, whose banks were made so). */
function unitRows(data, frames, Out) {
  const out = new Out(frames * EMBEDDING_SIZE)
  for (let t = 0; t < frames; t++) {
    let sum = 0
    for (let k = 0; k < EMBEDDING_SIZE; k++) sum += data[t * EMBEDDING_SIZE + k] ** 2
    const norm = Math.sqrt(sum) || 1
    for (let k = 0; k < EMBEDDING_SIZE; k++) out[t * EMBEDDING_SIZE + k] = data[t * EMBEDDING_SIZE + k] / norm
  }
  return out
}

/**
 * Dynamic time warping of `a` (n steps) against `b` (m steps) with cosine distance (rows normalized in
 * an `Out` array); the warping path as [step of a, step of b] pairs, from the last to the first.
 */
export function warpPath(a, n, b, m, Out = Float32Array) {
  const A = unitRows(a, n, Out)
  const B = unitRows(b, m, Out)
  const cols = m + 1
  const D = new Float64Array((n + 1) * cols).fill(Infinity)
  D[0] = 0
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      let dot = 0
      for (let k = 0; k < EMBEDDING_SIZE; k++) dot += A[(i - 1) * EMBEDDING_SIZE + k] * B[(j - 1) * EMBEDDING_SIZE + k]
      D[i * cols + j] = 1 - dot + Math.min(D[(i - 1) * cols + j - 1], D[(i - 1) * cols + j], D[i * cols + j - 1])
    }
  }
  const pairs = []
  let i = n
  let j = m
  while (i > 0 && j > 0) {
    pairs.push([i - 1, j - 1])
    const diagonal = D[(i - 1) * cols + j - 1]
    const up = D[(i - 1) * cols + j]
    const left = D[i * cols + j - 1]
    if (diagonal <= up && diagonal <= left) {
      i--
      j--
    } else if (up <= left) i--
    else j--
  }
  return pairs
}

/** For each step j of b, the last step of a on the warping path (warpPath) that meets it. */
export function warp(a, n, b, m) {
  const lastOf = new Int32Array(m).fill(-1)
  for (const [i, j] of warpPath(a, n, b, m)) if (lastOf[j] < 0) lastOf[j] = i
  return lastOf
}

/**
 * An aligner over one front end: for an embedded recording and its words, each word with the step where it ends,
 * found by warping a synthesized reading onto the recording. The synthesized words and each sentence's embedded
 * reading are kept, so a sentence aligned twice (a recording and a synthesized reading of it) is read once.
 */
export function sentenceAligner(frontEnd) {
  const clips = new Map()
  const references = new Map()
  const referenceOf = async (words) => {
    const key = words.join(' ')
    if (!references.has(key)) {
      const said = await reading(words, REFERENCE, clips)
      references.set(key, {features: frontEnd.featurize(padded(said.samples, 7)), endSteps: said.ends.map((end) => endStep((LEAD + end) / SAMPLE_RATE))})
    }
    return references.get(key)
  }
  return async (features, words) => {
    const reference = await referenceOf(words)
    const lastOf = warp(features.data, features.frames, reference.features.data, reference.features.frames)
    let previous = -1
    return words.map((word, k) => {
      const step = Math.min(features.frames - 1, Math.max(previous + 1, lastOf[reference.endSteps[k]]))
      previous = step
      return {word, endStep: step}
    })
  }
}

/**
 * Up to `perSpeaker` utterances of each train speaker (in id order, those at most MAX_SECONDS long once
 * trimmed), embedded, each named by its words and where they end (word-bank.ts's sequence names); and the
 * utterances kept (id, words), for synthesizedSentences.
 */
export async function alignedSentences(root, frontEnd, align, perSpeaker, log = () => {}) {
  const sequences = []
  const kept = []
  let tooLong = 0
  for (const utterances of speechoceanTrain(root).values()) {
    let fromSpeaker = 0
    for (const {id, words, file} of utterances) {
      if (fromSpeaker >= perSpeaker) break
      const samples = trimSilence((await readAudio(file)).samples, SAMPLE_RATE, {thresholdDb: -30, marginMs: 150, fadeMs: 20})
      if (samples.length > MAX_SECONDS * SAMPLE_RATE) {
        tooLong++
        continue
      }
      const features = frontEnd.featurize(padded(samples, Number(id)))
      sequences.push({name: wordExampleName(await align(features, words)), frames: features.frames, data: features.data})
      kept.push({id, words})
      fromSpeaker++
      if (sequences.length % 250 === 0) log(`  sentences: ${sequences.length}`)
    }
  }
  return {sequences, kept, tooLong}
}

/** The alignment's error on synthesized speech, whose word ends are known: another espeak voice reads the first `count` sentences. */
export async function alignmentCheck(root, frontEnd, count) {
  const align = sentenceAligner(frontEnd)
  const clips = new Map()
  const errors = []
  const utterances = [...speechoceanTrain(root).values()].map((u) => u[0]).slice(0, count)
  for (const {words} of utterances) {
    const other = await reading(words, {voice: 'en-gb-x-rp', variant: 'f2', rate: 190, pitch: 70}, clips)
    const placed = await align(frontEnd.featurize(padded(other.samples, 11)), words)
    other.ends.forEach((end, k) => errors.push(Math.abs(placed[k].endStep - endStep((LEAD + end) / SAMPLE_RATE))))
  }
  errors.sort((x, y) => x - y)
  return {words: errors.length, median: errors[errors.length >> 1], p90: errors[Math.floor(errors.length * 0.9)], withinOne: errors.filter((e) => e <= 1).length / errors.length}
}

/**
 * The same utterances (alignedSentences' `kept`) read by the synthesizers (one reading each, voices dealt by
 * planClips over `pool`, every loaded engine in turn), aligned the same way, so the word head hears each
 * sentence's words in people's voices and the synthesizers' alike.
 */
export async function synthesizedSentences(utterances, frontEnd, align, engines, pool, seed, log = () => {}) {
  const plans = planClips(utterances.map((u) => u.words.join(' ').replace(/'/g, '')), pool, 'word-bank-sentences', {seed})
  const out = []
  for (const [k, plan] of plans.entries()) {
    const {words, id} = utterances[k]
    const features = frontEnd.featurize(padded(engines.speak(plan).samples, Number(id) + 1))
    out.push({name: wordExampleName(await align(features, words)), frames: features.frames, data: features.data})
    if (out.length % 250 === 0) log(`  synthesized sentences: ${out.length}`)
  }
  return out
}

// node bench/embedding/sentences.mjs --check [SO762]: the alignment's error on 100 synthesized sentences.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--check') {
  const {openFrontEnd} = await import('../../dist/src/features/front-end.js')
  const {loadSpeechEmbedding} = await import('../../dist/src/features/speech-embedding.js')
  const {selectBackend} = await import('../../dist/src/model/backend.js')
  await selectBackend('wasm')
  const weights = await loadSpeechEmbedding('bench')
  const frontEnd = await openFrontEnd({kind: 'speech-embedding', sampleRate: SAMPLE_RATE, weights: weights.sha256}, 'bench')
  const check = await alignmentCheck(process.argv[3] ?? process.env.SO762 ?? 'speechocean762', frontEnd, 100)
  console.log(`alignment on synthesized speech: ${check.words} words, |error| median ${check.median} steps, p90 ${check.p90}, within one step ${(check.withinOne * 100).toFixed(1)}%`)
}
