/**
 * A complex FFT for sizes whose factors are 2, 3, 4 and 5 (Stockham
 * auto-sort, precomputed twiddles, split re/im typed arrays).
 *
 * Why hand-written: the course spectrogram needs an exact 200-point DFT
 * (real-split: a 100 = 4 x 5 x 5 point complex one) and fft.js, the
 * design card's FFT, only does powers of two. Bluestein's chirp-z over fft.js
 * is exact but measured 3x slower than NumPy on a 10 s clip; this runs the
 * same transform at about NumPy's speed. Bluestein stays as the fallback for
 * sizes with other prime factors (see spectrogram.ts).
 */

interface Stage {
  radix: 2 | 3 | 4 | 5
  /** Length of the sub-transform at this stage and the stride between its elements. */
  n: number
  stride: number
  /** exp(-2 pi i p u / n) at [p * radix + u]. */
  twRe: Float64Array
  twIm: Float64Array
}

export function smoothFactors(n: number): Array<2 | 3 | 4 | 5> | null {
  const factors: Array<2 | 3 | 4 | 5> = []
  let rest = n
  for (const r of [4, 2, 3, 5] as const) {
    while (rest % r === 0) {
      factors.push(r)
      rest /= r
    }
  }
  return rest === 1 && n > 1 ? factors : null
}

const C5_1 = Math.cos((2 * Math.PI) / 5)
const C5_2 = Math.cos((4 * Math.PI) / 5)
const S5_1 = Math.sin((2 * Math.PI) / 5)
const S5_2 = Math.sin((4 * Math.PI) / 5)
const S3 = Math.sin((2 * Math.PI) / 3)

export class MixedRadixFFT {
  private readonly stages: Stage[]
  private readonly scratchRe: Float64Array
  private readonly scratchIm: Float64Array

  constructor(readonly size: number) {
    const factors = smoothFactors(size)
    if (!factors) throw new Error(`MixedRadixFFT: ${size} has prime factors other than 2, 3 and 5`)
    this.stages = []
    let n = size
    let stride = 1
    for (const radix of factors) {
      const m = n / radix
      const twRe = new Float64Array(m * radix)
      const twIm = new Float64Array(m * radix)
      for (let p = 0; p < m; p++) {
        for (let u = 0; u < radix; u++) {
          const angle = (-2 * Math.PI * ((p * u) % n)) / n
          twRe[p * radix + u] = Math.cos(angle)
          twIm[p * radix + u] = Math.sin(angle)
        }
      }
      this.stages.push({radix, n, stride, twRe, twIm})
      n = m
      stride *= radix
    }
    this.scratchRe = new Float64Array(size)
    this.scratchIm = new Float64Array(size)
  }

  /** In-place forward transform X[k] = sum x[n] exp(-2 pi i n k / N). */
  forward(re: Float64Array, im: Float64Array): void {
    let xr = re
    let xi = im
    let yr = this.scratchRe
    let yi = this.scratchIm
    for (const stage of this.stages) {
      runStage(stage, xr, xi, yr, yi)
      const tr = xr
      const ti = xi
      xr = yr
      xi = yi
      yr = tr
      yi = ti
    }
    if (xr !== re) {
      re.set(xr)
      im.set(xi)
    }
  }
}

/**
 * One Stockham pass: y[q + s(r p + u)] = (sum_t x[q + s(p + t m)] W_r^{t u}) exp(-2 pi i p u / n).
 * One function per radix keeps each hot loop free of branches.
 */
function runStage(stage: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  if (stage.radix === 4) radix4(stage, xr, xi, yr, yi)
  else if (stage.radix === 5) radix5(stage, xr, xi, yr, yi)
  else if (stage.radix === 2) radix2(stage, xr, xi, yr, yi)
  else radix3(stage, xr, xi, yr, yi)
}

function radix4({n, stride: s, twRe, twIm}: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const m = n / 4
  const sm = s * m
  for (let p = 0; p < m; p++) {
    const tw = p * 4
    const w1r = twRe[tw + 1], w1i = twIm[tw + 1]
    const w2r = twRe[tw + 2], w2i = twIm[tw + 2]
    const w3r = twRe[tw + 3], w3i = twIm[tw + 3]
    for (let q = 0; q < s; q++) {
      const i0 = q + s * p
      const o0 = q + s * 4 * p
      const a0r = xr[i0], a0i = xi[i0]
      const a1r = xr[i0 + sm], a1i = xi[i0 + sm]
      const a2r = xr[i0 + 2 * sm], a2i = xi[i0 + 2 * sm]
      const a3r = xr[i0 + 3 * sm], a3i = xi[i0 + 3 * sm]
      const s02r = a0r + a2r, s02i = a0i + a2i
      const d02r = a0r - a2r, d02i = a0i - a2i
      const s13r = a1r + a3r, s13i = a1i + a3i
      // -i (a1 - a3)
      const d13r = a1i - a3i, d13i = a3r - a1r
      yr[o0] = s02r + s13r
      yi[o0] = s02i + s13i
      store(yr, yi, o0 + s, d02r + d13r, d02i + d13i, w1r, w1i)
      store(yr, yi, o0 + 2 * s, s02r - s13r, s02i - s13i, w2r, w2i)
      store(yr, yi, o0 + 3 * s, d02r - d13r, d02i - d13i, w3r, w3i)
    }
  }
}

function radix5({n, stride: s, twRe, twIm}: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const m = n / 5
  const sm = s * m
  for (let p = 0; p < m; p++) {
    const tw = p * 5
    const w1r = twRe[tw + 1], w1i = twIm[tw + 1]
    const w2r = twRe[tw + 2], w2i = twIm[tw + 2]
    const w3r = twRe[tw + 3], w3i = twIm[tw + 3]
    const w4r = twRe[tw + 4], w4i = twIm[tw + 4]
    for (let q = 0; q < s; q++) {
      const i0 = q + s * p
      const o0 = q + s * 5 * p
      const a0r = xr[i0], a0i = xi[i0]
      const a1r = xr[i0 + sm], a1i = xi[i0 + sm]
      const a2r = xr[i0 + 2 * sm], a2i = xi[i0 + 2 * sm]
      const a3r = xr[i0 + 3 * sm], a3i = xi[i0 + 3 * sm]
      const a4r = xr[i0 + 4 * sm], a4i = xi[i0 + 4 * sm]
      const t1r = a1r + a4r, t1i = a1i + a4i
      const t2r = a2r + a3r, t2i = a2i + a3i
      const t3r = a1r - a4r, t3i = a1i - a4i
      const t4r = a2r - a3r, t4i = a2i - a3i
      const b1r = a0r + C5_1 * t1r + C5_2 * t2r, b1i = a0i + C5_1 * t1i + C5_2 * t2i
      const b2r = a0r + C5_2 * t1r + C5_1 * t2r, b2i = a0i + C5_2 * t1i + C5_1 * t2i
      // e = s1 t3 + s2 t4, f = s2 t3 - s1 t4; -i e = (e.im, -e.re)
      const er = S5_1 * t3r + S5_2 * t4r, ei = S5_1 * t3i + S5_2 * t4i
      const fr = S5_2 * t3r - S5_1 * t4r, fi = S5_2 * t3i - S5_1 * t4i
      yr[o0] = a0r + t1r + t2r
      yi[o0] = a0i + t1i + t2i
      store(yr, yi, o0 + s, b1r + ei, b1i - er, w1r, w1i)
      store(yr, yi, o0 + 2 * s, b2r + fi, b2i - fr, w2r, w2i)
      store(yr, yi, o0 + 3 * s, b2r - fi, b2i + fr, w3r, w3i)
      store(yr, yi, o0 + 4 * s, b1r - ei, b1i + er, w4r, w4i)
    }
  }
}

function radix2({n, stride: s, twRe, twIm}: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const m = n / 2
  const sm = s * m
  for (let p = 0; p < m; p++) {
    const w1r = twRe[p * 2 + 1], w1i = twIm[p * 2 + 1]
    for (let q = 0; q < s; q++) {
      const i0 = q + s * p
      const o0 = q + s * 2 * p
      const a0r = xr[i0], a0i = xi[i0]
      const a1r = xr[i0 + sm], a1i = xi[i0 + sm]
      yr[o0] = a0r + a1r
      yi[o0] = a0i + a1i
      store(yr, yi, o0 + s, a0r - a1r, a0i - a1i, w1r, w1i)
    }
  }
}

function radix3({n, stride: s, twRe, twIm}: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const m = n / 3
  const sm = s * m
  for (let p = 0; p < m; p++) {
    const tw = p * 3
    const w1r = twRe[tw + 1], w1i = twIm[tw + 1]
    const w2r = twRe[tw + 2], w2i = twIm[tw + 2]
    for (let q = 0; q < s; q++) {
      const i0 = q + s * p
      const o0 = q + s * 3 * p
      const a0r = xr[i0], a0i = xi[i0]
      const a1r = xr[i0 + sm], a1i = xi[i0 + sm]
      const a2r = xr[i0 + 2 * sm], a2i = xi[i0 + 2 * sm]
      const tr = a1r + a2r, ti = a1i + a2i
      const br = a0r - 0.5 * tr, bi = a0i - 0.5 * ti
      // -i sin(2pi/3) (a1 - a2)
      const dr = S3 * (a1i - a2i), di = S3 * (a2r - a1r)
      yr[o0] = a0r + tr
      yi[o0] = a0i + ti
      store(yr, yi, o0 + s, br + dr, bi + di, w1r, w1i)
      store(yr, yi, o0 + 2 * s, br - dr, bi - di, w2r, w2i)
    }
  }
}

function store(yr: Float64Array, yi: Float64Array, at: number, re: number, im: number, wr: number, wi: number): void {
  yr[at] = re * wr - im * wi
  yi[at] = re * wi + im * wr
}
