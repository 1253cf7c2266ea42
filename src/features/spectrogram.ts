import {BluesteinDFT} from './bluestein.js'
import {MixedRadixFFT, smoothFactors} from './mixed-radix.js'

/**
 * The course's spectrogram: matplotlib `specgram(x, NFFT=200, Fs=8000,
 * noverlap=120)` on int16-unit samples. A symmetric Hann window of 200, hop
 * 80, one-sided PSD scaled by 1/(Fs * sum(hann^2)) with bins 1..99 doubled.
 * Fs = 8000 is only a label in the course (the audio is 44.1 kHz) but it sets
 * the scale, so it is kept for parity with models trained on course features.
 */
export interface SpectrogramParams {
  nfft: number
  hop: number
  /** The Fs label of the PSD scaling (not the audio's sample rate). */
  fsLabel: number
}

export const COURSE_SPECTROGRAM: SpectrogramParams = {nfft: 200, hop: 80, fsLabel: 8000}

export function binCount(params: SpectrogramParams): number {
  return Math.floor(params.nfft / 2) + 1
}

/** Frames matplotlib produces for n samples (a short signal is zero-padded to one segment). */
export function frameCount(samples: number, params: SpectrogramParams = COURSE_SPECTROGRAM): number {
  if (samples <= 0) return 0
  if (samples < params.nfft) return 1
  return 1 + Math.floor((samples - params.nfft) / params.hop)
}

export interface Spectrogram {
  /** Frame-major: frame f, bin k at data[f * bins + k] (the model's input layout, frames x bins). */
  data: Float64Array
  frames: number
  bins: number
}

/** An in-place complex DFT of a fixed size. */
interface ComplexDFT {
  forward(re: Float64Array, im: Float64Array): void
}

function complexDFT(size: number): ComplexDFT {
  return smoothFactors(size) ? new MixedRadixFFT(size) : new BluesteinDFT(size)
}

/**
 * Power spectra of real nfft-sample segments (nfft even), exact.
 *
 * The nfft-point real DFT is computed as an nfft/2-point complex DFT of the
 * even/odd samples (the standard real-input split): for nfft = 200 a
 * 100 = 4 x 5 x 5 point transform (MixedRadixFFT); other sizes fall back to
 * Bluestein over fft.js. One instance owns its scratch buffers.
 */
export class PowerSpectrum {
  readonly bins: number
  private readonly half: number
  private readonly dft: ComplexDFT
  private readonly windowEven: Float64Array
  private readonly windowOdd: Float64Array
  /** exp(-2 pi i k / nfft), the split's twiddles. */
  private readonly twRe: Float64Array
  private readonly twIm: Float64Array
  private readonly scale: Float64Array
  private readonly zr: Float64Array
  private readonly zi: Float64Array

  constructor(readonly params: SpectrogramParams = COURSE_SPECTROGRAM) {
    const {nfft, fsLabel} = params
    if (nfft % 2 !== 0 || nfft < 4) throw new Error(`nfft must be even and >= 4, got ${nfft}`)
    const half = nfft / 2
    this.half = half
    this.bins = half + 1
    this.dft = complexDFT(half)

    this.windowEven = new Float64Array(half)
    this.windowOdd = new Float64Array(half)
    let windowPower = 0
    for (let n = 0; n < nfft; n++) {
      // numpy.hanning: symmetric, zero at both ends.
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (nfft - 1))
      windowPower += w * w
      if (n % 2 === 0) this.windowEven[n / 2] = w
      else this.windowOdd[(n - 1) / 2] = w
    }
    this.twRe = new Float64Array(this.bins)
    this.twIm = new Float64Array(this.bins)
    this.scale = new Float64Array(this.bins)
    for (let k = 0; k < this.bins; k++) {
      this.twRe[k] = Math.cos((2 * Math.PI * k) / nfft)
      this.twIm[k] = -Math.sin((2 * Math.PI * k) / nfft)
      const onesided = k === 0 || k === half ? 1 : 2
      this.scale[k] = onesided / (fsLabel * windowPower)
    }
    this.zr = new Float64Array(half)
    this.zi = new Float64Array(half)
  }

  /**
   * PSD of segment x[offset .. offset+nfft) into out[outOffset .. +bins).
   * Samples at or beyond `end` (default x.length) count as zeros: the padding
   * of a signal shorter than one segment.
   */
  compute(x: ArrayLike<number>, offset: number, out: Float64Array, outOffset: number, end = x.length): void {
    const {half, zr, zi, windowEven, windowOdd} = this
    const avail = end - offset
    if (avail >= 2 * half) {
      for (let n = 0; n < half; n++) {
        zr[n] = x[offset + 2 * n] * windowEven[n]
        zi[n] = x[offset + 2 * n + 1] * windowOdd[n]
      }
    } else {
      for (let n = 0; n < half; n++) {
        zr[n] = 2 * n < avail ? x[offset + 2 * n] * windowEven[n] : 0
        zi[n] = 2 * n + 1 < avail ? x[offset + 2 * n + 1] * windowOdd[n] : 0
      }
    }
    this.dft.forward(zr, zi)
    for (let k = 0; k <= half; k++) {
      const k1 = k === half ? 0 : k
      const k2 = k === 0 ? 0 : half - k
      const ar = zr[k1]
      const ai = zi[k1]
      const br = zr[k2]
      const bi = -zi[k2]
      // E = (Z[k] + conj(Z[half-k]))/2, O = (Z[k] - conj(Z[half-k]))/(2i), X = E + tw * O
      const er = 0.5 * (ar + br)
      const ei = 0.5 * (ai + bi)
      const or = 0.5 * (ai - bi)
      const oi = -0.5 * (ar - br)
      const xr = er + this.twRe[k] * or - this.twIm[k] * oi
      const xi = ei + this.twRe[k] * oi + this.twIm[k] * or
      out[outOffset + k] = (xr * xr + xi * xi) * this.scale[k]
    }
  }
}

/** The whole-signal spectrogram, frames x bins. */
export function spectrogram(samples: ArrayLike<number>, params: SpectrogramParams = COURSE_SPECTROGRAM): Spectrogram {
  const power = new PowerSpectrum(params)
  const frames = frameCount(samples.length, params)
  const bins = power.bins
  const data = new Float64Array(frames * bins)
  for (let f = 0; f < frames; f++) power.compute(samples, f * params.hop, data, f * bins)
  return {data, frames, bins}
}
