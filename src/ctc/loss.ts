/**
 * CTC loss (Graves et al., 2006): the negative log-likelihood of a label
 * sequence summed over every frame-level alignment that collapses to it.
 *
 * Convention shared with ./decode.ts: the blank is a class index, by default
 * the last one (C - 1), so token ids 0..C-2 keep their vocabulary numbering.
 *
 * The recursion runs in plain JS on float64 copies of the logits; tfjs only
 * sees the result and the precomputed gradient through tf.customGrad. The
 * per-frame work is O(T * (2L + 1)), tiny next to the network itself.
 */
import * as tf from '@tensorflow/tfjs'

export interface CtcExampleResult {
  /** -log p(label | input); +Infinity when no alignment fits in T steps. */
  loss: number
  /**
   * d loss / d logits, T x C row-major: softmax - posterior occupancy.
   * All zero when the loss is infinite (there is no direction that helps).
   */
  grad: Float64Array
}

export interface CtcLossOptions {
  /** Class index of the blank. Default C - 1 (blank last). */
  blank?: number
  /** Valid steps per example (default: all T). Steps beyond get zero gradient. */
  inputLengths?: ArrayLike<number>
  /**
   * Tokens per example. Required with a padded label tensor; with label
   * arrays it defaults to each array's length and may shorten (never lengthen) them.
   */
  labelLengths?: ArrayLike<number>
  /**
   * Examples whose label cannot fit in their input length (fewer steps than
   * tokens plus one blank between each pair of equal neighbours) have infinite
   * loss. With zeroInfinity they contribute loss 0 instead, like PyTorch's
   * `zero_infinity`, so one bad example cannot turn a batch mean into Infinity.
   * Their gradient is zero either way.
   */
  zeroInfinity?: boolean
}

/** One token-id sequence per example, or a padded [batch, Lmax] int tensor plus `labelLengths`. */
export type CtcLabels = ReadonlyArray<ArrayLike<number>> | tf.Tensor2D

const NEG_INF = Number.NEGATIVE_INFINITY

/** log(exp(a) + exp(b)) without overflow, and without NaN when both are -Infinity. */
function logAddExp(a: number, b: number): number {
  if (a === NEG_INF) return b
  if (b === NEG_INF) return a
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b))
}

/**
 * Fewest steps that can emit `label`: one per token, plus a blank wherever a
 * token repeats, since CTC would otherwise merge the two into one.
 */
export function minimumSteps(label: ArrayLike<number>): number {
  let steps = label.length
  for (let i = 1; i < label.length; i++) if (label[i] === label[i - 1]) steps++
  return steps
}

/**
 * Loss and gradient of one example.
 *
 * `logProbs` holds T rows of C log-softmax values (row-major); only the first
 * T * C entries are read. The gradient is with respect to the logits that
 * produced those rows, which is why it uses exp(logProbs) as the softmax.
 *
 * Notation: the blank-extended label z has S = 2L + 1 states, blanks at even
 * s and label tokens at odd s. alpha[t][s] is the log-probability of emitting
 * z[0..s] in steps 0..t and being in state s at t; beta[t][s] is the
 * log-probability of finishing from state s at t using steps t+1..T-1 (it
 * excludes step t's own emission, so alpha + beta counts it exactly once).
 */
export function ctcLossAndGrad(
  logProbs: Float32Array | Float64Array,
  T: number,
  C: number,
  label: Int32Array | ArrayLike<number>,
  blank: number = C - 1,
): CtcExampleResult {
  checkExample(logProbs.length, T, C, label, blank)
  const grad = new Float64Array(T * C)
  const L = label.length
  if (T < minimumSteps(label)) return {loss: Number.POSITIVE_INFINITY, grad}
  if (T === 0) return {loss: 0, grad}

  const S = 2 * L + 1
  const z = new Int32Array(S).fill(blank)
  for (let i = 0; i < L; i++) z[2 * i + 1] = label[i]
  // A skip from s-2 to s is allowed only onto a token that differs from the
  // token two states back; skipping onto a blank or a repeat would change the label.
  const canSkip = new Uint8Array(S)
  for (let s = 2; s < S; s++) canSkip[s] = z[s] !== blank && z[s] !== z[s - 2] ? 1 : 0

  const alpha = new Float64Array(T * S).fill(NEG_INF)
  alpha[0] = logProbs[blank]
  if (S > 1) alpha[1] = logProbs[z[1]]
  for (let t = 1; t < T; t++) {
    const prev = (t - 1) * S
    const cur = t * S
    const row = t * C
    for (let s = 0; s < S; s++) {
      let a = alpha[prev + s]
      if (s >= 1) a = logAddExp(a, alpha[prev + s - 1])
      if (canSkip[s]) a = logAddExp(a, alpha[prev + s - 2])
      alpha[cur + s] = a === NEG_INF ? NEG_INF : a + logProbs[row + z[s]]
    }
  }

  const beta = new Float64Array(T * S).fill(NEG_INF)
  const last = (T - 1) * S
  beta[last + S - 1] = 0
  if (S > 1) beta[last + S - 2] = 0
  for (let t = T - 2; t >= 0; t--) {
    const cur = t * S
    const next = (t + 1) * S
    const row = (t + 1) * C
    for (let s = 0; s < S; s++) {
      let b = beta[next + s] + logProbs[row + z[s]]
      if (s + 1 < S) b = logAddExp(b, beta[next + s + 1] + logProbs[row + z[s + 1]])
      if (s + 2 < S && canSkip[s + 2]) b = logAddExp(b, beta[next + s + 2] + logProbs[row + z[s + 2]])
      beta[cur + s] = b
    }
  }

  let logLik = alpha[last + S - 1]
  if (S > 1) logLik = logAddExp(logLik, alpha[last + S - 2])
  // Float rounding could in principle make a barely feasible case -Infinity.
  if (logLik === NEG_INF) return {loss: Number.POSITIVE_INFINITY, grad}

  for (let t = 0; t < T; t++) {
    const row = t * C
    for (let c = 0; c < C; c++) grad[row + c] = Math.exp(logProbs[row + c])
    for (let s = 0; s < S; s++) {
      const g = alpha[t * S + s] + beta[t * S + s]
      if (g !== NEG_INF) grad[row + z[s]] -= Math.exp(g - logLik)
    }
  }
  return {loss: -logLik, grad}
}

function checkExample(
  available: number,
  T: number,
  C: number,
  label: ArrayLike<number>,
  blank: number,
): void {
  if (!Number.isInteger(T) || T < 0 || !Number.isInteger(C) || C < 1) {
    throw new RangeError(`CTC: bad shape T=${T}, C=${C}`)
  }
  if (available < T * C) throw new RangeError(`CTC: ${available} values cannot hold ${T} x ${C}`)
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) {
    throw new RangeError(`CTC: blank index ${blank} is outside 0..${C - 1}`)
  }
  for (let i = 0; i < label.length; i++) {
    const k = label[i]
    if (!Number.isInteger(k) || k < 0 || k >= C || k === blank) {
      throw new RangeError(`CTC: label token ${k} at position ${i} is not a non-blank class in 0..${C - 1}`)
    }
  }
}

/** Writes log-softmax of `rows` rows of `logits` (from `offset`) into `out`, in float64. */
function logSoftmaxRows(
  logits: Float32Array | Float64Array | Int32Array | Uint8Array,
  offset: number,
  rows: number,
  C: number,
  out: Float64Array,
): void {
  for (let t = 0; t < rows; t++) {
    const src = offset + t * C
    let max = NEG_INF
    for (let c = 0; c < C; c++) if (logits[src + c] > max) max = logits[src + c]
    let sum = 0
    for (let c = 0; c < C; c++) sum += Math.exp(logits[src + c] - max)
    const logZ = max + Math.log(sum)
    for (let c = 0; c < C; c++) out[t * C + c] = logits[src + c] - logZ
  }
}

function labelsPerExample(labels: CtcLabels, batch: number, lengths?: ArrayLike<number>): Int32Array[] {
  let rows: ArrayLike<number>[]
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 2 || labels.shape[0] !== batch) {
      throw new RangeError(`CTC: padded labels must be [${batch}, Lmax], got [${labels.shape.join(', ')}]`)
    }
    if (lengths === undefined) throw new RangeError('CTC: a padded label tensor needs labelLengths')
    const width = labels.shape[1]
    const flat = labels.dataSync()
    rows = Array.from({length: batch}, (_, b) => flat.subarray(b * width, (b + 1) * width))
  } else {
    if (labels.length !== batch) throw new RangeError(`CTC: ${labels.length} labels for a batch of ${batch}`)
    rows = [...labels]
  }
  if (lengths !== undefined && lengths.length !== batch) {
    throw new RangeError(`CTC: ${lengths.length} label lengths for a batch of ${batch}`)
  }
  return rows.map((row, b) => {
    const n = lengths === undefined ? row.length : lengths[b]
    if (!Number.isInteger(n) || n < 0 || n > row.length) {
      throw new RangeError(`CTC: label length ${n} for example ${b} does not fit its ${row.length} tokens`)
    }
    return Int32Array.from({length: n}, (_, i) => row[i])
  })
}

function inputLengthsOf(T: number, batch: number, lengths?: ArrayLike<number>): Int32Array {
  if (lengths === undefined) return new Int32Array(batch).fill(T)
  if (lengths.length !== batch) throw new RangeError(`CTC: ${lengths.length} input lengths for a batch of ${batch}`)
  return Int32Array.from({length: batch}, (_, b) => {
    const n = lengths[b]
    if (!Number.isInteger(n) || n < 0 || n > T) {
      throw new RangeError(`CTC: input length ${n} for example ${b} is outside 0..${T}`)
    }
    return n
  })
}

/**
 * Per-example CTC loss [batch] of unnormalised `logits` [batch, T, C]
 * (log-softmax is applied here), differentiable with respect to the logits.
 * See CtcLossOptions for lengths, the blank index and impossible alignments.
 */
export function ctcLoss(logits: tf.Tensor3D, labels: CtcLabels, options: CtcLossOptions = {}): tf.Tensor1D {
  if (logits.rank !== 3) throw new RangeError(`CTC: logits must be [batch, T, C], got [${logits.shape.join(', ')}]`)
  const [batch, T, C] = logits.shape
  const blank = options.blank ?? C - 1
  const labelRows = labelsPerExample(labels, batch, options.labelLengths)
  const inputLengths = inputLengthsOf(T, batch, options.inputLengths)
  const zeroInfinity = options.zeroInfinity ?? false

  const op = tf.customGrad((x) => {
    const data = (x as tf.Tensor3D).dataSync()
    const losses = new Float32Array(batch)
    // Computed eagerly: the recursion yields it for free alongside the loss.
    const gradAll = new Float32Array(batch * T * C)
    const logProbs = new Float64Array(T * C)
    for (let b = 0; b < batch; b++) {
      const steps = inputLengths[b]
      logSoftmaxRows(data, b * T * C, steps, C, logProbs)
      const {loss, grad} = ctcLossAndGrad(logProbs, steps, C, labelRows[b], blank)
      losses[b] = loss === Number.POSITIVE_INFINITY && zeroInfinity ? 0 : loss
      if (Number.isFinite(loss)) gradAll.set(grad, b * T * C)
    }
    return {
      value: tf.tensor1d(losses),
      gradFunc: (dy: tf.Tensor) => tf.mul(tf.reshape(dy, [batch, 1, 1]), tf.tensor3d(gradAll, [batch, T, C])),
    }
  })
  return op(logits) as tf.Tensor1D
}

/**
 * Batch mean of ctcLoss, the usual training objective. With
 * `divideByLabelLength` each loss is first divided by its label length
 * (at least 1), like PyTorch's reduction='mean', so long labels do not dominate.
 */
export function ctcLossMean(
  logits: tf.Tensor3D,
  labels: CtcLabels,
  options: CtcLossOptions & {divideByLabelLength?: boolean} = {},
): tf.Scalar {
  return tf.tidy(() => {
    const losses = ctcLoss(logits, labels, options)
    if (!options.divideByLabelLength) return tf.mean(losses)
    const batch = logits.shape[0]
    const lengths = labelsPerExample(labels, batch, options.labelLengths).map((l) => Math.max(1, l.length))
    return tf.mean(tf.div(losses, tf.tensor1d(lengths)))
  })
}
