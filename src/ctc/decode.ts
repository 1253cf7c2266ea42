/**
 * CTC decoders over a T x C matrix of per-step class distributions, stored
 * row-major in a flat typed array.
 *
 * Inputs are probabilities (softmax outputs) by default; pass
 * `input: 'logProb'` for log-softmax rows. Scores are always natural-log
 * probabilities. The blank is class C - 1 unless `blank` says otherwise, the
 * same convention as ./loss.ts.
 *
 * Token timing: `start` and `end` are inclusive step indices of the first and
 * last step on which the token is emitted (not counting surrounding blanks)
 * in one alignment: the argmax path for best-path decoding, and for beam
 * search the most probable single alignment of the returned prefix among the
 * paths the beam kept (tracked Viterbi-style next to the summed probabilities).
 */

export type StepMatrix = Float32Array | Float64Array

export interface DecodedToken {
  token: number
  /** First step (inclusive) on which the token is emitted. */
  start: number
  /** Last step (inclusive) on which the token is emitted. */
  end: number
}

export interface DecodeResult {
  tokens: DecodedToken[]
  /**
   * Natural-log probability: of the single argmax path for bestPathDecode, of
   * the whole prefix (all its alignments) for prefixBeamSearch.
   */
  score: number
  /** prefixBeamSearch with allowedPhrases only: index of the phrase the output spells completely. */
  phrase?: number
}

export interface DecodeOptions {
  /** Class index of the blank. Default C - 1. */
  blank?: number
  /** Whether `probs` holds probabilities (default) or log-probabilities. */
  input?: 'prob' | 'logProb'
}

export interface BeamSearchOptions extends DecodeOptions {
  /** Prefixes kept after each step. Default 8. */
  beamWidth?: number
  /**
   * Token-id sequences; when given, the output is always a prefix of one of
   * them (paths emitting anything else are dropped), and `phrase` reports a
   * complete match.
   */
  allowedPhrases?: ReadonlyArray<ReadonlyArray<number>>
  /**
   * Non-blank tokens whose log-probability at a step is below this are not
   * tried at that step, a cheap speed-up on long inputs. Default: try all.
   */
  minTokenLogProb?: number
}

const NEG_INF = Number.NEGATIVE_INFINITY

function logAddExp(a: number, b: number): number {
  if (a === NEG_INF) return b
  if (b === NEG_INF) return a
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b))
}

function checkMatrix(probs: StepMatrix, T: number, C: number, blank: number): void {
  if (!Number.isInteger(T) || T < 0 || !Number.isInteger(C) || C < 1) {
    throw new RangeError(`CTC decode: bad shape T=${T}, C=${C}`)
  }
  if (probs.length < T * C) throw new RangeError(`CTC decode: ${probs.length} values cannot hold ${T} x ${C}`)
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) {
    throw new RangeError(`CTC decode: blank index ${blank} is outside 0..${C - 1}`)
  }
}

/** The reader turns either input kind into log-probabilities, so one search serves both. */
function logReader(probs: StepMatrix, input: 'prob' | 'logProb'): (i: number) => number {
  return input === 'logProb' ? (i) => probs[i] : (i) => Math.log(probs[i])
}

/** Argmax per step, then collapse repeats and drop blanks. */
export function bestPathDecode(probs: StepMatrix, T: number, C: number, options: DecodeOptions = {}): DecodeResult {
  const blank = options.blank ?? C - 1
  checkMatrix(probs, T, C, blank)
  const logP = logReader(probs, options.input ?? 'prob')
  const tokens: DecodedToken[] = []
  let score = 0
  let previous = -1
  for (let t = 0; t < T; t++) {
    let best = 0
    for (let c = 1; c < C; c++) if (probs[t * C + c] > probs[t * C + best]) best = c
    score += logP(t * C + best)
    if (best !== blank) {
      if (best === previous) tokens[tokens.length - 1].end = t
      else tokens.push({token: best, start: t, end: t})
    }
    previous = best
  }
  return {tokens, score}
}

/**
 * A node of the prefix tree: one node per distinct output prefix, so beam
 * entries that reach the same prefix by different paths meet at the same
 * object and can be merged by identity.
 */
class Prefix {
  readonly children = new Map<number, Prefix>()
  /** Index of the allowed phrase this prefix spells completely, or -1. */
  phrase = -1
  constructor(
    readonly token: number,
    readonly parent: Prefix | null,
    /** Whether children may be created on demand (no phrase restriction). */
    private readonly open: boolean,
  ) {}

  child(token: number): Prefix | null {
    let node = this.children.get(token)
    if (node === undefined && this.open) {
      node = new Prefix(token, this, true)
      this.children.set(token, node)
    }
    return node ?? null
  }
}

function phraseTree(phrases: ReadonlyArray<ReadonlyArray<number>> | undefined, C: number, blank: number): Prefix {
  const root = new Prefix(-1, null, phrases === undefined)
  if (phrases === undefined) return root
  phrases.forEach((phrase, index) => {
    let node = root
    for (const token of phrase) {
      // The search never emits the blank, so such a phrase could never match.
      if (!Number.isInteger(token) || token < 0 || token >= C || token === blank) {
        throw new RangeError(
          `CTC decode: allowed phrase ${index} contains ${token}, not a non-blank class in 0..${C - 1}`,
        )
      }
      let next = node.children.get(token)
      if (next === undefined) {
        next = new Prefix(token, node, false)
        node.children.set(token, next)
      }
      node = next
    }
    if (node.phrase < 0) node.phrase = index
  })
  return root
}

/** Timing of one emitted token, linked to the tokens before it; never mutated once shared. */
interface Span {
  token: number
  start: number
  end: number
  previous: Span | null
}

/**
 * Per-prefix state after a step. `blank`/`nonBlank` are the summed log
 * probabilities of the prefix's alignments ending in a blank / in its last
 * token. `bestBlank`/`bestNonBlank` are the log-probability of the single best
 * such alignment, and `spansBlank`/`spansNonBlank` its token timing.
 */
interface Beam {
  prefix: Prefix
  blank: number
  nonBlank: number
  bestBlank: number
  bestNonBlank: number
  spansBlank: Span | null
  spansNonBlank: Span | null
}

function emptyBeam(prefix: Prefix): Beam {
  return {
    prefix,
    blank: NEG_INF,
    nonBlank: NEG_INF,
    bestBlank: NEG_INF,
    bestNonBlank: NEG_INF,
    spansBlank: null,
    spansNonBlank: null,
  }
}

function beamAt(beams: Map<Prefix, Beam>, prefix: Prefix): Beam {
  let beam = beams.get(prefix)
  if (beam === undefined) {
    beam = emptyBeam(prefix)
    beams.set(prefix, beam)
  }
  return beam
}

function total(beam: Beam): number {
  return logAddExp(beam.blank, beam.nonBlank)
}

/** Descending by total probability; written out because -Infinity - -Infinity is NaN. */
function byTotalDescending(a: Beam, b: Beam): number {
  const x = total(a)
  const y = total(b)
  return x > y ? -1 : x < y ? 1 : 0
}

function bestSpans(beam: Beam): {score: number; spans: Span | null} {
  return beam.bestNonBlank > beam.bestBlank
    ? {score: beam.bestNonBlank, spans: beam.spansNonBlank}
    : {score: beam.bestBlank, spans: beam.spansBlank}
}

function spansToTokens(spans: Span | null): DecodedToken[] {
  const tokens: DecodedToken[] = []
  for (let s = spans; s !== null; s = s.previous) tokens.push({token: s.token, start: s.start, end: s.end})
  return tokens.reverse()
}

/**
 * Standard CTC prefix beam search: each kept prefix carries the probability
 * of its alignments ending in blank and in non-blank, because only a blank
 * in between lets the same token be emitted twice in a row.
 */
export function prefixBeamSearch(
  probs: StepMatrix,
  T: number,
  C: number,
  options: BeamSearchOptions = {},
): DecodeResult {
  const blank = options.blank ?? C - 1
  checkMatrix(probs, T, C, blank)
  const beamWidth = options.beamWidth ?? 8
  if (!Number.isInteger(beamWidth) || beamWidth < 1) {
    throw new RangeError(`CTC decode: beam width ${beamWidth} must be a positive integer`)
  }
  const minLogP = options.minTokenLogProb ?? NEG_INF
  const logP = logReader(probs, options.input ?? 'prob')

  const root = phraseTree(options.allowedPhrases, C, blank)
  const start = emptyBeam(root)
  start.blank = 0
  start.bestBlank = 0
  let beams: Beam[] = [start]

  for (let t = 0; t < T; t++) {
    const next = new Map<Prefix, Beam>()
    for (const beam of beams) {
      const prefixTotal = total(beam)
      const viterbi = bestSpans(beam)
      for (let c = 0; c < C; c++) {
        const p = logP(t * C + c)
        if (c === blank) {
          const to = beamAt(next, beam.prefix)
          to.blank = logAddExp(to.blank, prefixTotal + p)
          if (viterbi.score + p > to.bestBlank) {
            to.bestBlank = viterbi.score + p
            to.spansBlank = viterbi.spans
          }
          continue
        }
        if (p < minLogP || p === NEG_INF) continue
        if (c === beam.prefix.token) {
          // Staying on the last token keeps the prefix and stretches its span.
          const same = beamAt(next, beam.prefix)
          same.nonBlank = logAddExp(same.nonBlank, beam.nonBlank + p)
          const held = beam.spansNonBlank
          if (held !== null && beam.bestNonBlank + p > same.bestNonBlank) {
            same.bestNonBlank = beam.bestNonBlank + p
            same.spansNonBlank = {...held, end: t}
          }
        }
        const child = beam.prefix.child(c)
        if (child === null) continue
        // A repeat of the last token only starts a new token after a blank.
        const fromRepeat = c === beam.prefix.token
        const mass = fromRepeat ? beam.blank : prefixTotal
        const from = fromRepeat ? {score: beam.bestBlank, spans: beam.spansBlank} : viterbi
        const to = beamAt(next, child)
        to.nonBlank = logAddExp(to.nonBlank, mass + p)
        if (from.score + p > to.bestNonBlank) {
          to.bestNonBlank = from.score + p
          to.spansNonBlank = {token: c, start: t, end: t, previous: from.spans}
        }
      }
    }
    beams = [...next.values()].sort(byTotalDescending).slice(0, beamWidth)
  }

  const top = beams[0]
  const result: DecodeResult = {tokens: spansToTokens(bestSpans(top).spans), score: total(top)}
  if (options.allowedPhrases !== undefined && top.prefix.phrase >= 0) result.phrase = top.prefix.phrase
  return result
}

export interface TimedToken {
  token: number
  /** Seconds from the start of the input to the start of the token's first step. */
  startSeconds: number
  /** Seconds to the end of the token's last step. */
  endSeconds: number
}

/**
 * Converts step indices to seconds, e.g. stepSeconds = 10 / 1375 for 1375
 * output steps over a 10-second clip. `end` is inclusive, so the token lasts
 * until the end of that step.
 */
export function tokensToSeconds(tokens: ReadonlyArray<DecodedToken>, stepSeconds: number): TimedToken[] {
  return tokens.map(({token, start, end}) => ({
    token,
    startSeconds: start * stepSeconds,
    endSeconds: (end + 1) * stepSeconds,
  }))
}

/**
 * Trailing moving average of each class over `window` steps (fewer at the
 * start). Causal, so a stream can apply it as it goes; rows stay distributions.
 */
export function smoothPosteriors(probs: StepMatrix, T: number, C: number, window: number): Float32Array {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`CTC smoothing window ${window} must be a positive integer`)
  const out = new Float32Array(T * C)
  const sums = new Float64Array(C)
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      sums[c] += probs[t * C + c]
      if (t >= window) sums[c] -= probs[(t - window) * C + c]
    }
    const n = Math.min(t + 1, window)
    for (let c = 0; c < C; c++) out[t * C + c] = sums[c] / n
  }
  return out
}

/**
 * How a model's token head is read (rnn-wake.json vocabulary.decoder).
 * best-path: argmax per step after a trailing moving average of `smoothSteps`
 * steps; for heads trained with alignment targets, whose posteriors stay up
 * for a few steps with dips that a summing beam search reads as repeats.
 * beam: CTC prefix beam search, for the peaky posteriors of CTC alone.
 */
export type TokenDecoder = {kind: 'best-path'; smoothSteps: number} | {kind: 'beam'; beamWidth: number}

/** What models without vocabulary.decoder use. */
export const DEFAULT_TOKEN_DECODER: TokenDecoder = {kind: 'beam', beamWidth: 8}

export function describeDecoder(decoder: TokenDecoder): string {
  return decoder.kind === 'beam' ? `prefix beam search (width ${decoder.beamWidth})` : `best path after a ${decoder.smoothSteps}-step moving average`
}

/** Decode probabilities (not log) with `decoder`. */
export function decodeWith(decoder: TokenDecoder, probs: StepMatrix, T: number, C: number, blank = C - 1): DecodeResult {
  if (decoder.kind === 'beam') return prefixBeamSearch(probs, T, C, {blank, beamWidth: decoder.beamWidth})
  return bestPathDecode(decoder.smoothSteps > 1 ? smoothPosteriors(probs, T, C, decoder.smoothSteps) : probs, T, C, {blank})
}
