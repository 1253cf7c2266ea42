import {describe, expect, it} from 'vitest'
import {bestPathDecode, prefixBeamSearch, tokensToSeconds} from '../src/ctc/decode.js'
import {ctcLossAndGrad} from '../src/ctc/loss.js'

function matrix(rows: number[][]): {probs: Float64Array; T: number; C: number} {
  return {probs: Float64Array.from(rows.flat()), T: rows.length, C: rows[0].length}
}

/** Nearly one-hot rows following `path`, so the best path and the best prefix agree. */
function sharp(path: number[], C: number): {probs: Float32Array; T: number; C: number} {
  const probs = new Float32Array(path.length * C).fill(0.02 / (C - 1))
  path.forEach((k, t) => {
    probs[t * C + k] = 0.98
  })
  return {probs, T: path.length, C}
}

const tokenIds = (r: {tokens: Array<{token: number}>}): number[] => r.tokens.map((t) => t.token)

describe('bestPathDecode', () => {
  it('collapses repeats, drops blanks, and keeps a blank-separated repeat', () => {
    // blank = 3; path: b 0 0 b 1 b 1 1 2 b
    const {probs, T, C} = sharp([3, 0, 0, 3, 1, 3, 1, 1, 2, 3], 4)
    const result = bestPathDecode(probs, T, C)
    expect(result.tokens).toEqual([
      {token: 0, start: 1, end: 2},
      {token: 1, start: 4, end: 4},
      {token: 1, start: 6, end: 7},
      {token: 2, start: 8, end: 8},
    ])
    expect(result.score).toBeCloseTo(T * Math.log(0.98), 5)
  })

  it('reads log-probabilities and a non-default blank the same way', () => {
    const {probs, T, C} = sharp([0, 2, 2, 0, 1], 3)
    const logs = Float64Array.from(probs, Math.log)
    const fromProbs = bestPathDecode(probs, T, C, {blank: 0})
    expect(fromProbs.tokens).toEqual([
      {token: 2, start: 1, end: 2},
      {token: 1, start: 4, end: 4},
    ])
    expect(bestPathDecode(logs, T, C, {blank: 0, input: 'logProb'})).toEqual(fromProbs)
  })

  it('gives the empty sequence where the most probable labeling is a token', () => {
    const {probs, T, C} = matrix([
      [0.4, 0, 0.6],
      [0.4, 0, 0.6],
    ])
    const result = bestPathDecode(probs, T, C)
    expect(result.tokens).toEqual([])
    expect(result.score).toBeCloseTo(Math.log(0.36), 12)
  })
})

describe('prefixBeamSearch', () => {
  it('finds [0] where best path finds nothing: 0.64 summed over three alignments beats 0.36', () => {
    const {probs, T, C} = matrix([
      [0.4, 0, 0.6],
      [0.4, 0, 0.6],
    ])
    const result = prefixBeamSearch(probs, T, C, {beamWidth: 4})
    expect(tokenIds(result)).toEqual([0])
    expect(result.score).toBeCloseTo(Math.log(0.64), 12)
  })

  it('reports the steps each token occupies on its best alignment', () => {
    const path = [3, 0, 0, 3, 1, 3, 1, 1, 2, 3]
    const {probs, T, C} = sharp(path, 4)
    const beam = prefixBeamSearch(probs, T, C, {beamWidth: 5})
    expect(beam.tokens).toEqual(bestPathDecode(probs, T, C).tokens)
    expect(beam.tokens.map((t) => [t.start, t.end])).toEqual([
      [1, 2],
      [4, 4],
      [6, 7],
      [8, 8],
    ])
    const pruned = prefixBeamSearch(probs, T, C, {beamWidth: 5, minTokenLogProb: Math.log(0.1)})
    expect(pruned.tokens).toEqual(beam.tokens)
  })

  it('with a wide beam returns the labeling of highest total probability, scored like the CTC loss, timed by its best path', () => {
    // Exhaustive on random 6-step matrices: every labeling that fits (fewer
    // than the beam width, so nothing is pruned) and every one of the C^6 paths.
    // C = 2 (one token and the blank) makes every multi-token labeling a repeat.
    const T = 6
    let seed = 4242
    const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647
    let sawRepeat = false
    let sawLongToken = false

    for (const C of [2, 3]) {
      const blank = C - 1
      const labelings: number[][] = [[]]
      for (let len = 1; len <= T; len++) {
        for (let n = 0; n < blank ** len; n++) {
          labelings.push(Array.from({length: len}, (_, i) => Math.floor(n / blank ** i) % blank))
        }
      }
      const paths = Array.from({length: C ** T}, (_, n) => Array.from({length: T}, (_, t) => Math.floor(n / C ** t) % C))

      for (let trial = 0; trial < 20; trial++) {
        const probs = new Float64Array(T * C)
        for (let t = 0; t < T; t++) {
          // Squared token weights make sharper rows, so longer runs and repeats occur.
          const row = Array.from({length: C}, (_, c) => (c === blank ? rand() : rand() ** 2))
          const sum = row.reduce((a, b) => a + b, 0)
          row.forEach((p, c) => (probs[t * C + c] = p / sum))
        }
        const logs = probs.map(Math.log)

        let best = {label: [] as number[], logP: -Infinity}
        for (const label of labelings) {
          const logP = -ctcLossAndGrad(logs, T, C, label, blank).loss
          if (logP > best.logP) best = {label, logP}
        }
        let viterbi = {logP: -Infinity, path: [] as number[]}
        for (const path of paths) {
          const spelled = path.filter((k, t) => k !== blank && (t === 0 || path[t - 1] !== k))
          const logP = path.reduce((sum, k, t) => sum + logs[t * C + k], 0)
          if (spelled.join() === best.label.join() && logP > viterbi.logP) viterbi = {logP, path}
        }
        const oneHot = Float64Array.from({length: T * C}, (_, i) => (viterbi.path[Math.floor(i / C)] === i % C ? 1 : 0))
        const expectedTokens = bestPathDecode(oneHot, T, C).tokens

        for (const input of ['prob', 'logProb'] as const) {
          const result = prefixBeamSearch(input === 'prob' ? probs : logs, T, C, {beamWidth: 128, input})
          expect(result.tokens).toEqual(expectedTokens)
          expect(result.score).toBeCloseTo(best.logP, 10)
        }
        sawRepeat ||= best.label.some((k, i) => i > 0 && best.label[i - 1] === k)
        sawLongToken ||= expectedTokens.some((t) => t.end > t.start)
      }
    }
    // The trials must have exercised the subtle cases, or the test proves little.
    expect(sawRepeat).toBe(true)
    expect(sawLongToken).toBe(true)
  })

  it('restricts the output to prefixes of the allowed phrases', () => {
    // Unrestricted, token 1 alone wins; only [0], [0, 1] and [] are allowed.
    const {probs, T, C} = matrix([
      [0.3, 0.6, 0.1],
      [0.1, 0.8, 0.1],
    ])
    expect(tokenIds(prefixBeamSearch(probs, T, C))).toEqual([1])

    const restricted = prefixBeamSearch(probs, T, C, {allowedPhrases: [[0, 1]]})
    expect(restricted.tokens).toEqual([
      {token: 0, start: 0, end: 0},
      {token: 1, start: 1, end: 1},
    ])
    expect(restricted.score).toBeCloseTo(Math.log(0.3 * 0.8), 12)
    expect(restricted.phrase).toBe(0)

    // A longer phrase that is only partly spoken yields its prefix, with no complete phrase.
    const partial = prefixBeamSearch(probs, T, C, {allowedPhrases: [[0, 0], [0, 1, 0]]})
    expect(tokenIds(partial)).toEqual([0, 1])
    expect(partial.phrase).toBeUndefined()

    expect(() => prefixBeamSearch(probs, T, C, {allowedPhrases: [[0, 2]]})).toThrow(/phrase 0/)
  })

  it('decodes 1375 steps of 12 classes quickly', () => {
    const [T, C] = [1375, 12]
    let seed = 99
    const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647
    const probs = new Float32Array(T * C)
    for (let t = 0; t < T; t++) {
      let sum = 0
      for (let c = 0; c < C; c++) sum += probs[t * C + c] = rand() ** 4
      for (let c = 0; c < C; c++) probs[t * C + c] /= sum
    }
    const started = performance.now()
    const result = prefixBeamSearch(probs, T, C, {beamWidth: 8})
    expect(performance.now() - started).toBeLessThan(1000)
    expect(Number.isFinite(result.score)).toBe(true)
    expect(result.tokens.every((t, i) => t.start <= t.end && (i === 0 || result.tokens[i - 1].end < t.start))).toBe(true)
  })

  it('an empty input decodes to nothing with probability 1', () => {
    const result = prefixBeamSearch(new Float32Array(0), 0, 3)
    expect(result).toEqual({tokens: [], score: 0})
  })
})

describe('tokensToSeconds', () => {
  it('converts inclusive step ranges to seconds, the end step counted whole', () => {
    const step = 10 / 1375
    const [timed] = tokensToSeconds([{token: 4, start: 275, end: 412}], step)
    expect(timed.token).toBe(4)
    expect(timed.startSeconds).toBeCloseTo(2, 12)
    expect(timed.endSeconds).toBeCloseTo(413 * step, 12)
  })
})

describe('smoothed best path (the decoder for heads trained with alignment targets)', () => {
  it('a trailing moving average keeps rows as distributions and is causal', async () => {
    const {smoothPosteriors} = await import('../src/ctc/decode.js')
    const probs = Float32Array.from([1, 0, 0, 1, 0.5, 0.5])
    const s = smoothPosteriors(probs, 3, 2, 2)
    expect(Array.from(s)).toEqual([1, 0, 0.5, 0.5, 0.25, 0.75])
    // Changing a later row leaves earlier smoothed rows alone.
    const later = smoothPosteriors(Float32Array.from([1, 0, 0, 1, 0, 1]), 3, 2, 2)
    expect(Array.from(later.subarray(0, 4))).toEqual(Array.from(s.subarray(0, 4)))
  })

  it('reads a word whose posterior dips to blank for a step as one word, where plain best path reads two', async () => {
    const {decodeWith} = await import('../src/ctc/decode.js')
    // Token 0 high for steps 2-3 and 5-6 with a one-step dip to blank (class 1) at step 4.
    const rows = [[0.1, 0.9], [0.1, 0.9], [0.8, 0.2], [0.9, 0.1], [0.4, 0.6], [0.9, 0.1], [0.7, 0.3], [0.1, 0.9], [0.1, 0.9], [0.1, 0.9]]
    const probs = Float32Array.from(rows.flat())
    expect(decodeWith({kind: 'best-path', smoothSteps: 1}, probs, rows.length, 2).tokens.map((t) => t.token)).toEqual([0, 0])
    expect(decodeWith({kind: 'best-path', smoothSteps: 3}, probs, rows.length, 2).tokens.map((t) => t.token)).toEqual([0])
    expect(decodeWith({kind: 'beam', beamWidth: 4}, probs, rows.length, 2).tokens.length).toBeGreaterThan(0)
  })
})
