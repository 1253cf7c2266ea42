import * as tf from '@tensorflow/tfjs'
import FFT from 'fft.js'
import {createHash} from 'node:crypto'
import {readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {StreamingResampler} from '../audio/resample.js'
import {concatFloat32} from '../util/arrays.js'
import {ModelError} from '../util/errors.js'
import {shipped} from '../util/paths.js'

/**
 * Google's speech_embedding (Lin et al., ICASSP 2020, arXiv:2002.01322; Apache-2.0) as an
 * rnn-wake front end: audio -> 16 kHz -> 32-bin log-mel every 10 ms -> a conv net over 76 mel
 * frames -> one 96-value embedding every 80 ms. The embedding was learned by Google from a large
 * corpus of real speech, which is what lets a detector trained on a few synthesized clips hear
 * real people. Weights: data/speech-embedding (converted once from the ONNX graphs by
 * bench/openwakeword/convert-embedding.mjs; NOTICE there).
 *
 * One definition for training and streaming: `SpeechEmbeddingStream` is the front end, and the
 * offline path (`embedAudio`) is that stream fed the whole signal, so the two cannot drift apart.
 *
 * Framing (16 kHz samples): the stream starts with LEAD_CHUNKS chunks of silence, so the first embedding
 * is due 80 ms into the audio and step k always covers the 0.8 s of audio ending at (k + 1) x 80 ms.
 * Mel frame j covers samples [160 j - 480, 160 j + 32); frames are made 8 at a time from each
 * 1280-sample chunk plus 480 samples of context, with the graph's 80 dB floor taken over those 8
 * frames (as openWakeWord streams it); embedding k reads mel frames [8 k + 4, 8 k + 80).
 */
export const EMBEDDING_RATE = 16_000
export const CHUNK_SAMPLES = 1280
export const MEL_BINS = 32
export const EMBEDDING_SIZE = 96
const FFT_SIZE = 512
const WINDOW = 400
const HOP = 160
const CONTEXT = 480
const FRAMES_PER_CHUNK = CHUNK_SAMPLES / HOP
const WINDOW_FRAMES = 76
const WINDOW_OFFSET = 4
const TOP_DB = 80
/** Silent chunks before the audio: the first window then ends with the first real chunk. */
const LEAD_CHUNKS = (WINDOW_OFFSET + WINDOW_FRAMES) / FRAMES_PER_CHUNK - 1

export const WEIGHTS_FORMAT = 'rnn-wake-speech-embedding'
/**
 * Names how audio becomes embeddings beyond the weights (here: the band-limited resampler in
 * front, 1.7e-4 relative from the full-band one it replaced), for caches of embeddings to key on.
 */
export const EMBEDDING_PIPELINE = 'band-resampler'

/** The front end as a model directory records it (rnn-wake.json `features`). */
export interface SpeechEmbeddingFeatures {
  kind: 'speech-embedding'
  /** Rate of the audio handed to the front end (resampled to 16 kHz inside). */
  sampleRate: number
  /** sha256 of the weights the network after it was trained on. */
  weights: string
}

/** The frozen weights, made into tensors once per process. */
export interface SpeechEmbeddingWeights {
  sha256: string
  mel: Float32Array
  convs: Array<{kernel: tf.Tensor4D; bias?: tf.Tensor1D}>
}

/** Where the shipped weights live. */
export function speechEmbeddingDir(): string {
  return shipped('data', 'speech-embedding')
}

export interface SpeechEmbeddingSource {
  /** The folder holding weights.json and weights.bin (default: the shipped one). */
  dir?: string
  /** The sha256 of weights.bin a model was trained on: other weights are refused before any tensor is made. */
  expected?: string
}

/** Weights by content (the weights' sha256 and layout): the same files are turned into tensors once per process. */
const cache = new Map<string, SpeechEmbeddingWeights>()

/**
 * Load and check the front end's weights; any problem is a ModelError naming `owner` (the model
 * directory). The files are read and checked on every call, and nothing is kept from a call that
 * fails: the tensors are made only from files that passed every check, and kept for reuse.
 */
export async function loadSpeechEmbedding(owner: string, {dir = speechEmbeddingDir(), expected}: SpeechEmbeddingSource = {}): Promise<SpeechEmbeddingWeights> {
  const fail = (problem: string): never => {
    throw new ModelError(owner, `speech-embedding front end (${dir}): ${problem}`)
  }
  const {sha256, floats, tensors} = await readWeightFiles(dir, fail)
  if (expected !== undefined && sha256 !== expected) {
    throw new ModelError(owner, `it was trained on other speech-embedding weights (${expected.slice(0, 12)}...) than this rnn-wake ships (${sha256.slice(0, 12)}...)`)
  }
  const key = `${sha256} ${tensors.map((t) => t.shape.join('x')).join(' ')}`
  let weights = cache.get(key)
  if (weights === undefined) {
    const take = (t: WeightTensor): Float32Array => floats.subarray(t.offset, t.offset + size(t.shape))
    const [mel, ...rest] = tensors
    const convs: SpeechEmbeddingWeights['convs'] = []
    for (const t of rest) {
      if (t.shape.length === 4) convs.push({kernel: tf.tensor4d(take(t), t.shape as [number, number, number, number])})
      else convs.at(-1)!.bias = tf.tensor1d(take(t))
    }
    weights = {sha256, mel: take(mel), convs}
    cache.set(key, weights)
  }
  return weights
}

/** weights.json's word for each tensor, checked against the network before anything is made from it. */
interface WeightTensor {
  name: string
  shape: number[]
  offset: number
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1)

/**
 * weights.json and weights.bin, checked: the manifest describes this network (the mel filter
 * bank, then each convolution's kernel and bias in order, packed one after the other, every
 * convolution reading the channels the previous one makes, the last one linear and making the
 * embedding), weights.bin has the size it gives and the checksum it records, and every value is
 * finite. weights.bin's size is checked before it is read.
 */
async function readWeightFiles(dir: string, fail: (problem: string) => never): Promise<{sha256: string; floats: Float32Array; tensors: WeightTensor[]}> {
  const shown = (value: unknown): string => (JSON.stringify(value) ?? String(value)).slice(0, 40)
  const readable = (error: unknown): string => (error as Error).message.replace(/\s+/g, ' ').slice(0, 120)
  let text: string
  try {
    text = await readFile(join(dir, 'weights.json'), 'utf8')
  } catch (error) {
    return fail(`cannot read weights.json (${readable(error)})`)
  }
  let manifest: unknown
  try {
    manifest = JSON.parse(text)
  } catch (error) {
    return fail(`weights.json is not valid JSON (${readable(error)})`)
  }
  const m = manifest as {format?: unknown; sha256?: unknown; floats?: unknown; tensors?: unknown} | null
  if (m === null || typeof m !== 'object' || m.format !== WEIGHTS_FORMAT || !Array.isArray(m.tensors) || !Number.isSafeInteger(m.floats) || typeof m.sha256 !== 'string') {
    return fail('weights.json is not a speech-embedding manifest')
  }
  const tensors = m.tensors as unknown[]
  const tensorAt = (index: number, name: string, check: (shape: number[]) => string | undefined): WeightTensor => {
    const t = tensors[index] as Partial<WeightTensor> | null | undefined
    if (t === null || typeof t !== 'object' || t.name !== name) return fail(`weights.json: tensor ${index} should be "${name}", found ${shown(t?.name ?? t)}`)
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d > 0)) return fail(`weights.json: ${name} has shape ${shown(t.shape)}, not a list of sizes`)
    const problem = check(t.shape)
    if (problem !== undefined) return fail(`weights.json: ${name} has shape ${shown(t.shape)}, ${problem}`)
    return t as WeightTensor
  }
  const layout: WeightTensor[] = [tensorAt(0, 'mel', (shape) => (shape.join() === `${FFT_SIZE / 2 + 1},${MEL_BINS}` ? undefined : `not ${FFT_SIZE / 2 + 1} x ${MEL_BINS}`))]
  let channels = 1
  for (const [i, {conv}] of LAYERS.entries()) {
    const last = i === LAYERS.length - 1
    const kernel = tensorAt(layout.length, `conv${i}.kernel`, (shape) => {
      const [kh, kw, cin, cout] = shape
      if (shape.length !== 4 || kh !== conv[0] || kw !== conv[1] || cin !== channels) return `not [${conv[0]}, ${conv[1]}, ${channels}, channels]`
      return last && cout !== EMBEDDING_SIZE ? `not making the ${EMBEDDING_SIZE}-value embedding` : undefined
    })
    layout.push(kernel)
    channels = kernel.shape[3]
    // Every convolution but the last is followed by the activation, which goes with its bias.
    if (!last) layout.push(tensorAt(layout.length, `conv${i}.bias`, (shape) => (shape.join() === String(channels) ? undefined : `not [${channels}]`)))
  }
  if (tensors.length !== layout.length) fail(`weights.json lists ${tensors.length} tensors, the network has ${layout.length}`)
  let offset = 0
  for (const t of layout) {
    if (t.offset !== offset) fail(`weights.json: ${t.name} is at offset ${shown(t.offset)}, not ${offset} (right after the tensor before it)`)
    offset += size(t.shape)
  }
  if (m.floats !== offset) fail(`weights.json says ${m.floats} values, its tensors hold ${offset}`)

  const path = join(dir, 'weights.bin')
  let bin: Buffer
  try {
    const st = await stat(path)
    if (!st.isFile()) fail('weights.bin is not a file')
    if (st.size !== offset * 4) fail(`weights.bin has ${st.size} bytes, weights.json says ${offset * 4}`)
    bin = await readFile(path)
  } catch (error) {
    if (error instanceof ModelError) throw error
    return fail(`cannot read weights.bin (${readable(error)})`)
  }
  if (bin.length !== offset * 4) fail(`weights.bin has ${bin.length} bytes, weights.json says ${offset * 4}`)
  const sha256 = createHash('sha256').update(bin).digest('hex')
  if (sha256 !== m.sha256) fail('weights.bin does not match its checksum (corrupt or replaced)')
  const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength))
  const bad = floats.findIndex((v) => !Number.isFinite(v))
  if (bad >= 0) {
    const t = [...layout].reverse().find((t) => t.offset <= bad)!
    fail(`weights.bin: ${t.name} holds ${floats[bad]} at index ${bad - t.offset} (a corrupt file)`)
  }
  return {sha256, floats, tensors: layout}
}

/**
 * The embedding network, layer by layer (after the graph in embedding_model.onnx): convolutions
 * that are valid in time and pad the mel axis by one on each side when they are 3 wide, each
 * followed by LeakyReLU(0.2) floored at -0.4, with max pooling between blocks; the last
 * convolution is linear. Time shrinks by 75 frames and is pooled by 8: one output per 8 frames.
 */
type Layer = {conv: [number, number]} | {pool: [number, number]}
const LAYERS_SPEC: Layer[] = [
  {conv: [3, 3]}, {conv: [1, 3]}, {conv: [3, 1]}, {pool: [2, 2]},
  {conv: [1, 3]}, {conv: [3, 1]}, {conv: [1, 3]}, {conv: [3, 1]}, {pool: [1, 2]},
  {conv: [1, 3]}, {conv: [3, 1]}, {conv: [1, 3]}, {conv: [3, 1]}, {pool: [2, 2]},
  {conv: [1, 3]}, {conv: [3, 1]}, {conv: [1, 3]}, {conv: [3, 1]}, {pool: [1, 2]},
  {conv: [1, 3]}, {conv: [3, 1]}, {conv: [1, 3]}, {conv: [3, 1]}, {pool: [2, 2]},
  {conv: [3, 1]},
]
const LAYERS = LAYERS_SPEC.filter((l): l is {conv: [number, number]} => 'conv' in l)

/**
 * The embedding network run incrementally along time: each layer keeps the last rows of its input
 * its next outputs still need (kernel height - 1 rows for a convolution, an unpaired row for a
 * pooling), so mel frames pushed in pieces give exactly the outputs of the whole sequence, and a
 * stream pays for each frame once instead of recomputing 76-frame windows every 80 ms (~6x less
 * work per step). Rows are pushed in blocks of at most MAX_ROWS_PER_PASS to bound memory on long files.
 */
export class IncrementalEmbedder {
  private tails: Array<tf.Tensor4D | undefined> = LAYERS_SPEC.map(() => undefined)

  constructor(private readonly weights: SpeechEmbeddingWeights) {}

  /** Embeddings (k x 96) completed by `rows` more mel frames (rows x 32). */
  push(mel: Float32Array, rows: number): Float32Array {
    const parts: Float32Array[] = []
    for (let first = 0; first < rows; first += MAX_ROWS_PER_PASS) {
      const count = Math.min(MAX_ROWS_PER_PASS, rows - first)
      parts.push(this.pushBlock(mel.subarray(first * MEL_BINS, (first + count) * MEL_BINS), count))
    }
    return parts.length === 1 ? parts[0] : concatFloat32(parts)
  }

  /** Back to an empty sequence; also frees the rows kept (tensors outside any tidy). */
  reset(): void {
    for (const t of this.tails) t?.dispose()
    this.tails = LAYERS_SPEC.map(() => undefined)
  }

  private pushBlock(mel: Float32Array, rows: number): Float32Array {
    const fresh: Array<tf.Tensor4D | undefined> = [...this.tails]
    const out = tf.tidy(() => {
      let x: tf.Tensor4D | undefined = tf.tensor4d(mel, [1, rows, MEL_BINS, 1])
      let c = 0
      for (const [i, layer] of LAYERS_SPEC.entries()) {
        const tail = this.tails[i]
        const input: tf.Tensor4D = tail === undefined ? x : kernels.rows([tail, x])
        const length = input.shape[1]
        if ('pool' in layer) {
          const [ph, pw] = layer.pool
          const used = length - (length % ph)
          fresh[i] = used < length ? tf.keep(kernels.slice(input, used, length - used)) : undefined
          x = used > 0 ? kernels.maxPool(used < length ? kernels.slice(input, 0, used) : input, [ph, pw]) : undefined
        } else {
          const {kernel, bias} = this.weights.convs[c++]
          const kh = layer.conv[0]
          fresh[i] = kh > 1 ? tf.keep(kernels.slice(input, Math.max(0, length - (kh - 1)), Math.min(length, kh - 1))) : undefined
          x = length < kh ? undefined : kernels.conv(input, kernel, bias, layer.conv[1] === 3 ? 1 : 0)
        }
        if (x === undefined) {
          // Nothing reaches the next layers yet: their tails stay as they were.
          for (let j = i + 1; j < LAYERS_SPEC.length; j++) fresh[j] = this.tails[j]
          return undefined
        }
      }
      return x
    })
    for (const [i, t] of this.tails.entries()) if (t !== fresh[i]) t?.dispose()
    this.tails = fresh
    if (out === undefined) return new Float32Array(0)
    const data = out.dataSync() as Float32Array
    out.dispose()
    return Float32Array.from(data)
  }
}

/**
 * The embedder's layers as tf kernels called directly (tf.engine().runKernel) rather than through
 * the ops: a stream runs ~65 small kernels per 80 ms, and the ops' argument checks and gradient
 * bookkeeping (tf.fused.conv2d builds a customGrad every call) cost as much as the arithmetic of
 * the late layers. The same kernels with the attributes the ops would pass, so the same outputs.
 */
const kernels = {
  run<T extends tf.Tensor>(name: string, inputs: tf.NamedTensorMap | tf.Tensor[], attrs: object): T {
    return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as T
  },
  /** Rows (axis 1) of `parts`, one after the other. */
  rows(parts: tf.Tensor4D[]): tf.Tensor4D {
    return kernels.run(tf.Concat, parts, {axis: 1})
  },
  /** `count` rows (axis 1) of x from `first` on. */
  slice(x: tf.Tensor4D, first: number, count: number): tf.Tensor4D {
    return kernels.run(tf.Slice, {x}, {begin: [0, first, 0, 0], size: [x.shape[0], count, x.shape[2], x.shape[3]]})
  },
  maxPool(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
    return kernels.run(tf.MaxPool, {x}, {filterSize: size, strides: size, pad: 'valid', dimRoundingMode: undefined})
  },
  /**
   * A convolution valid along time, padding the mel axis by `padMel` on each side; with a bias,
   * LeakyReLU(0.2) fused in and the -0.4 floor after (a clip: the broadcasting maximum with a
   * scalar cost ~6x more on wasm); without, linear.
   */
  conv(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | undefined, padMel: number): tf.Tensor4D {
    const common = {strides: [1, 1], pad: [[0, 0], [0, 0], [padMel, padMel], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined}
    if (bias === undefined) return kernels.run(tf.Conv2D, {x, filter}, common)
    const y = kernels.run<tf.Tensor4D>(tf.FusedConv2D, {x, filter, bias}, {...common, activation: 'leakyrelu', leakyreluAlpha: 0.2})
    return kernels.run(tf.ClipByValue, {x: y}, {clipValueMin: -0.4, clipValueMax: Infinity})
  },
}

/** Most mel rows per forward pass of the incremental embedder (bounds a long file's activations). */
const MAX_ROWS_PER_PASS = 4096

/**
 * 16 kHz samples to log-mel frames, 8 per 1280-sample chunk: the graph of melspectrogram.onnx
 * (periodic Hann of 400 in a 512 FFT, power, mel filter bank, 10 log10 floored at 1e-10, an 80 dB
 * floor below the chunk's peak) followed by openWakeWord's x / 10 + 2. Owns the chunk buffer and
 * the 480 samples of context.
 *
 * The filter bank is stored dense (257 x 32) but each filter spans a few FFT bins, and none
 * reaches above bin 121 (3.8 kHz): the sums run over each filter's own bins, in the same order
 * (the skipped terms are exact zeros, so the frames are the same to the bit), ~35x fewer products.
 */
export class MelChunker {
  private readonly fft = new FFT(FFT_SIZE)
  private readonly window = hannInFrame()
  private readonly frame: number[]
  private readonly spectrum: number[]
  private readonly power = new Float64Array(FFT_SIZE / 2 + 1)
  private readonly filters: MelFilters
  /** The last CONTEXT + pending samples. */
  private buffer = new Float64Array(CONTEXT + CHUNK_SAMPLES)
  private filled = CONTEXT

  constructor(mel: Float32Array) {
    this.frame = this.fft.createComplexArray().slice(0, FFT_SIZE) as number[]
    this.spectrum = this.fft.createComplexArray() as number[]
    this.filters = sparseFilters(mel)
  }

  /** Log-mel frames (frames x 32) completed by these samples. */
  push(samples: ArrayLike<number>): {data: Float32Array; frames: number} {
    const chunks = Math.floor((this.filled - CONTEXT + samples.length) / CHUNK_SAMPLES)
    const data = new Float32Array(chunks * FRAMES_PER_CHUNK * MEL_BINS)
    let chunk = 0
    for (let i = 0; i < samples.length; ) {
      const take = Math.min(samples.length - i, this.buffer.length - this.filled)
      for (let j = 0; j < take; j++) this.buffer[this.filled + j] = samples[i + j]
      this.filled += take
      i += take
      if (this.filled === this.buffer.length) {
        this.chunkFrames(data, chunk++ * FRAMES_PER_CHUNK * MEL_BINS)
        this.buffer.copyWithin(0, CHUNK_SAMPLES)
        this.filled = CONTEXT
      }
    }
    return {data, frames: chunks * FRAMES_PER_CHUNK}
  }

  reset(): void {
    this.buffer.fill(0)
    this.filled = CONTEXT
  }

  private chunkFrames(out: Float32Array, at: number): void {
    const {first, count, weights, bins} = this.filters
    let peak = -Infinity
    for (let f = 0; f < FRAMES_PER_CHUNK; f++) {
      const start = f * HOP
      for (let n = 0; n < FFT_SIZE; n++) this.frame[n] = this.buffer[start + n] * this.window[n]
      this.fft.realTransform(this.spectrum, this.frame)
      for (let k = 0; k < bins; k++) {
        const re = this.spectrum[2 * k]
        const im = this.spectrum[2 * k + 1]
        this.power[k] = re * re + im * im
      }
      for (let m = 0, w = 0; m < MEL_BINS; m++) {
        let sum = 0
        for (let k = first[m], end = first[m] + count[m]; k < end; k++) sum += this.power[k] * weights[w++]
        const db = (10 * Math.log(Math.max(sum, 1e-10))) / Math.LN10
        out[at + f * MEL_BINS + m] = db
        if (db > peak) peak = db
      }
    }
    const floor = peak - TOP_DB
    for (let i = at; i < at + FRAMES_PER_CHUNK * MEL_BINS; i++) out[i] = Math.max(out[i], floor) / 10 + 2
  }
}

/** Each mel filter's span of FFT bins (first nonzero to last) and its weights there, filter after filter. */
interface MelFilters {
  first: Int32Array
  count: Int32Array
  weights: Float64Array
  /** FFT bins any filter reads (0 .. bins - 1). */
  bins: number
}

function sparseFilters(mel: Float32Array): MelFilters {
  const first = new Int32Array(MEL_BINS)
  const count = new Int32Array(MEL_BINS)
  const weights: number[] = []
  let bins = 0
  for (let m = 0; m < MEL_BINS; m++) {
    let lo = -1
    let hi = -1
    for (let k = 0; k <= FFT_SIZE / 2; k++) {
      if (mel[k * MEL_BINS + m] === 0) continue
      if (lo < 0) lo = k
      hi = k
    }
    if (lo < 0) continue
    first[m] = lo
    count[m] = hi - lo + 1
    for (let k = lo; k <= hi; k++) weights.push(mel[k * MEL_BINS + m])
    bins = Math.max(bins, hi + 1)
  }
  return {first, count, weights: Float64Array.from(weights), bins}
}

/**
 * The highest frequency (Hz) the log-mel frames depend on: the top filter's last FFT bin plus the
 * Hann window's main lobe (2 bins either side). The resampler in front only has to keep this band.
 */
export function melBand(mel: Float32Array): number {
  return ((sparseFilters(mel).bins - 1 + 2) * EMBEDDING_RATE) / FFT_SIZE
}

/** The STFT window of melspectrogram.onnx: a periodic Hann of 400 samples centred in 512. */
function hannInFrame(): Float64Array {
  const w = new Float64Array(FFT_SIZE)
  const offset = (FFT_SIZE - WINDOW) / 2
  for (let i = 0; i < WINDOW; i++) w[offset + i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / WINDOW)
  return w
}

/**
 * The front end as a stream: audio at `sampleRate` (int16 units) in chunks of any size, one
 * 96-value embedding out per 80 ms. Concatenated over a stream, the outputs are the same
 * whatever the chunking (the resampler, the chunker and the window stride are all aligned to
 * the start of the stream).
 */
export class SpeechEmbeddingStream {
  readonly bins = EMBEDDING_SIZE
  private readonly resampler: StreamingResampler
  private readonly chunker: MelChunker
  private readonly embedder: IncrementalEmbedder
  private steps = 0

  constructor(readonly weights: SpeechEmbeddingWeights, readonly sampleRate: number) {
    this.resampler = new StreamingResampler(sampleRate, EMBEDDING_RATE, {band: melBand(weights.mel)})
    this.chunker = new MelChunker(weights.mel)
    this.embedder = new IncrementalEmbedder(weights)
    this.reset()
  }

  /** Embeddings (steps x 96) completed by these samples. */
  push(samples: ArrayLike<number>): {data: Float32Array; frames: number} {
    return this.pushResampled(this.resampler.push(samples))
  }

  /** Embeddings emitted since the start (or the last reset). */
  get frames(): number {
    return this.steps
  }

  reset(): void {
    this.resampler.reset()
    this.chunker.reset()
    this.embedder.reset()
    this.steps = 0
    // Silence before the audio (see LEAD_CHUNKS); its frames start at window 0 minus the offset.
    this.pushResampled(new Float64Array(LEAD_CHUNKS * CHUNK_SAMPLES), WINDOW_OFFSET)
  }

  /** Free the network's kept rows; the stream is not used again. */
  dispose(): void {
    this.embedder.reset()
  }

  private pushResampled(samples: Float64Array, skipFrames = 0): {data: Float32Array; frames: number} {
    const fresh = this.chunker.push(samples)
    const rows = fresh.frames - skipFrames
    const data = rows > 0 ? this.embedder.push(fresh.data.subarray(skipFrames * MEL_BINS), rows) : new Float32Array(0)
    const made = data.length / EMBEDDING_SIZE
    this.steps += made
    return {data, frames: made}
  }
}

/** The whole signal through the stream: the offline path, equal to streaming it by construction. */
export function embedAudio(weights: SpeechEmbeddingWeights, samples: ArrayLike<number>, sampleRate: number): {data: Float32Array; frames: number} {
  const stream = new SpeechEmbeddingStream(weights, sampleRate)
  try {
    return stream.push(samples)
  } finally {
    stream.dispose()
  }
}

/** Seconds per embedding. */
export const EMBEDDING_STEP_SECONDS = CHUNK_SAMPLES / EMBEDDING_RATE
