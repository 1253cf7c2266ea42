import * as tf from '@tensorflow/tfjs'

import {unsupportedGruConfig} from '../model/gru.js'
import type {FrameBlock} from '../features/feature-stream.js'

/**
 * Incremental inference: the detector network run a few output steps at a
 * time, giving what `model.predict` gives on the whole input (to float32
 * rounding), with every piece of state carried from one chunk to the next.
 *
 * The network is read out of the tf model once and run as a small graph of
 * its own, so any layout built from the layers the detector uses streams
 * (one or two heads, any number of GRUs):
 *   Conv1D -> then per output step: BatchNorm, Activation, Dropout (identity
 *   at inference), GRU, Dense / TimeDistributed(Dense).
 * The conv is the only layer that changes the time axis, so it keeps the
 * frames its next windows still need (kernelSize frames, with its stride
 * phase); every GRU keeps its hidden state; everything else is per step.
 *
 * Where the work goes (measured on wasm, course preset): the wide matMuls
 * over a whole chunk (the conv as im2col x kernel, each GRU's input
 * projection, the heads) are one tf op each, ~10x faster there than in
 * JavaScript; the recurrences are sequential 128 x 384 products per step,
 * where tf's per-op overhead would cost more than the arithmetic, so they run
 * here on typed arrays (~35-50 us per layer and step). A chunk of a step or
 * two through a small network (the speech-embedding head: one step per
 * 80 ms, 6k and 12k weights) is the same case for every layer: each runs
 * here when its products for the chunk are fewer than LOCAL_WORK.
 */

/** Per-step outputs for a block of consecutive steps. */
export interface StepBlock {
  /** Index of the first step, counted from the start of the stream. */
  firstStep: number
  steps: number
  /** Trigger probability of each step. */
  probabilities: Float32Array
  /** CTC head only: per-step posteriors over tokens and blank, `steps` x `classes`, row-major. */
  tokens?: Float32Array
}

type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'hardSigmoid' | 'tanh' | 'softmax'

/**
 * x W + b for a layer that can run here: W transposed ([out, in]) so
 * each output is one dot product, as in the GRU recurrence.
 */
interface SmallAffine {
  wt: Float64Array
  bias: Float64Array
  inputs: number
  outputs: number
}

/** Inference BatchNorm per channel: (x - mean) * scale + offset, with scale = gamma / sqrt(variance + epsilon). */
interface Affine1D {
  mean: Float64Array
  scale: Float64Array
  offset: Float64Array
}

type Op =
  | {kind: 'affine'; kernel: tf.Tensor2D; bias?: tf.Tensor1D; activation: ActivationName; small?: SmallAffine}
  | {kind: 'batchNorm'; mean: tf.Tensor1D; variance: tf.Tensor1D; offset?: tf.Tensor1D; scale?: tf.Tensor1D; epsilon: number; js: Affine1D}
  | {kind: 'activation'; activation: ActivationName}
  | {kind: 'identity'}
  | {kind: 'gru'; kernel: tf.Tensor2D; bias?: tf.Tensor1D; small?: SmallAffine; recurrence: GruRecurrence}

/**
 * Layers with at most this many weights run here on typed arrays when their
 * input is already here (after a GRU): below this a tf op's fixed cost
 * (~15-40 us with the copies in and out of the wasm heap) exceeds the
 * arithmetic. Bigger ones (the conv, most GRU input projections) run in tf.
 */
const SMALL_LAYER = 8192

/**
 * Products (steps x weights) below which a layer runs here whatever its input: a
 * tf matMul on wasm costs ~4 kernel calls with the copies in and out (~60-150 us),
 * 65k products here ~30-60 us. Layers with more weights than this keep no copy here.
 */
const LOCAL_WORK = 65_536

/** Whether a layer with these weights runs here for a block `x`. */
function runsHere(small: SmallAffine | undefined, x: Value): small is SmallAffine {
  if (small === undefined) return false
  const weights = small.inputs * small.outputs
  return (x.local && weights <= SMALL_LAYER) || x.steps * weights <= LOCAL_WORK
}

interface Node {
  layer: string
  /** Index of the node this one reads; -1 for the conv's output. */
  input: number
  op: Op
}

interface ConvSpec {
  layer: string
  kernelSize: number
  strides: number
  features: number
  filters: number
  /** [kernelSize * features, filters]: one im2col row (kernelSize consecutive frames) times this is one output step. */
  kernel: tf.Tensor2D
  bias?: tf.Tensor1D
  activation: ActivationName
  small?: SmallAffine
}

/** The problem with a model that cannot stream; the caller names the model directory. */
export class UnsupportedModelError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnsupportedModelError'
  }
}

export class StreamingNetwork {
  /** Values per input frame. */
  readonly features: number
  readonly kernelSize: number
  readonly strides: number
  /** Classes of the CTC head (tokens + blank), or 0 without one. */
  readonly classes: number
  private readonly conv: ConvSpec
  private readonly nodes: Node[]
  private readonly triggerNode: number
  private readonly ctcNode: number
  private readonly window: ConvWindow
  private disposed = false

  private constructor(conv: ConvSpec, nodes: Node[], triggerNode: number, ctcNode: number, classes: number) {
    this.conv = conv
    this.nodes = nodes
    this.triggerNode = triggerNode
    this.ctcNode = ctcNode
    this.classes = classes
    this.features = conv.features
    this.kernelSize = conv.kernelSize
    this.strides = conv.strides
    this.window = new ConvWindow(conv.kernelSize, conv.strides, conv.features)
  }

  /**
   * Read the network out of a loaded model. The model itself is not kept:
   * its weights are copied, so disposing it afterwards is fine. Throws an
   * UnsupportedModelError naming the layer that cannot stream.
   */
  static fromModel(model: tf.LayersModel): StreamingNetwork {
    const owned: tf.Tensor[] = []
    try {
      const {conv, nodes, triggerNode, ctcNode, classes} = compile(model, owned)
      return new StreamingNetwork(conv, nodes, triggerNode, ctcNode, classes)
    } catch (error) {
      tf.dispose(owned)
      throw error
    }
  }

  /** Output steps produced so far. */
  get steps(): number {
    return this.window.nextStep
  }

  /** Feed model input frames; returns the steps they complete (possibly none). */
  push(block: FrameBlock): StepBlock {
    if (this.disposed) throw new Error('StreamingNetwork: used after dispose()')
    const {rows, steps, firstStep} = this.window.push(block)
    if (steps === 0) return {firstStep, steps: 0, probabilities: new Float32Array(0), tokens: this.classes > 0 ? new Float32Array(0) : undefined}
    let probabilities = new Float32Array(0)
    let tokens: Float32Array | undefined
    // Results leave the tidy through closure variables: tidy walks whatever is
    // returned looking for tensors, index by index through typed arrays.
    tf.tidy(() => {
      const values: Value[] = new Array(this.nodes.length)
      const {kernelSize, features, filters, kernel, bias, activation, small} = this.conv
      const x = new Value(steps, kernelSize * features, undefined, rows)
      const conv = runsHere(small, x)
        ? new Value(steps, filters, undefined, activateLocal(affineLocal(rows, steps, small), filters, activation))
        : new Value(steps, filters, activate(addBias(tf.matMul(x.tensor(), kernel), bias), activation))
      for (let i = 0; i < this.nodes.length; i++) {
        const node = this.nodes[i]
        values[i] = apply(node.op, node.input < 0 ? conv : values[node.input])
      }
      // Copies: on the cpu backend dataSync hands out the tensor's own storage.
      probabilities = Float32Array.from(values[this.triggerNode].data())
      if (this.ctcNode >= 0) tokens = Float32Array.from(values[this.ctcNode].data())
    })
    return {firstStep, steps, probabilities, tokens}
  }

  /** Forget the stream: conv context, GRU states and the step count. */
  reset(): void {
    this.window.reset()
    for (const node of this.nodes) if (node.op.kind === 'gru') node.op.recurrence.reset()
  }

  /** Free the copied weights (tf tensors). */
  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    const tensors: tf.Tensor[] = [this.conv.kernel]
    if (this.conv.bias) tensors.push(this.conv.bias)
    for (const {op} of this.nodes) {
      if (op.kind === 'affine' || op.kind === 'gru') tensors.push(op.kernel, ...(op.bias ? [op.bias] : []))
      if (op.kind === 'batchNorm') tensors.push(op.mean, op.variance, ...(op.offset ? [op.offset] : []), ...(op.scale ? [op.scale] : []))
    }
    tf.dispose(tensors)
  }
}

function addBias(x: tf.Tensor2D, bias: tf.Tensor1D | undefined): tf.Tensor2D {
  return bias ? tf.add(x, bias) : x
}

function activate(x: tf.Tensor2D, activation: ActivationName): tf.Tensor2D {
  switch (activation) {
    case 'linear':
      return x
    case 'relu':
      return tf.relu(x)
    case 'sigmoid':
      return tf.sigmoid(x)
    case 'hardSigmoid':
      return tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1) as tf.Tensor2D
    case 'tanh':
      return tf.tanh(x)
    case 'softmax':
      return tf.softmax(x)
  }
}

/**
 * A block of per-step values, [steps, width], held as a tf tensor, as a
 * typed array, or both; each form is made when first asked for. Ops run
 * where their input already is when they can, so that the values after a
 * GRU (computed here) do not go back into tf just for a BatchNorm or a
 * one-unit Dense.
 */
class Value {
  constructor(
    readonly steps: number,
    readonly width: number,
    private t?: tf.Tensor2D,
    private d?: Float32Array,
  ) {}

  /** In JavaScript only (no tensor made yet). */
  get local(): boolean {
    return this.t === undefined
  }

  tensor(): tf.Tensor2D {
    this.t ??= tf.tensor2d(this.d!, [this.steps, this.width])
    return this.t
  }

  data(): Float32Array {
    this.d ??= this.t!.dataSync() as Float32Array
    return this.d
  }
}

function apply(op: Op, x: Value): Value {
  switch (op.kind) {
    case 'identity':
      return x
    case 'activation':
      if (x.local) return new Value(x.steps, x.width, undefined, activateLocal(Float32Array.from(x.data()), x.width, op.activation))
      return new Value(x.steps, x.width, activate(x.tensor(), op.activation))
    case 'batchNorm':
      if (x.local) return new Value(x.steps, x.width, undefined, batchNormLocal(x.data(), op.js))
      return new Value(x.steps, x.width, tf.batchNorm(x.tensor(), op.mean, op.variance, op.offset, op.scale, op.epsilon) as tf.Tensor2D)
    case 'affine': {
      const width = op.kernel.shape[1]
      if (runsHere(op.small, x)) return new Value(x.steps, width, undefined, activateLocal(affineLocal(x.data(), x.steps, op.small), width, op.activation))
      return new Value(x.steps, width, activate(addBias(tf.matMul(x.tensor(), op.kernel), op.bias), op.activation))
    }
    case 'gru': {
      const projected = runsHere(op.small, x) ? affineLocal(x.data(), x.steps, op.small) : (addBias(tf.matMul(x.tensor(), op.kernel), op.bias).dataSync() as Float32Array)
      return new Value(x.steps, op.recurrence.units, undefined, op.recurrence.run(projected, x.steps))
    }
  }
}

function affineLocal(x: Float32Array, steps: number, a: SmallAffine): Float32Array {
  const {inputs, outputs} = a
  const row = new Float64Array(inputs)
  const sums = new Float64Array(outputs)
  const out = new Float32Array(steps * outputs)
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < inputs; i++) row[i] = x[t * inputs + i]
    matVec(a.wt, 0, outputs, row, inputs, sums)
    for (let j = 0; j < outputs; j++) out[t * outputs + j] = sums[j] + a.bias[j]
  }
  return out
}

function batchNormLocal(x: Float32Array, bn: Affine1D): Float32Array {
  const width = bn.mean.length
  const out = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) {
    const c = i % width
    out[i] = (x[i] - bn.mean[c]) * bn.scale[c] + bn.offset[c]
  }
  return out
}

/** In place on a block of rows `width` wide. */
function activateLocal(x: Float32Array, width: number, activation: ActivationName): Float32Array {
  switch (activation) {
    case 'linear':
      break
    case 'relu':
      for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] = 0
      break
    case 'sigmoid':
      for (let i = 0; i < x.length; i++) x[i] = 1 / (1 + Math.exp(-x[i]))
      break
    case 'hardSigmoid':
      for (let i = 0; i < x.length; i++) x[i] = Math.min(1, Math.max(0, 0.2 * x[i] + 0.5))
      break
    case 'tanh':
      for (let i = 0; i < x.length; i++) x[i] = Math.tanh(x[i])
      break
    case 'softmax':
      for (let r = 0; r < x.length; r += width) {
        let max = -Infinity
        for (let j = 0; j < width; j++) max = Math.max(max, x[r + j])
        let sum = 0
        for (let j = 0; j < width; j++) sum += Math.exp(x[r + j] - max)
        for (let j = 0; j < width; j++) x[r + j] = Math.exp(x[r + j] - max) / sum
      }
      break
  }
  return x
}

/**
 * One Keras-2 GRU's recurrence (reset_after = false, gates z | r | h):
 *   z = rec(xz + h Uz), r = rec(xr + h Ur), hh = tanh(xh + (r * h) Uh),
 *   h' = z * h + (1 - z) * hh
 * where x* = x W* + b* arrive precomputed for the whole chunk.
 */
export class GruRecurrence {
  readonly units: number
  /**
   * Recurrent kernel transposed, [3H, H], so that each gate unit's weights
   * are one contiguous row. Float64 like the state: V8 reads float32 arrays
   * through a conversion, which made the products ~1.4x slower.
   */
  private readonly ut: Float64Array
  private readonly h: Float64Array
  private readonly pre: Float64Array
  private readonly rh: Float64Array

  constructor(recurrentKernel: Float32Array, units: number, readonly hard: boolean) {
    if (recurrentKernel.length !== units * 3 * units) throw new RangeError(`recurrent kernel must hold ${units} x ${3 * units} values`)
    this.units = units
    const cols = 3 * units
    this.ut = new Float64Array(cols * units)
    for (let i = 0; i < units; i++) for (let j = 0; j < cols; j++) this.ut[j * units + i] = recurrentKernel[i * cols + j]
    this.h = new Float64Array(units)
    this.pre = new Float64Array(cols)
    this.rh = new Float64Array(units)
  }

  /** projected: [steps, 3H] input projections (bias included) -> hidden states [steps, H]. */
  run(projected: Float32Array, steps: number): Float32Array {
    const H = this.units
    const {ut, h, pre, rh, hard} = this
    const out = new Float32Array(steps * H)
    for (let t = 0; t < steps; t++) {
      const p = t * 3 * H
      matVec(ut, 0, 2 * H, h, H, pre)
      for (let j = 0; j < 2 * H; j++) {
        const a = projected[p + j] + pre[j]
        pre[j] = hard ? (a <= -2.5 ? 0 : a >= 2.5 ? 1 : 0.2 * a + 0.5) : 1 / (1 + Math.exp(-a))
      }
      for (let i = 0; i < H; i++) rh[i] = pre[H + i] * h[i]
      matVec(ut, 2 * H, H, rh, H, pre)
      const o = t * H
      for (let j = 0; j < H; j++) {
        const hh = Math.tanh(projected[p + 2 * H + j] + pre[2 * H + j])
        h[j] = hh + pre[j] * (h[j] - hh)
        out[o + j] = h[j]
      }
    }
    return out
  }

  reset(): void {
    this.h.fill(0)
  }
}

/**
 * out[r] = w[r] . v for rows r in [first, first + rows) of a row-major
 * matrix with n columns. Four rows per pass share each load of v, about
 * twice the speed of one dot product at a time (V8 does not vectorise).
 */
function matVec(w: Float64Array, first: number, rows: number, v: Float64Array, n: number, out: Float64Array): void {
  const end = first + rows
  let r = first
  for (; r + 3 < end; r += 4) {
    const a = r * n
    const b = a + n
    const c = b + n
    const d = c + n
    let s0 = 0
    let s1 = 0
    let s2 = 0
    let s3 = 0
    for (let i = 0; i < n; i++) {
      const x = v[i]
      s0 += w[a + i] * x
      s1 += w[b + i] * x
      s2 += w[c + i] * x
      s3 += w[d + i] * x
    }
    out[r] = s0
    out[r + 1] = s1
    out[r + 2] = s2
    out[r + 3] = s3
  }
  for (; r < end; r++) {
    const a = r * n
    let s = 0
    for (let i = 0; i < n; i++) s += w[a + i] * v[i]
    out[r] = s
  }
}

/**
 * The conv's view of the frame stream: keeps exactly the frames that output
 * steps not yet computed still need, and hands out complete windows as
 * im2col rows. Step s reads frames [s * strides, s * strides + kernelSize).
 */
class ConvWindow {
  nextStep = 0
  private buffer: Float32Array
  /** Absolute index of the buffer's first frame. */
  private first = 0
  /** Frames held. */
  private count = 0
  /** Frames received. */
  private total = 0

  constructor(readonly kernelSize: number, readonly strides: number, readonly features: number) {
    this.buffer = new Float32Array((kernelSize + strides) * features)
  }

  push(block: FrameBlock): {rows: Float32Array; steps: number; firstStep: number} {
    const F = this.features
    if (block.data.length !== block.frames * F) throw new RangeError(`expected ${block.frames} frames of ${F} values, got ${block.data.length} values`)
    // Frames before `first` fall in the gap between windows (only when strides > kernelSize).
    const skip = Math.min(block.frames, Math.max(0, this.first + this.count - this.total))
    const keep = block.frames - skip
    this.reserve((this.count + keep) * F)
    this.buffer.set(block.data.subarray(skip * F), this.count * F)
    this.count += keep
    this.total += block.frames

    const firstStep = this.nextStep
    const {kernelSize: K, strides: S} = this
    const startFrame = firstStep * S
    const steps = this.total >= startFrame + K ? Math.floor((this.total - K - startFrame) / S) + 1 : 0
    const width = K * F
    const rows = new Float32Array(steps * width)
    for (let t = 0; t < steps; t++) {
      const from = ((firstStep + t) * S - this.first) * F
      rows.set(this.buffer.subarray(from, from + width), t * width)
    }
    this.nextStep += steps

    const newFirst = this.nextStep * S
    if (newFirst >= this.first + this.count) {
      this.count = 0
    } else {
      const drop = newFirst - this.first
      this.buffer.copyWithin(0, drop * F, this.count * F)
      this.count -= drop
    }
    this.first = newFirst
    return {rows, steps, firstStep}
  }

  reset(): void {
    this.nextStep = 0
    this.first = 0
    this.count = 0
    this.total = 0
  }

  private reserve(values: number): void {
    if (values <= this.buffer.length) return
    let size = this.buffer.length
    while (size < values) size *= 2
    const grown = new Float32Array(size)
    grown.set(this.buffer.subarray(0, this.count * this.features))
    this.buffer = grown
  }
}

// ---------------------------------------------------------------------------
// Reading the network out of a tf.LayersModel.

type Layer = tf.layers.Layer
type Config = tf.serialization.ConfigDict

const IDENTITY_LAYERS = new Set(['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout'])

interface Compiled {
  conv: ConvSpec
  nodes: Node[]
  triggerNode: number
  ctcNode: number
  classes: number
}

/** Every tensor it makes goes into `owned`, so a failure part-way frees them all. */
function compile(model: tf.LayersModel, owned: tf.Tensor[]): Compiled {
  const own = <T extends tf.Tensor>(t: T): T => {
    owned.push(t)
    return t
  }
  const variable = (layer: Layer, suffix: string): tf.Tensor | undefined =>
    layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`) || w.originalName === suffix)?.read()
  // Copies, so the network does not depend on the model staying alive.
  const weight = (layer: Layer, suffix: string): tf.Tensor | undefined => {
    const v = variable(layer, suffix)
    return v === undefined ? undefined : own(tf.clone(v))
  }
  const need = (layer: Layer, suffix: string): tf.Tensor => {
    const t = weight(layer, suffix)
    if (t === undefined) throw new UnsupportedModelError(`layer ${layer.name} has no ${suffix} weight`)
    return t
  }

  if (model.inputs.length !== 1) throw new UnsupportedModelError(`the model has ${model.inputs.length} inputs (a detector has one)`)
  const inputLayer = model.inputs[0].sourceLayer
  const parentOf = (layer: Layer): Layer => {
    if (layer.inboundNodes.length !== 1 || layer.inboundNodes[0].inboundLayers.length !== 1) {
      throw new UnsupportedModelError(`layer ${layer.name} is used more than once or has several inputs`)
    }
    return layer.inboundNodes[0].inboundLayers[0]
  }

  const layers = model.layers.filter((l) => l !== inputLayer)
  const children = layers.filter((l) => parentOf(l) === inputLayer)
  if (children.length !== 1 || className(children[0]) !== 'Conv1D') {
    throw new UnsupportedModelError('the input must feed exactly one Conv1D layer')
  }

  const convLayer = children[0]
  const cc = convLayer.getConfig()
  const kernelSize = single(cc.kernelSize)
  const strides = single(cc.strides)
  if (cc.padding !== 'valid') throw new UnsupportedModelError(`${convLayer.name}: only padding "valid" streams (got ${String(cc.padding)})`)
  if (single(cc.dilationRate ?? 1) !== 1) throw new UnsupportedModelError(`${convLayer.name}: dilation is not supported`)
  if (cc.dataFormat !== undefined && cc.dataFormat !== 'channelsLast') throw new UnsupportedModelError(`${convLayer.name}: only channelsLast is supported`)
  const convKernel = variable(convLayer, 'kernel') as tf.Tensor3D | undefined
  if (convKernel === undefined || convKernel.rank !== 3) throw new UnsupportedModelError(`${convLayer.name} has no 3-D kernel`)
  const [, features, filters] = convKernel.shape
  const conv: ConvSpec = {
    layer: convLayer.name,
    kernelSize,
    strides,
    features,
    filters,
    kernel: own(convKernel.reshape([kernelSize * features, filters])),
    bias: weight(convLayer, 'bias') as tf.Tensor1D | undefined,
    activation: activationName(cc.activation, convLayer.name),
  }
  conv.small = smallAffine(conv.kernel, conv.bias)

  const nodes: Node[] = []
  const index = new Map<Layer, number>([[convLayer, -1]])
  for (const layer of layers) {
    if (layer === convLayer) continue
    const parent = parentOf(layer)
    const input = index.get(parent)
    if (input === undefined) throw new UnsupportedModelError(`layer ${layer.name} reads ${parent.name}, which is not downstream of the conv`)
    nodes.push({layer: layer.name, input, op: layerOp(layer, {need, weight, variable})})
    index.set(layer, nodes.length - 1)
  }

  const heads = model.outputs.map((output) => {
    const node = index.get(output.sourceLayer)
    if (node === undefined || node < 0) throw new UnsupportedModelError(`output ${output.name} does not come after the conv`)
    return {node, width: output.shape[output.shape.length - 1] as number, softmax: endsInSoftmax(nodes[node].op)}
  })
  const trigger = heads.filter((h) => h.width === 1 && !h.softmax)
  const ctc = heads.filter((h) => h.softmax)
  if (trigger.length !== 1 || ctc.length > 1 || heads.length !== trigger.length + ctc.length) {
    throw new UnsupportedModelError(`expected one trigger output (1 unit) and at most one CTC output (softmax), got outputs of widths ${heads.map((h) => h.width).join(', ')}`)
  }

  return {conv, nodes, triggerNode: trigger[0].node, ctcNode: ctc[0]?.node ?? -1, classes: ctc[0]?.width ?? 0}
}

interface Weights {
  /** A copy of the layer's weight, or an error naming what is missing. */
  need(layer: Layer, suffix: string): tf.Tensor
  /** A copy, if the layer has it. */
  weight(layer: Layer, suffix: string): tf.Tensor | undefined
  /** The model's own tensor (not to be kept or disposed). */
  variable(layer: Layer, suffix: string): tf.Tensor | undefined
}

function layerOp(layer: Layer, {need, weight, variable}: Weights): Op {
  const config = layer.getConfig()
  const name = className(layer)
  if (IDENTITY_LAYERS.has(name)) return {kind: 'identity'}
  if (name === 'Activation') return {kind: 'activation', activation: activationName(config.activation, layer.name)}
  if (name === 'BatchNormalization') {
    const axis = Array.isArray(config.axis) ? config.axis : [config.axis]
    if (axis.length !== 1 || !(axis[0] === -1 || axis[0] === 2)) throw new UnsupportedModelError(`${layer.name}: only BatchNormalization over the last axis streams`)
    const mean = need(layer, 'moving_mean') as tf.Tensor1D
    const variance = need(layer, 'moving_variance') as tf.Tensor1D
    const offset = config.center === false ? undefined : (need(layer, 'beta') as tf.Tensor1D)
    const scale = config.scale === false ? undefined : (need(layer, 'gamma') as tf.Tensor1D)
    const epsilon = Number(config.epsilon ?? 1e-3)
    const channels = mean.shape[0]
    const v = variance.dataSync()
    const g = scale?.dataSync()
    const js: Affine1D = {
      mean: Float64Array.from(mean.dataSync()),
      scale: Float64Array.from({length: channels}, (_, i) => (g ? g[i] : 1) / Math.sqrt(v[i] + epsilon)),
      offset: offset ? Float64Array.from(offset.dataSync()) : new Float64Array(channels),
    }
    return {kind: 'batchNorm', mean, variance, offset, scale, epsilon, js}
  }
  if (name === 'Dense') return denseOp(layer, need, weight)
  if (name === 'TimeDistributed' || name === 'FusedTimeDistributed') {
    const inner = (layer as unknown as {layer: Layer}).layer
    if (className(inner) !== 'Dense') throw new UnsupportedModelError(`${layer.name}: only TimeDistributed(Dense) streams, not TimeDistributed(${className(inner)})`)
    return denseOp(inner, need, weight)
  }
  if (name === 'GRU' || name === 'FusedGRU') {
    const problem = unsupportedGruConfig(config)
    if (problem !== undefined) throw new UnsupportedModelError(`${layer.name}: ${problem}`)
    if (config.returnSequences !== true) throw new UnsupportedModelError(`${layer.name}: a streaming GRU must return sequences`)
    const units = Number(config.units)
    const recurrent = activationName(config.recurrentActivation ?? 'hardSigmoid', layer.name)
    const u = variable(layer, 'recurrent_kernel')
    if (u === undefined) throw new UnsupportedModelError(`layer ${layer.name} has no recurrent_kernel weight`)
    const kernel = need(layer, 'kernel') as tf.Tensor2D
    const bias = weight(layer, 'bias') as tf.Tensor1D | undefined
    return {kind: 'gru', kernel, bias, small: smallAffine(kernel, bias), recurrence: new GruRecurrence(Float32Array.from(u.dataSync()), units, recurrent === 'hardSigmoid')}
  }
  throw new UnsupportedModelError(`layer ${layer.name} (${name}) cannot be streamed`)
}

function denseOp(layer: Layer, need: (l: Layer, s: string) => tf.Tensor, weight: (l: Layer, s: string) => tf.Tensor | undefined): Op {
  const kernel = need(layer, 'kernel') as tf.Tensor2D
  const bias = weight(layer, 'bias') as tf.Tensor1D | undefined
  return {kind: 'affine', kernel, bias, activation: activationName(layer.getConfig().activation, layer.name), small: smallAffine(kernel, bias)}
}

function smallAffine(kernel: tf.Tensor2D, bias: tf.Tensor1D | undefined): SmallAffine | undefined {
  const [inputs, outputs] = kernel.shape
  if (inputs * outputs > Math.max(SMALL_LAYER, LOCAL_WORK)) return undefined
  const w = kernel.dataSync()
  const wt = new Float64Array(inputs * outputs)
  for (let i = 0; i < inputs; i++) for (let j = 0; j < outputs; j++) wt[j * inputs + i] = w[i * outputs + j]
  return {wt, bias: bias ? Float64Array.from(bias.dataSync()) : new Float64Array(outputs), inputs, outputs}
}

function endsInSoftmax(op: Op): boolean {
  return (op.kind === 'affine' || op.kind === 'activation') && op.activation === 'softmax'
}

function className(layer: Layer): string {
  return layer.getClassName()
}

function single(value: Config[string]): number {
  const v = Array.isArray(value) ? value : [value]
  if (v.length !== 1 || !Number.isInteger(v[0])) throw new UnsupportedModelError(`expected one integer, got ${JSON.stringify(value)}`)
  return v[0] as number
}

function activationName(value: unknown, layer: string): ActivationName {
  const name = String(value ?? 'linear').replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())
  if (name === 'linear' || name === 'relu' || name === 'sigmoid' || name === 'hardSigmoid' || name === 'tanh' || name === 'softmax') return name
  throw new UnsupportedModelError(`${layer}: activation ${name} is not supported`)
}
