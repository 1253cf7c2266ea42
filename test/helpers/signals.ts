/** Deterministic test signals in int16 units at 44.1 kHz: the toy "words" and backgrounds tests train and detect on. */
export const RATE = 44_100

/** A tone burst with a half-sine envelope; `seed` detunes it by 1% per step so clips of one "word" differ. */
export function tone(freq: number, seconds: number, seed = 0): Float64Array {
  const n = Math.round(seconds * RATE)
  const x = new Float64Array(n)
  for (let i = 0; i < n; i++) x[i] = 8000 * Math.sin((2 * Math.PI * freq * (1 + 0.01 * seed) * i) / RATE) * Math.sin((Math.PI * i) / n)
  return x
}

/** Uniform noise from a linear congruential generator, reproducible from `seed`. */
export function noise(seconds: number, amplitude: number, seed: number): Float64Array {
  const x = new Float64Array(Math.round(seconds * RATE))
  let s = seed
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0
    x[i] = amplitude * (s / 2 ** 32 - 0.5)
  }
  return x
}
