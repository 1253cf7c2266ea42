import * as tf from '@tensorflow/tfjs'

import {steps} from './wasm-kernels.js'

/**
 * A fused GRU: the whole sequence is one tfjs op whose backprop through time
 * is written by hand.
 *
 * Why: tfjs-layers runs an RNN as `tf.unstack` over time plus a dozen small
 * ops per step, each recorded on the tape and differentiated one by one. On the wasm backend `unstack`/`slice`
 * copy the whole input out of the wasm heap for every step, so the course
 * model (1375 steps) predicts in ~3 s and cannot train on full clips. Here the
 * input projection of all steps is one matMul, each step is 11 ops on
 * per-step tensors cut in one go (see `steps` in wasm-kernels.ts), and the
 * backward pass is a loop of 6 ops per step plus a few large matMuls.
 *
 * Semantics are Keras 2's GRU (reset_after = false), which is also the only
 * variant tfjs-layers implements, so weights move between the two unchanged:
 *   kernel [D, 3H], recurrent_kernel [H, 3H], bias [3H], gate blocks z | r | h
 *   z  = rec(x W_z + b_z + h U_z)
 *   r  = rec(x W_r + b_r + h U_r)
 *   hh = tanh(x W_h + b_h + (r * h) U_h)      <- reset applied before U_h
 *   h' = z * h + (1 - z) * hh
 * `rec` is the recurrent activation: hard sigmoid clip(0.2 a + 0.5, 0, 1) by
 * default (the Keras 2 and tfjs-layers default, and what the course used), or
 * the logistic sigmoid.
 */

export type RecurrentActivation = 'hardSigmoid' | 'sigmoid'

export const DEFAULT_RECURRENT_ACTIVATION: RecurrentActivation = 'hardSigmoid'

export interface GruOptions {
  recurrentActivation?: RecurrentActivation
}

/**
 * Run a GRU over a whole sequence: x [B, T, D] -> all hidden states [B, T, H].
 * `h0` [B, H] defaults to zeros. Differentiable with respect to every tensor
 * argument (including h0) through a hand-written backward pass.
 */
export function gruSequence(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  h0?: tf.Tensor2D,
  options: GruOptions = {},
): tf.Tensor3D {
  const activation = options.recurrentActivation ?? DEFAULT_RECURRENT_ACTIVATION
  checkShapes(x, kernel, recurrentKernel, bias, h0)
  if (h0 === undefined) return fusedOp(activation, false)(x, kernel, recurrentKernel, bias) as tf.Tensor3D
  return fusedOp(activation, true)(x, kernel, recurrentKernel, bias, h0) as tf.Tensor3D
}

type CustomGradFunc = Parameters<typeof tf.customGrad<tf.Tensor3D>>[0]

/**
 * The customGrad op. Without h0 the zero state is made inside the op, so no
 * gradient is reported for it (customGrad wants one gradient per input).
 */
function fusedOp(activation: RecurrentActivation, withH0: boolean): (...args: tf.Tensor[]) => tf.Tensor3D {
  const f = (...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.at(-1) as tf.GradSaveFunc
    const [x, kernel, u, bias] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D]
    const h0 = withH0 ? (args[4] as tf.Tensor2D) : (tf.zeros([x.shape[0], u.shape[0]]) as tf.Tensor2D)
    const value = forward(x, kernel, u, bias, h0, activation, save)
    const gradFunc = (dy: tf.Tensor3D, saved: tf.Tensor[]): tf.Tensor[] => {
      const grads = backward(dy, saved, activation)
      if (withH0) return grads
      grads[4].dispose()
      return grads.slice(0, 4)
    }

    return {value, gradFunc}
  }

  return tf.customGrad(f as CustomGradFunc)
}

/**
 * One GRU step for streaming: h [B, H] and the step's input projection
 * xProj = x_t kernel + bias [B, 3H] -> next h [B, H]. Plain ops, no custom
 * gradient: this is for inference one frame at a time.
 */
export function gruStep(
  h: tf.Tensor2D,
  xProj: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  options: GruOptions = {},
): tf.Tensor2D {
  const activation = options.recurrentActivation ?? DEFAULT_RECURRENT_ACTIVATION
  return tf.tidy(() => {
    const units = recurrentKernel.shape[0]
    const [uzr, uh] = tf.split(recurrentKernel, [2 * units, units], 1)
    const [xzr, xh] = tf.split(xProj, [2 * units, units], 1)
    const zr = recurrent(tf.add(xzr, tf.matMul(h, uzr)), activation)
    const [z, r] = tf.split(zr, 2, 1)
    const hh = tf.tanh(tf.add(xh, tf.matMul(tf.mul(r, h), uh)))
    return tf.add(hh, tf.mul(z, tf.sub(h, hh))) as tf.Tensor2D
  })
}

/** x [B, T, D] (or [B, D]) -> x kernel + bias, the input half of every gate pre-activation. */
export function projectInput<R extends tf.Rank>(x: tf.Tensor<R>, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor<R> {
  return tf.tidy(() => {
    const d = x.shape[x.rank - 1]
    const flat = tf.matMul(x.reshape([-1, d]), kernel)
    return tf.add(flat, bias).reshape([...x.shape.slice(0, -1), kernel.shape[1]]) as tf.Tensor<R>
  })
}

function recurrent(pre: tf.Tensor, activation: RecurrentActivation): tf.Tensor {
  return activation === 'sigmoid' ? tf.sigmoid(pre) : tf.clipByValue(tf.add(tf.mul(pre, 0.2), 0.5), 0, 1)
}

function checkShapes(x: tf.Tensor, kernel: tf.Tensor, u: tf.Tensor, bias: tf.Tensor, h0?: tf.Tensor): void {
  const units = u.shape[0]
  const problems: string[] = []
  if (x.rank !== 3) problems.push(`x must be [batch, time, features], got [${x.shape}]`)
  if (u.rank !== 2 || u.shape[1] !== 3 * units) problems.push(`recurrentKernel must be [H, 3H], got [${u.shape}]`)
  if (kernel.rank !== 2 || kernel.shape[0] !== x.shape[2] || kernel.shape[1] !== 3 * units) {
    problems.push(`kernel must be [${x.shape[2]}, ${3 * units}], got [${kernel.shape}]`)
  }

  if (bias.rank !== 1 || bias.shape[0] !== 3 * units) problems.push(`bias must be [${3 * units}], got [${bias.shape}]`)
  if (h0 !== undefined && (h0.rank !== 2 || h0.shape[0] !== x.shape[0] || h0.shape[1] !== units)) {
    problems.push(`h0 must be [${x.shape[0]}, ${units}], got [${h0.shape}]`)
  }

  if (x.shape[1] === 0) problems.push('the sequence is empty')
  if (problems.length > 0) throw new Error(`gruSequence: ${problems.join('; ')}`)
}

/**
 * True while tfjs records a tape (inside tf.grads / optimizer.minimize).
 * customGrad's `save` quietly drops its tensors when nothing is recorded but
 * offers no way to ask, so this decides up front whether to keep the per-step
 * activations the backward pass needs; inference keeps only the outputs.
 */
function recordingGradients(): boolean {
  return tf.engine().state.gradientDepth > 0
}

function forward(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  u: tf.Tensor2D,
  bias: tf.Tensor1D,
  h0: tf.Tensor2D,
  activation: RecurrentActivation,
  save: tf.GradSaveFunc,
): tf.Tensor3D {
  const [batch, count, features] = x.shape
  const units = u.shape[0]
  const hard = activation === 'hardSigmoid'
  const training = recordingGradients()

  const [wzr, wh] = tf.split(kernel, [2 * units, units], 1)
  const [uzr, uh] = tf.split(u, [2 * units, units], 1)
  const [bzr, bh] = tf.split(bias, [2 * units, units], 0)
  // Fold the hard sigmoid's affine part (0.2 a + 0.5) into the z/r weights
  // once, so each step only needs a clip.
  const wzrS = hard ? tf.mul(wzr, 0.2) : wzr
  const uzrS = hard ? tf.mul(uzr, 0.2) : uzr
  const bzrS = hard ? tf.add(tf.mul(bzr, 0.2), 0.5) : bzr

  // Time-major, so that each step's rows are one contiguous block.
  const xt = tf.transpose(x, [1, 0, 2]).reshape([count * batch, features]) as tf.Tensor2D
  const xzr = steps(tf.add(tf.matMul(xt, wzrS), bzrS).reshape([count, batch, 2 * units]))
  const xh = steps(tf.add(tf.matMul(xt, wh), bh).reshape([count, batch, units]))

  const hs: tf.Tensor2D[] = []
  const zs: tf.Tensor2D[] = []
  const rs: tf.Tensor2D[] = []
  const hhs: tf.Tensor2D[] = []
  let h = h0
  for (let t = 0; t < count; t++) {
    const prev = h
    const out = tf.tidy(() => {
      const pre = tf.add(xzr[t], tf.matMul(prev, uzrS))
      const zr = hard ? tf.clipByValue(pre, 0, 1) : tf.sigmoid(pre)
      const [z, r] = tf.split(zr, 2, 1)
      const hh = tf.tanh(tf.add(xh[t], tf.matMul(tf.mul(r, prev), uh)))
      // z*h + (1-z)*hh, in three ops instead of four.
      const next = tf.add(hh, tf.mul(z, tf.sub(prev, hh)))
      return {next, z, r, hh}
    })
    h = out.next as tf.Tensor2D
    hs.push(h)
    if (training) {
      // Kept apart rather than as zr: splitting a [T, B, 2H] tensor later
      // would be a whole-tensor copy per half on wasm.
      zs.push(out.z as tf.Tensor2D)
      rs.push(out.r as tf.Tensor2D)
      hhs.push(out.hh as tf.Tensor2D)
    } else {
      tf.dispose([out.z, out.r, out.hh, xzr[t], xh[t]])
    }
  }

  const value = tf.stack(hs, 1) as tf.Tensor3D
  if (training) {
    const hPrev = tf.stack([h0, ...hs.slice(0, -1)], 0) // [T, B, H]: the state each step started from
    save([xt, kernel, u, hPrev, tf.stack(zs, 0), tf.stack(rs, 0), tf.stack(hhs, 0)])
  }

  return value
}

/**
 * Backprop through time. With dh = dL/dh_t (the output's own gradient plus
 * what flows back from step t+1), per step:
 *   dpre_h  = dh * (1 - z) * (1 - hh^2)
 *   drh     = dpre_h U_h^T                    (gradient w.r.t. r * h_prev)
 *   dpre_z  = dh * (h_prev - hh) * rec'(z)
 *   dpre_r  = drh * h_prev * rec'(r)
 *   dh_prev = dh * z + drh * r + [dpre_z | dpre_r] U_zr^T
 * rec' is 0.2 inside the hard sigmoid's linear zone and 0 where it clipped
 * (told apart by the saved value being strictly between 0 and 1), or
 * s (1 - s) for the sigmoid.
 *
 * Everything not depending on dh is computed for all steps before the loop,
 * packed as Q = [z | r | (h_prev - hh) rec'(z) | h_prev rec'(r)]. Then one
 * elementwise product q = [dh | drh | dh | drh] * Q yields both
 * [dh*z | drh*r] and [dpre_z | dpre_r], and a single matMul with
 * M = [I; I; U_zr^T] sums them into dh_prev: six ops per step. The weight
 * gradients are single matMuls over all steps after the loop.
 */
function backward(dy: tf.Tensor3D, saved: tf.Tensor[], activation: RecurrentActivation): tf.Tensor[] {
  // Own tidy: the [T, B, *] temporaries would otherwise live until tfjs has
  // finished the whole backward pass of the model.
  return tf.tidy(() => backwardInScope(dy, saved, activation))
}

function backwardInScope(dy: tf.Tensor3D, saved: tf.Tensor[], activation: RecurrentActivation): tf.Tensor[] {
  const [xt, kernel, u, hPrev, zAll, rAll, hhAll] = saved as [
    tf.Tensor2D,
    tf.Tensor2D,
    tf.Tensor2D,
    tf.Tensor3D,
    tf.Tensor3D,
    tf.Tensor3D,
    tf.Tensor3D,
  ]
  const [count, batch, units] = hPrev.shape
  const features = xt.shape[1]

  const recGrad = (s: tf.Tensor) =>
    activation === 'sigmoid'
      ? tf.mul(s, tf.sub(1, s))
      : tf.mul(tf.cast(tf.logicalAnd(tf.greater(s, 0), tf.less(s, 1)), 'float32'), 0.2)
  const recGradZ = recGrad(zAll)
  const recGradR = recGrad(rAll)
  const gradH = steps(tf.mul(tf.sub(1, zAll), tf.sub(1, tf.square(hhAll)))) // dpre_h / dh
  const q = steps(tf.concat([zAll, rAll, tf.mul(tf.sub(hPrev, hhAll), recGradZ), tf.mul(hPrev, recGradR)], 2))
  const dyT = steps(tf.transpose(dy, [1, 0, 2]))

  const [uzr, uh] = tf.split(u, [2 * units, units], 1)
  const uhT = tf.transpose(uh)
  const eye = tf.eye(units)
  const sumToPrev = tf.concat([eye, eye, tf.transpose(uzr)], 0) // M, [4H, H]

  const qs: tf.Tensor2D[] = new Array(count)
  const dHh: tf.Tensor2D[] = new Array(count)
  let dh = tf.zeros([batch, units]) as tf.Tensor2D
  for (let t = count - 1; t >= 0; t--) {
    const carried = dh
    const out = tf.tidy(() => {
      const g = tf.add(carried, dyT[t])
      const dpreH = tf.mul(g, gradH[t])
      const drh = tf.matMul(dpreH, uhT)
      const qt = tf.mul(tf.concat([g, drh, g, drh], 1), q[t])
      return {prev: tf.matMul(qt, sumToPrev), qt, dpreH}
    })
    tf.dispose([carried, dyT[t], gradH[t], q[t]])
    dh = out.prev as tf.Tensor2D
    qs[t] = out.qt as tf.Tensor2D
    dHh[t] = out.dpreH as tf.Tensor2D
  }

  // Columns 2H..4H of q are [dpre_z | dpre_r].
  const dPreZr = tf.stack(qs, 0).reshape([count * batch, 4 * units]).slice([0, 2 * units], [-1, 2 * units])
  const dPreH = tf.stack(dHh, 0).reshape([count * batch, units])
  const dPre = tf.concat([dPreZr, dPreH], 1) as tf.Tensor2D // [T*B, 3H], gate order z | r | h
  const hPrev2 = hPrev.reshape([count * batch, units])
  const rh2 = tf.mul(rAll, hPrev).reshape([count * batch, units])

  const dKernel = tf.matMul(tf.transpose(xt), dPre)
  const dRecurrent = tf.concat([tf.matMul(tf.transpose(hPrev2), dPreZr), tf.matMul(tf.transpose(rh2), dPreH)], 1)
  const dBias = tf.sum(dPre, 0)
  const dx = tf.matMul(dPre, tf.transpose(kernel)).reshape([count, batch, features]).transpose([1, 0, 2])
  return [dx, dKernel, dRecurrent, dBias, dh]
}

type GRULayer = ReturnType<typeof tf.layers.gru>
type GRUCellLayer = ReturnType<typeof tf.layers.gruCell>
type Kwargs = {[key: string]: unknown}

/**
 * tfjs-layers does not export its GRU class, only a factory; the class itself
 * is reachable through the serialization registry it registers with. Extending
 * it keeps everything but the computation stock: constructor arguments,
 * config, initialisers, weight names/shapes/order (kernel, recurrent_kernel,
 * bias) and the RNN base's shape inference.
 */
export function registeredClass<T extends tf.serialization.Serializable, A>(
  className: string,
): tf.serialization.SerializableConstructor<T> & (new (args: A) => T) {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className]
  if (entry === undefined) throw new Error(`tfjs-layers has no registered class ${className}`)
  return entry[0] as unknown as tf.serialization.SerializableConstructor<T> & (new (args: A) => T)
}

const StockGRU = registeredClass<GRULayer, tf.GRULayerArgs>('GRU')

/**
 * Drop-in replacement for `tf.layers.gru` that runs {@link gruSequence}.
 * Serialises with className 'FusedGRU' and otherwise the stock GRU config;
 * src/model/io.ts renames it to 'GRU' on save so saved models load anywhere.
 * Only what the fused op implements is accepted: tanh activation, sigmoid or
 * hard sigmoid recurrent activation, no dropout inside the cell, no masking,
 * not stateful, forward direction, no returned state.
 */
export class FusedGRU extends StockGRU {
  static override className = 'FusedGRU'
  readonly recurrentActivationName: RecurrentActivation

  constructor(args: tf.GRULayerArgs) {
    super(args)
    const problem = unsupportedGruConfig(this.getConfig())
    if (problem !== undefined) throw new Error(`FusedGRU: ${problem}`)
    this.recurrentActivationName = activationName(this.getConfig().recurrentActivation) as RecurrentActivation
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      if (kwargs?.mask != null) throw new Error('FusedGRU does not support masking')
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D
      const state = kwargs?.initialState ?? (Array.isArray(inputs) && inputs.length > 1 ? inputs[1] : undefined)
      const h0 = (Array.isArray(state) ? state[0] : state) as tf.Tensor2D | undefined
      const cell = this.cell as unknown as GRUCellLayer
      const units = cell.units
      const bias = cell.useBias ? (cell.bias.read() as tf.Tensor1D) : (tf.zeros([3 * units]) as tf.Tensor1D)
      const y = gruSequence(x, cell.kernel.read() as tf.Tensor2D, cell.recurrentKernel.read() as tf.Tensor2D, bias, h0, {
        recurrentActivation: this.recurrentActivationName,
      })
      if (this.returnSequences) return y
      // slice, not gather: gather's gradient needs UnsortedSegmentSum, which wasm lacks.
      const last = y.shape[1] - 1
      return y.slice([0, last, 0], [-1, 1, -1]).reshape([y.shape[0], units])
    })
  }
}

tf.serialization.registerClass(FusedGRU)

/** 'hard_sigmoid' / 'hardSigmoid' -> 'hardSigmoid' (configs are camelCase in memory, snake_case in model.json). */
function activationName(value: unknown): string {
  return String(value).replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())
}

/**
 * Why a GRU config (camelCase or snake_case keys) cannot run fused, or
 * undefined when it can. io.ts uses it to decide which saved GRUs to swap.
 */
export function unsupportedGruConfig(config: tf.serialization.ConfigDict): string | undefined {
  const get = (camel: string): unknown => config[camel] ?? config[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)]
  const activation = activationName(get('activation') ?? 'tanh')
  const recurrent = activationName(get('recurrentActivation') ?? DEFAULT_RECURRENT_ACTIVATION)
  if (activation !== 'tanh') return `activation ${activation} is not supported (only tanh)`
  if (recurrent !== 'hardSigmoid' && recurrent !== 'sigmoid') {
    return `recurrent activation ${recurrent} is not supported (only hardSigmoid or sigmoid)`
  }

  if (Number(get('dropout') ?? 0) > 0 || Number(get('recurrentDropout') ?? 0) > 0) {
    return 'dropout inside the GRU is not supported (use a Dropout layer)'
  }

  if (get('resetAfter') === true) return 'resetAfter (TF2-style GRU) is not supported'
  if (get('stateful') === true) return 'stateful is not supported'
  if (get('goBackwards') === true) return 'goBackwards is not supported'
  if (get('returnState') === true) return 'returnState is not supported'
  return undefined
}
