/**
 * Band-limited sample-rate conversion: Kaiser-windowed sinc interpolation
 * with the cut-off just below the lower of the two Nyquist frequencies.
 *
 * Hand-written because the npm choices measured badly here: wavefile's sinc
 * resampler took 4.7 s for 10 s of 48 kHz audio and left a 22 % error on a
 * 1 kHz tone upsampled from 16 kHz; this one takes well under 100 ms and is
 * accurate to ~1e-4 (see test/audio-resample.test.ts).
 */

/** Zero crossings of the sinc on each side, at the lower rate. */
const ZERO_CROSSINGS = 24
/** Kernel table resolution (entries per input sample); values between entries are interpolated linearly. */
const TABLE_RES = 512
/** Kaiser beta: about 80 dB of stop-band attenuation. */
const KAISER_BETA = 8.0
/** Fraction of the lower Nyquist frequency kept; the rest is the filter's transition band. */
const PASSBAND = 0.94

function besselI0(x: number): number {
  let sum = 1
  let term = 1
  const q = (x * x) / 4
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k)
    sum += term
    if (term < 1e-12 * sum) break
  }
  return sum
}

interface Kernel {
  /** h at x = k / TABLE_RES input samples, k = 0..length-1 (the kernel is symmetric). */
  table: Float64Array
  /** Half-width in input samples. */
  halfWidth: number
}

function makeKernel(cutoff: number): Kernel {
  const halfWidth = ZERO_CROSSINGS / cutoff
  const n = Math.ceil(halfWidth * TABLE_RES) + 2
  const table = new Float64Array(n)
  const i0beta = besselI0(KAISER_BETA)
  for (let k = 0; k < n; k++) {
    const x = k / TABLE_RES
    const r = x / halfWidth
    if (r >= 1) break
    const window = besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0beta
    const arg = Math.PI * cutoff * x
    table[k] = cutoff * (x === 0 ? 1 : Math.sin(arg) / arg) * window
  }
  return {table, halfWidth}
}

export function resample(samples: Float64Array, fromRate: number, toRate: number): Float64Array {
  if (fromRate === toRate) return samples
  const cutoff = PASSBAND * Math.min(1, toRate / fromRate)
  const {table, halfWidth} = makeKernel(cutoff)
  const outLength = Math.ceil((samples.length * toRate) / fromRate)
  const out = new Float64Array(outLength)
  const step = fromRate / toRate
  const last = samples.length - 1
  const reach = Math.floor(halfWidth)
  for (let n = 0; n < outLength; n++) {
    const t = n * step
    const centre = Math.floor(t)
    const lo = Math.max(0, centre - reach)
    const hi = Math.min(last, centre + reach + 1)
    let acc = 0
    for (let j = lo; j <= hi; j++) {
      const pos = Math.abs(t - j) * TABLE_RES
      const k = pos | 0
      if (k + 1 >= table.length) continue
      const frac = pos - k
      acc += samples[j] * (table[k] + frac * (table[k + 1] - table[k]))
    }
    out[n] = acc
  }
  return out
}
