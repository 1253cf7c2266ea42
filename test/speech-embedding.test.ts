import {createHash} from 'node:crypto'
import {copyFile, mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {beforeAll, describe, expect, it} from 'vitest'

import {StreamingResampler, resample} from '../src/audio/resample.js'
import {EMBEDDING_SIZE, MEL_BINS, MelChunker, melBand, SpeechEmbeddingStream, type SpeechEmbeddingWeights, embedAudio, loadSpeechEmbedding, speechEmbeddingDir} from '../src/features/speech-embedding.js'
import {openFrontEnd, spectrogramFrontEnd} from '../src/features/front-end.js'
import {LOG_FEATURES} from '../src/features/transform.js'
import {selectBackend} from '../src/model/backend.js'
import {buildModel} from '../src/model/build.js'
import {CONFIG_FORMAT, CONFIG_VERSION, type ModelConfig, courseFeatures} from '../src/model/config.js'
import {StreamingInference} from '../src/stream/inference.js'
import {SPEECH_EMBEDDING_PRESET, embeddingTrigger} from '../src/train/embedding/stages.js'
import {ModelError} from '../src/util/errors.js'

/**
 * The speech-embedding front end against the ONNX graphs it was converted from: the fixture's
 * reference outputs were computed by onnxruntime on the same 16 kHz samples and framing
 * (bench/openwakeword/embedding-parity.mjs --write-fixture).
 */
const FIXTURE = new URL('./fixtures/speech-embedding/', import.meta.url)
const floats = async (name: string) => {
  const b = await readFile(new URL(name, FIXTURE))
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
}

let weights: SpeechEmbeddingWeights

beforeAll(async () => {
  await selectBackend('wasm')
  weights = await loadSpeechEmbedding('test')
})

function maxAbsolute(a: Float32Array, b: Float32Array): number {
  let worst = 0
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  return worst
}

function maxRelative(ours: Float32Array, reference: Float32Array): number {
  let scale = 0
  let worst = 0
  for (const v of reference) scale = Math.max(scale, Math.abs(v))
  for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(ours[i] - reference[i]))
  return worst / scale
}

describe('speech-embedding front end', () => {
  it('log-mel frames match melspectrogram.onnx (x/10 + 2) within 1e-4 relative', async () => {
    const input = await floats('input-16k.f32')
    const reference = await floats('mel.f32')
    const chunker = new MelChunker(weights.mel)
    // The front end's lead: 9 chunks of silence before the audio.
    const lead = chunker.push(new Float64Array(9 * 1280))
    const rest = chunker.push(input)
    const ours = new Float32Array([...lead.data, ...rest.data])
    expect(ours.length).toBe(reference.length)
    expect(maxRelative(ours, reference)).toBeLessThan(1e-4)
  })

  it('embeddings match embedding_model.onnx within 1e-4 relative', async () => {
    const input = await floats('input-16k.f32')
    const reference = await floats('embeddings.f32')
    const ours = embedAudio(weights, input, 16_000)
    expect(ours.frames).toBe(reference.length / EMBEDDING_SIZE)
    expect(maxRelative(ours.data, reference)).toBeLessThan(1e-4)
  })

  it('streaming in chunks of any size gives the offline embeddings (44.1 kHz input, resampled inside)', () => {
    const n = 44_100 * 2
    const x = new Float64Array(n)
    for (let i = 0; i < n; i++) x[i] = Math.round(3000 * Math.sin(i * 0.013) * Math.sin(i * 0.0002) + 400 * Math.sin(i * 1.7))
    const offline = embedAudio(weights, x, 44_100)
    expect(offline.frames).toBe(Math.floor((n * 16_000) / 44_100 / 1280) - 1)
    for (const sizes of [[1], [441, 7, 1280], [10_000, 33]]) {
      const stream = new SpeechEmbeddingStream(weights, 44_100)
      const parts: number[] = []
      for (let at = 0, k = 0; at < n; k++) {
        const size = sizes[k % sizes.length]
        parts.push(...stream.push(x.subarray(at, at + size)).data)
        at += size
      }
      const streamed = Float32Array.from(parts)
      expect(streamed.length).toBe(offline.data.length)
      expect(maxRelative(streamed, offline.data)).toBeLessThan(1e-5)
    }
  })

  it('its resampler keeps the band the mel filters read: 44.1 kHz audio embeds as the full-band resampler\'s 16 kHz samples do (2e-4 relative)', () => {
    expect(melBand(weights.mel)).toBeCloseTo(3843.75, 2)
    const n = 44_100 * 3
    const x = new Float64Array(n)
    // Voiced-speech-like: harmonics of a gliding 120-220 Hz pitch, plus hiss above the band and a 14 kHz whistle (folds to 2 kHz).
    for (let i = 0, phase = 0; i < n; i++) {
      phase += (2 * Math.PI * (170 + 50 * Math.sin(i / 20_000))) / 44_100
      let v = 0
      for (let h = 1; h <= 20; h++) v += Math.sin(h * phase) / h
      x[i] = Math.round(3000 * v * (0.6 + 0.4 * Math.sin(i / 7000)) + 200 * Math.sin(i * 1.7) + 300 * Math.sin((2 * Math.PI * 14_000 * i) / 44_100))
    }
    const ours = embedAudio(weights, x, 44_100)
    const fullBand = embedAudio(weights, resample(x, 44_100, 16_000), 16_000)
    expect(ours.frames).toBe(fullBand.frames)
    expect(maxRelative(ours.data, fullBand.data)).toBeLessThan(2e-4)
  })

  it('the streaming resampler gives the offline resampler\'s samples (within 1e-6 of int16 units), whatever the chunking', () => {
    const x = new Float64Array(20_000)
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.05) * 1000 + ((i * 7919) % 13)
    const offline = resample(x, 44_100, 16_000)
    const stream = new StreamingResampler(44_100, 16_000)
    const parts: number[] = []
    for (let at = 0; at < x.length; at += 777) parts.push(...stream.push(x.subarray(at, at + 777)))
    expect(parts.length).toBeGreaterThan(offline.length - 40)
    let worst = 0
    for (let i = 0; i < parts.length; i++) worst = Math.max(worst, Math.abs(parts[i] - offline[i]))
    expect(worst).toBeLessThan(1e-6)
  })

  it('a detector streams audio at the front end\'s own 16 kHz with no resampler: equal to the network on those embeddings (1e-4), and to the 44.1 kHz stream of the same sound (1e-3)', async () => {
    const features = {kind: 'speech-embedding' as const, sampleRate: 44_100, weights: weights.sha256}
    const frontEnd = await openFrontEnd(features, 'mem')
    expect(frontEnd.nativeRate).toBe(16_000)
    const model = buildModel(SPEECH_EMBEDDING_PRESET, {fused: true, seed: 3})
    const config: ModelConfig = {format: CONFIG_FORMAT, version: CONFIG_VERSION, word: 'beep', preset: SPEECH_EMBEDDING_PRESET, features, trigger: embeddingTrigger(0.5)}
    const detector = {dir: 'mem', model, networks: [model], config, frontEnd}
    const x16 = new Float64Array(16_000 * 3)
    for (let i = 0; i < x16.length; i++) x16[i] = Math.round(4000 * Math.sin(i * 0.05 + 3 * Math.sin(i / 4000)) * Math.sin(i / 3000) + 300 * Math.sin(i * 0.9))
    const embedded = embedAudio(weights, x16, 16_000)
    const expected = tf.tidy(() => (model.predict(tf.tensor3d(embedded.data, [1, embedded.frames, EMBEDDING_SIZE])) as tf.Tensor).dataSync() as Float32Array)
    const stream = (inference: StreamingInference, x: Float64Array, chunk: number) => {
      const parts: number[] = []
      for (let at = 0; at < x.length; at += chunk) parts.push(...inference.push(x.subarray(at, at + chunk)).probabilities)
      inference.dispose()
      return Float32Array.from(parts)
    }
    const at16 = stream(new StreamingInference(detector, {sampleRate: 16_000}), x16, 1600)
    expect(at16.length).toBe(expected.length)
    expect(Math.max(...at16) - Math.min(...at16)).toBeGreaterThan(0.05)
    expect(maxAbsolute(at16, expected)).toBeLessThan(1e-4)
    // The same sound at 44.1 kHz goes through two resamplers (up, then the front end's down): their ripple only.
    const at44 = stream(new StreamingInference(detector), resample(x16, 16_000, 44_100), 4410)
    expect(maxAbsolute(at44.subarray(0, at16.length), at16)).toBeLessThan(1e-3)
    // A spectrogram front end takes its own rate only.
    expect(() => spectrogramFrontEnd(courseFeatures(LOG_FEATURES)).stream(16_000)).toThrow(/44100 Hz audio only/)
    model.dispose()
  })

  it('a corrupt or truncated weights file is a one-line model error naming the model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rnn-wake-embedding-'))
    await copyFile(join(speechEmbeddingDir(), 'weights.json'), join(dir, 'weights.json'))
    const bin = await readFile(join(speechEmbeddingDir(), 'weights.bin'))
    await writeFile(join(dir, 'weights.bin'), bin.subarray(0, bin.length - 100))
    await expect(loadSpeechEmbedding('models/mine', {dir})).rejects.toThrow(ModelError)
    await expect(loadSpeechEmbedding('models/mine', {dir})).rejects.toThrow(/^Cannot load model models\/mine: speech-embedding front end .*weights\.bin has \d+ bytes, weights\.json says \d+$/)
    const flipped = Buffer.from(bin)
    flipped[1000] ^= 0xff
    await writeFile(join(dir, 'weights.bin'), flipped)
    await expect(loadSpeechEmbedding('models/other', {dir})).rejects.toThrow(/does not match its checksum/)
    await writeFile(join(dir, 'weights.json'), '{"format": "rnn-wake-speech-embedding"')
    const error = await loadSpeechEmbedding('models/third', {dir}).catch((e: Error) => e)
    expect(error).toBeInstanceOf(ModelError)
    expect((error as Error).message).not.toMatch(/\n/)
  })

  it('a weights.json that does not describe the network is a one-line model error, and no tensor is made', async () => {
    // Before: null was a TypeError, a null entry a TypeError after 4 tensors, an offset past the end a tfjs error
    // after 2, and a kernel of the wrong shape loaded (39 tensors), to fail at the first clip.
    const dir = await mkdtemp(join(tmpdir(), 'rnn-wake-embedding-'))
    const manifest = JSON.parse(await readFile(join(speechEmbeddingDir(), 'weights.json'), 'utf8'))
    await copyFile(join(speechEmbeddingDir(), 'weights.bin'), join(dir, 'weights.bin'))
    const edited = (edit: (tensors: Array<{name: string; shape: number[]; offset: number} | null>) => void) => {
      const copy = structuredClone(manifest)
      edit(copy.tensors)
      return copy
    }
    const cases: Array<[unknown, RegExp]> = [
      [null, /weights\.json is not a speech-embedding manifest$/],
      [edited((t) => t.splice(5, 0, null)), /weights\.json: tensor 5 should be "conv2\.kernel", found null$/],
      [edited((t) => (t[3]!.shape = [1, 3, 23, 24])), /weights\.json: conv1\.kernel has shape \[1,3,23,24\], not \[1, 3, 24, channels\]$/],
      [edited((t) => (t[3]!.offset = 336_000)), /weights\.json: conv1\.kernel is at offset 336000, not 8464 \(right after the tensor before it\)$/],
      [edited((t) => t.splice(4, 1)), /weights\.json: tensor 4 should be "conv1\.bias", found "conv2\.kernel"$/],
      [edited((t) => t.push({name: 'conv20.kernel', shape: [1], offset: 336_352})), /weights\.json lists 41 tensors, the network has 40$/],
    ]
    for (const [json, message] of cases) {
      await writeFile(join(dir, 'weights.json'), JSON.stringify(json))
      const before = tf.memory().numTensors
      const error = await loadSpeechEmbedding('models/mine', {dir}).catch((e: Error) => e)
      expect(error).toBeInstanceOf(ModelError)
      expect((error as Error).message).toMatch(/^Cannot load model models\/mine: speech-embedding front end \S+: /)
      expect((error as Error).message).toMatch(message)
      expect(tf.memory().numTensors).toBe(before)
    }
  })

  it('weights other than the ones a model was trained on, or holding NaN, are refused before any tensor is made', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rnn-wake-embedding-'))
    const manifest = JSON.parse(await readFile(join(speechEmbeddingDir(), 'weights.json'), 'utf8'))
    const bin = Buffer.from(await readFile(join(speechEmbeddingDir(), 'weights.bin')))
    bin.writeFloatLE(0.5, 4 * 9000)
    const rehashed = (bytes: Buffer) => JSON.stringify({...manifest, sha256: createHash('sha256').update(bytes).digest('hex')})
    await writeFile(join(dir, 'weights.bin'), bin)
    await writeFile(join(dir, 'weights.json'), rehashed(bin))
    const before = tf.memory().numTensors
    await expect(loadSpeechEmbedding('models/mine', {dir, expected: weights.sha256})).rejects.toThrow(
      `Cannot load model models/mine: it was trained on other speech-embedding weights (${weights.sha256.slice(0, 12)}...) than this rnn-wake ships (`,
    )
    bin.writeFloatLE(NaN, 4 * 9000)
    await writeFile(join(dir, 'weights.bin'), bin)
    await writeFile(join(dir, 'weights.json'), rehashed(bin))
    await expect(loadSpeechEmbedding('models/mine', {dir})).rejects.toThrow(/: weights\.bin: conv1\.kernel holds NaN at index 536 \(a corrupt file\)$/)
    expect(tf.memory().numTensors).toBe(before)
    // The shipped files, read again from a copy: the tensors made the first time are used again.
    await copyFile(join(speechEmbeddingDir(), 'weights.bin'), join(dir, 'weights.bin'))
    await copyFile(join(speechEmbeddingDir(), 'weights.json'), join(dir, 'weights.json'))
    expect(await loadSpeechEmbedding('models/mine', {dir, expected: weights.sha256})).toBe(weights)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('frees its tensors: embedding a clip leaves no tensor behind, nor does a disposed stream', () => {
    const x = new Float64Array(44_100).map((_, i) => Math.sin(i * 0.01) * 3000)
    embedAudio(weights, x, 44_100)
    const before = tf.memory().numTensors
    for (let i = 0; i < 3; i++) embedAudio(weights, x, 44_100)
    const stream = new SpeechEmbeddingStream(weights, 44_100)
    stream.push(x)
    stream.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('has 32 mel bins and 96-value embeddings', () => {
    expect(weights.mel.length).toBe(257 * MEL_BINS)
    expect(weights.convs.length).toBe(20)
  })
})
