import {describe, expect, it} from 'vitest'

import {BluesteinDFT} from '../src/features/bluestein.js'
import {MixedRadixFFT, smoothFactors} from '../src/features/mixed-radix.js'
import {PowerSpectrum} from '../src/features/spectrogram.js'

/** The slow obvious DFT both fast ones are checked against. */
function naiveDFT(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length
  const outRe = new Float64Array(n)
  const outIm = new Float64Array(n)
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * ((t * k) % n)) / n
      outRe[k] += re[t] * Math.cos(a) - im[t] * Math.sin(a)
      outIm[k] += re[t] * Math.sin(a) + im[t] * Math.cos(a)
    }
  }
  return [outRe, outIm]
}

function maxError(dft: {forward(re: Float64Array, im: Float64Array): void}, n: number): number {
  let seed = n
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5
  const re = Float64Array.from({length: n}, rand)
  const im = Float64Array.from({length: n}, rand)
  const [wantRe, wantIm] = naiveDFT(re, im)
  dft.forward(re, im)
  let err = 0
  for (let k = 0; k < n; k++) err = Math.max(err, Math.abs(re[k] - wantRe[k]), Math.abs(im[k] - wantIm[k]))
  return err
}

describe('exact DFTs of non-power-of-two sizes', () => {
  for (const n of [2, 3, 5, 12, 25, 60, 100, 128, 243]) {
    it(`mixed-radix FFT of size ${n} equals the naive DFT`, () => {
      expect(maxError(new MixedRadixFFT(n), n)).toBeLessThan(1e-12)
    })
  }
  for (const n of [7, 100, 101, 200]) {
    it(`Bluestein over fft.js of size ${n} equals the naive DFT`, () => {
      expect(maxError(new BluesteinDFT(n), n)).toBeLessThan(1e-12)
    })
  }
  it('knows which sizes it can factor', () => {
    expect(smoothFactors(100)).toEqual([4, 5, 5])
    expect(smoothFactors(7)).toBeNull()
  })

  it('the power spectrum of an nfft with a prime half (Bluestein path) matches the formula', () => {
    const nfft = 14
    const spectrum = new PowerSpectrum({nfft, hop: 5, fsLabel: 8000})
    const x = Float64Array.from({length: nfft}, (_, i) => Math.sin(i * 1.3) * 1000)
    const out = new Float64Array(spectrum.bins)
    spectrum.compute(x, 0, out, 0)
    const w = Float64Array.from({length: nfft}, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (nfft - 1)))
    const power = w.reduce((s, v) => s + v * v, 0)
    const [re, im] = naiveDFT(x.map((v, i) => v * w[i]), new Float64Array(nfft))
    for (let k = 0; k <= nfft / 2; k++) {
      const want = ((re[k] ** 2 + im[k] ** 2) * (k === 0 || k === nfft / 2 ? 1 : 2)) / (8000 * power)
      expect(out[k]).toBeCloseTo(want, 6)
    }
  })
})
