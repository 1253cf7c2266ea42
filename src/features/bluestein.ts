import FFT from 'fft.js'

/**
 * An exact complex DFT of any size n through a power-of-two fft.js transform
 * (Bluestein's chirp-z: the DFT as a convolution with a chirp, done with two
 * FFTs of size M >= 2n - 1). The fallback for sizes MixedRadixFFT cannot
 * factor; zero-padding to a power of two would change the bins instead.
 */
export class BluesteinDFT {
  private readonly fft: FFT
  private readonly chirpRe: Float64Array
  private readonly chirpIm: Float64Array
  /** FFT of the conjugate chirp, divided by M (folds in the inverse transform's scaling). */
  private readonly filter: Float64Array
  /** Scratch: entries past 2n of bufIn are never written, so its zero padding stays zero. */
  private readonly bufIn: number[]
  private readonly bufA: number[]
  private readonly bufB: number[]

  constructor(readonly size: number) {
    let m = 4
    while (m < 2 * size - 1) m *= 2
    this.fft = new FFT(m)
    this.chirpRe = new Float64Array(size)
    this.chirpIm = new Float64Array(size)
    for (let n = 0; n < size; n++) {
      // w[n] = exp(-i pi n^2 / size); n^2 mod 2 size keeps the angle exact for large n.
      const angle = (Math.PI * ((n * n) % (2 * size))) / size
      this.chirpRe[n] = Math.cos(angle)
      this.chirpIm[n] = -Math.sin(angle)
    }
    const b = new Float64Array(2 * m)
    for (let n = 0; n < size; n++) {
      b[2 * n] = this.chirpRe[n]
      b[2 * n + 1] = -this.chirpIm[n]
      if (n > 0) {
        b[2 * (m - n)] = this.chirpRe[n]
        b[2 * (m - n) + 1] = -this.chirpIm[n]
      }
    }
    const bHat = this.fft.createComplexArray()
    this.fft.transform(bHat, b)
    this.filter = Float64Array.from(bHat, (v) => v / m)
    // fft.js is fastest on the plain arrays it creates.
    this.bufIn = this.fft.createComplexArray()
    this.bufA = this.fft.createComplexArray()
    this.bufB = this.fft.createComplexArray()
  }

  /** In-place forward DFT. */
  forward(re: Float64Array, im: Float64Array): void {
    const {size, bufIn, bufA, bufB, chirpRe, chirpIm, filter} = this
    for (let n = 0; n < size; n++) {
      bufIn[2 * n] = re[n] * chirpRe[n] - im[n] * chirpIm[n]
      bufIn[2 * n + 1] = re[n] * chirpIm[n] + im[n] * chirpRe[n]
    }
    this.fft.transform(bufB, bufIn)
    // conj(A .* B): the next forward transform then acts as the inverse.
    for (let i = 0; i < bufB.length; i += 2) {
      const ar = bufB[i]
      const ai = bufB[i + 1]
      bufA[i] = ar * filter[i] - ai * filter[i + 1]
      bufA[i + 1] = -(ar * filter[i + 1] + ai * filter[i])
    }
    this.fft.transform(bufB, bufA)
    for (let k = 0; k < size; k++) {
      const cr = bufB[2 * k]
      const ci = -bufB[2 * k + 1]
      re[k] = chirpRe[k] * cr - chirpIm[k] * ci
      im[k] = chirpRe[k] * ci + chirpIm[k] * cr
    }
  }
}
