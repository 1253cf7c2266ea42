import {createHash} from 'node:crypto'

/**
 * Seeded random numbers for dataset synthesis.
 *
 * Every example gets its own generator derived from (seed, index), so the
 * bytes of example 17 do not depend on which worker made it or in which
 * order: that is what makes a dataset identical whatever --workers is, and
 * lets the trainer re-synthesize any single example on the fly.
 */
export interface Rng {
  /** Uniform in [0, 1) with 53 random bits. */
  next(): number
  /** Uniform integer in [0, n); n must be a positive integer. */
  int(n: number): number
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number
}

/**
 * xoshiro128** (Blackman and Vigna). Small, fast, and well tested; 32-bit
 * arithmetic keeps it exact in JavaScript numbers.
 */
export function xoshiro128(state: Uint32Array): Rng {
  if (state.length !== 4) throw new Error('xoshiro128 needs 4 words of state')
  const s = Uint32Array.from(state)
  // An all-zero state is the one fixed point of the generator.
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1
  const next32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0
    const t = s[1] << 9
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 11)
    return result
  }
  const next = (): number => ((next32() >>> 5) * 67_108_864 + (next32() >>> 6)) / 9_007_199_254_740_992
  return {
    next,
    // The bias of floor(next() * n) is below n / 2^53: irrelevant for the sizes used here.
    int: (n) => Math.floor(next() * n),
    uniform: (lo, hi) => lo + (hi - lo) * next(),
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}

/**
 * A generator keyed by a path of values, e.g. `deriveRng('synth', seed, index)`.
 * Hashing the key (rather than, say, adding the index to the seed) keeps
 * neighbouring keys' streams unrelated.
 */
export function deriveRng(...key: Array<string | number>): Rng {
  const digest = createHash('sha256').update(key.map(String).join('\u0000')).digest()
  const state = new Uint32Array(4)
  for (let i = 0; i < 4; i++) state[i] = digest.readUInt32LE(4 * i)
  return xoshiro128(state)
}

/** Standard normal by Box-Muller; only the cosine half is used to keep the draw order simple. */
export function gaussian(rng: Rng): number {
  const u = 1 - rng.next()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next())
}

/** The generator of example `index` of a dataset synthesized with `seed`. */
export function exampleRng(seed: number, index: number): Rng {
  return deriveRng('rnn-wake/synthesize', seed, index)
}

/** A copy of `items` in a random order drawn from `rng` (Fisher-Yates, from the end). */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}
