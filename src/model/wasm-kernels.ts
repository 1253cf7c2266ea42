import * as tf from '@tensorflow/tfjs'

/**
 * What the wasm backend lacks or does slowly for this model.
 *
 * 1. tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel, so training
 *    any Conv1D (tfjs runs conv1d as a Conv2D of height 1) fails on wasm with
 *    "Cannot find registered kernel". Gradients are registered per kernel
 *    name, not per backend, so the replacement only takes over on wasm and for
 *    the shapes it handles; elsewhere the stock gradient runs unchanged.
 * 2. Its Tile is slow, which tfjs-core's batch-norm gradient uses needlessly.
 * 3. Its Slice/Unpack/SplitV kernels copy the whole input out of the wasm heap
 *    for every slice, so splitting a [T, B, H] tensor into its T steps costs T
 *    whole-tensor copies (seconds for the course model), and gather, the
 *    cheap alternative, still costs ~50 us per call. The fused GRU instead
 *    gets all its per-step tensors from one kernel of its own, registered
 *    under a new name so no stock kernel changes behaviour.
 */

type GradConfig = ReturnType<typeof tf.getGradient>
type GradFunc = GradConfig['gradFunc']
type Conv2DAttrs = {
  strides: number | [number, number]
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  dataFormat: 'NHWC' | 'NCHW'
  dilations: number | [number, number]
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

/** Stock gradients replaced by registerWasmKernels, to delegate to and to restore. */
const stockGradients = new Map<string, GradConfig>()

/** Idempotent. Called by selectBackend when it picks wasm. */
export function registerWasmKernels(): void {
  overrideGradient('Conv2D', conv2DGrad)
  overrideGradient('FusedBatchNorm', batchNormGrad)
  if (tf.getKernel(STEPS_KERNEL, 'wasm') == null) {
    tf.registerKernel({kernelName: STEPS_KERNEL, backendName: 'wasm', kernelFunc: wasmSteps as tf.KernelFunc})
  }
}

/** Puts the stock gradients back (tests use it to show why the replacements are needed). */
export function restoreStockGradients(): void {
  for (const config of stockGradients.values()) tf.registerGradient(config)
  stockGradients.clear()
}

/**
 * Register `replace(stock)` as the gradient of `kernelName`, once. The
 * replacement returns the stock gradients except where it knows better.
 */
function overrideGradient(kernelName: string, replace: (stock: GradFunc) => GradFunc): void {
  if (stockGradients.has(kernelName)) return
  const stock = tf.getGradient(kernelName)
  stockGradients.set(kernelName, stock)
  tf.registerGradient({...stock, gradFunc: replace(stock.gradFunc)})
}

function conv2DGrad(stock: GradFunc): GradFunc {
  return (dy, saved, attrs) => {
    const grads = stock(dy, saved, attrs)
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D]
    const a = attrs as unknown as Conv2DAttrs
    if (tf.getBackend() !== 'wasm' || !isConv1DCase(x, filter, a)) return grads
    const stride = Array.isArray(a.strides) ? a.strides[1] : a.strides
    return {
      ...grads,
      filter: () => conv1dFilterGrad(x, dy as tf.Tensor4D, filter.shape, stride, a.pad as 'valid' | 'same' | number),
    }
  }
}

/**
 * tfjs-core's batch-norm input gradient tiles rsqrt(variance) up to the full
 * input shape before multiplying; wasm's Tile is slow on that (~0.2 s per
 * BatchNorm layer for the course model at batch 16). Broadcasting gives the
 * same product without materialising the tile.
 */
function batchNormGrad(stock: GradFunc): GradFunc {
  return (dy, saved, attrs) => {
    const grads = stock(dy, saved, attrs)
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined]
    if (tf.getBackend() !== 'wasm' || mean.rank !== 1) return grads
    const epsilon = (attrs as unknown as {varianceEpsilon: number}).varianceEpsilon
    const inputGrad = () => {
      const scaled = tf.mul(dy as tf.Tensor, tf.rsqrt(tf.add(variance, epsilon)))
      return (scale == null ? scaled : tf.mul(scaled, scale)).reshape(x.shape)
    }

    return {...grads, x: inputGrad}
  }
}

function isConv1DCase(x: tf.Tensor4D, filter: tf.Tensor4D, a: Conv2DAttrs): boolean {
  const dilations = Array.isArray(a.dilations) ? a.dilations : [a.dilations, a.dilations]
  const strideH = Array.isArray(a.strides) ? a.strides[0] : a.strides
  return (
    a.dataFormat === 'NHWC' &&
    x.shape[1] === 1 &&
    filter.shape[0] === 1 &&
    strideH === 1 &&
    dilations[0] === 1 &&
    dilations[1] === 1 &&
    (a.pad === 'valid' || a.pad === 'same' || typeof a.pad === 'number') &&
    a.dimRoundingMode == null
  )
}

/**
 * Filter gradient of a 1-D convolution (NHWC with height 1, as tfjs runs
 * conv1d), as one matMul:
 *   dW[k, c, f] = sum over (b, o) of x[b, o*stride + k - padLeft, c] * dy[b, o, f]
 *
 * Viewed as rows of `stride` frames (a free reshape), x's window for output o
 * is rows o .. o+m-1 with m = ceil(kernel/stride). Rather than building the
 * im2col matrix from m row-shifted copies of x (wasm's slice and gather are
 * slow on large tensors), dy is shifted instead: with dy_j = dy moved down j
 * rows (zero-padded, a native pad), dW for taps j*stride .. j*stride+stride-1
 * is rows^T dy_j, and one matMul against [dy_0 | ... | dy_m-1] gives all of
 * them. Taps beyond `kernel` (when stride does not divide it) are dropped.
 */
export function conv1dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  stride: number,
  pad: 'valid' | 'same' | number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [, kernel, channels, filters] = filterShape
    const [batch, , width] = x.shape
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, [1, stride], 1, pad)
    const outWidth = info.outWidth
    const shifts = Math.ceil(kernel / stride)
    const rowCount = outWidth - 1 + shifts
    // Frames in those rows, counted from the conv's own left padding.
    const needed = rowCount * stride
    const left = info.padInfo.left
    const right = Math.max(0, needed - left - width)
    let frames: tf.Tensor3D = x.reshape([batch, width, channels])
    if (left > 0 || right > 0) frames = tf.pad(frames, [[0, 0], [left, right], [0, 0]])
    if (frames.shape[1] > needed) frames = frames.slice([0, 0, 0], [batch, needed, channels])
    const rows = frames.reshape([batch * rowCount, stride * channels])

    const dy3 = dy.reshape([batch, outWidth, filters])
    const shiftedDy = Array.from({length: shifts}, (_, j) => tf.pad(dy3, [[0, 0], [j, shifts - 1 - j], [0, 0]]))
    const dyAll = (shifts === 1 ? shiftedDy[0] : tf.concat(shiftedDy, 2)).reshape([batch * rowCount, shifts * filters])

    // An explicit transpose: much faster than matMul's transpose flags on wasm.
    const grad = tf.matMul(tf.transpose(rows), dyAll) // [(frame in row, c), (shift, f)]
    const taps = grad
      .reshape([stride, channels, shifts, filters])
      .transpose([2, 0, 1, 3])
      .reshape([shifts * stride, channels, filters])
    const used = shifts * stride > kernel ? taps.slice([0, 0, 0], [kernel, channels, filters]) : taps
    return used.reshape(filterShape)
  })
}

const STEPS_KERNEL = 'RnnWakeSteps'

/**
 * The T slices x[0], ..., x[T-1] of a tensor, as T tensors. On wasm one
 * kernel call copies each slice once; on other backends tf.unstack's kernels
 * already copy only the slice. Not differentiable: for use inside customGrad.
 */
export function steps(x: tf.Tensor): tf.Tensor[] {
  const backend = tf.getBackend()
  // Also covers wasm chosen with tf.setBackend rather than selectBackend.
  if (backend === 'wasm') registerWasmKernels()
  if (tf.getKernel(STEPS_KERNEL, backend) == null) return tf.unstack(x)
  return tf.engine().runKernel<tf.Tensor[]>(STEPS_KERNEL, {x}, {})
}

/** The part of tfjs-backend-wasm's BackendWasm this kernel uses (public methods of that class). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array
}

function wasmSteps({inputs, backend}: {inputs: {x: tf.TensorInfo}; backend: WasmHeapBackend}): tf.TensorInfo[] {
  const {x} = inputs
  const [count, ...shape] = x.shape
  const size = shape.reduce((n, d) => n * d, 1)
  const outs: tf.TensorInfo[] = []
  for (let t = 0; t < count; t++) {
    const out = backend.makeOutput(shape, x.dtype)
    // Views are taken after makeOutput: an allocation may grow the heap and
    // detach views made before it.
    const source = backend.typedArrayFromHeap(x)
    backend.typedArrayFromHeap(out).set(source.subarray(t * size, (t + 1) * size))
    outs.push(out)
  }

  return outs
}
