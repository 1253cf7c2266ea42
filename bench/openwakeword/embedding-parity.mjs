// Parity of rnn-wake's speech-embedding front end (src/features/speech-embedding.ts) with the ONNX
// graphs it was converted from, run by onnxruntime-node on the same 16 kHz samples and framing:
//   cd bench/openwakeword && node embedding-parity.mjs [--write-fixture DIR] [FILE.wav ...]
// Default input: a deterministic synthetic signal (chirps, tones and noise). --write-fixture writes
// the input and the ONNX reference outputs for test/speech-embedding.test.ts.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import ort from 'onnxruntime-node'

import {SESSION_OPTIONS, modelsDir} from './oww.mjs'
import {readAudio} from '../../dist/src/audio/read.js'
import {resample} from '../../dist/src/audio/resample.js'
import {selectBackend} from '../../dist/src/model/backend.js'
import {EMBEDDING_SIZE, MEL_BINS, SpeechEmbeddingStream, loadSpeechEmbedding} from '../../dist/src/features/speech-embedding.js'

const args = process.argv.slice(2)
const fixtureAt = args.indexOf('--write-fixture')
const fixtureDir = fixtureAt >= 0 ? args.splice(fixtureAt, 2)[1] : undefined

function synthetic(seconds = 3) {
  const n = seconds * 16000
  const x = new Float64Array(n)
  let s = 12345
  for (let i = 0; i < n; i++) {
    const t = i / 16000
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const noise = (s / 2 ** 32 - 0.5) * 600
    const chirp = Math.sin(2 * Math.PI * (200 * t + 600 * t * t)) * 6000 * (t > 0.5 && t < 2.2 ? 1 : 0.05)
    const tone = Math.sin(2 * Math.PI * 440 * t) * 2000 * (t > 1.5 ? 1 : 0)
    x[i] = Math.round(chirp + tone + noise)
  }
  return x
}

async function reference(samples) {
  const dir = modelsDir()
  const mel = await ort.InferenceSession.create(join(dir, 'melspectrogram.onnx'), SESSION_OPTIONS)
  const emb = await ort.InferenceSession.create(join(dir, 'embedding_model.onnx'), SESSION_OPTIONS)
  // The same stream the front end sees: 480 samples of context and 9 chunks of silence first.
  const lead = 480 + 9 * 1280
  const padded = new Float32Array(lead + samples.length)
  padded.set(samples, lead)
  const chunks = Math.floor(samples.length / 1280) + 9
  const frames = []
  for (let c = 0; c < chunks; c++) {
    const input = new ort.Tensor('float32', padded.slice(c * 1280, c * 1280 + 1760), [1, 1760])
    const out = await mel.run({[mel.inputNames[0]]: input})
    const data = out[mel.outputNames[0]].data
    for (let f = 0; f < 8; f++) frames.push(Array.from(data.subarray(f * 32, f * 32 + 32), (v) => v / 10 + 2))
  }
  const embeddings = []
  for (let start = 4; start + 76 <= frames.length; start += 8) {
    const window = new Float32Array(76 * 32)
    for (let f = 0; f < 76; f++) window.set(frames[start + f], f * 32)
    const out = await emb.run({[emb.inputNames[0]]: new ort.Tensor('float32', window, [1, 76, 32, 1])})
    embeddings.push(...out[emb.outputNames[0]].data)
  }
  return {mel: Float32Array.from(frames.flat()), embeddings: Float32Array.from(embeddings)}
}

await selectBackend('wasm')
const weights = await loadSpeechEmbedding('parity')
const inputs = args.length ? await Promise.all(args.map(async (f) => ({name: f, samples: resample((await readAudio(f)).samples, 44100, 16000)}))) : [{name: 'synthetic', samples: synthetic()}]
for (const {name, samples} of inputs) {
  const ref = await reference(samples)
  const t0 = performance.now()
  const ours = new SpeechEmbeddingStream(weights, 16000).push(samples)
  const ms = performance.now() - t0
  const n = Math.min(ours.data.length, ref.embeddings.length)
  let worst = 0
  let scale = 0
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(ref.embeddings[i]))
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(ours.data[i] - ref.embeddings[i]))
  console.log(`${name}: ${ours.frames} embeddings (reference ${ref.embeddings.length / EMBEDDING_SIZE}); max |difference| ${worst.toExponential(2)}, relative to the largest value ${(worst / scale).toExponential(2)}; ${ms.toFixed(0)} ms for ${(samples.length / 16000).toFixed(2)} s`)
  if (fixtureDir) {
    mkdirSync(fixtureDir, {recursive: true})
    writeFileSync(join(fixtureDir, 'input-16k.f32'), Buffer.from(Float32Array.from(samples).buffer))
    writeFileSync(join(fixtureDir, 'embeddings.f32'), Buffer.from(ref.embeddings.buffer))
    writeFileSync(join(fixtureDir, 'mel.f32'), Buffer.from(ref.mel.buffer))
    console.log(`wrote ${fixtureDir} (input, ${ref.mel.length / MEL_BINS} mel frames, ${ref.embeddings.length / EMBEDDING_SIZE} embeddings)`)
  }
}
