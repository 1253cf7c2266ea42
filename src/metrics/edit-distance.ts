/**
 * Levenshtein alignment and the error rates built on it: word error rate and
 * character error rate = (substitutions + insertions + deletions) / reference length.
 */

export interface EditCounts {
  /** substitutions + insertions + deletions: the Levenshtein distance. */
  errors: number
  substitutions: number
  /** Hypothesis items with no reference counterpart. */
  insertions: number
  /** Reference items missing from the hypothesis. */
  deletions: number
  referenceLength: number
}

export interface ErrorRate extends EditCounts {
  /**
   * errors / referenceLength. With an empty reference it is 0 when the
   * hypothesis is empty too and Infinity otherwise (every item is an
   * insertion, against nothing): an honest "undefined", never silently 1.
   * Average over a corpus with combineErrorRates, not by averaging rates.
   */
  rate: number
}

/**
 * Minimal edit alignment of two sequences compared with ===. Several
 * alignments can share the minimal distance; the S/I/D split reported is the
 * one that prefers substitutions, then deletions, then insertions.
 */
export function editCounts<T>(reference: ArrayLike<T>, hypothesis: ArrayLike<T>): EditCounts {
  const n = reference.length
  const m = hypothesis.length
  const width = m + 1
  const cost = new Int32Array((n + 1) * width)
  for (let i = 0; i <= n; i++) cost[i * width] = i
  for (let j = 0; j <= m; j++) cost[j] = j
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const diagonal = cost[(i - 1) * width + j - 1] + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1)
      const deletion = cost[(i - 1) * width + j] + 1
      const insertion = cost[i * width + j - 1] + 1
      cost[i * width + j] = Math.min(diagonal, deletion, insertion)
    }
  }

  let substitutions = 0
  let insertions = 0
  let deletions = 0
  let i = n
  let j = m
  while (i > 0 || j > 0) {
    const here = cost[i * width + j]
    if (i > 0 && j > 0) {
      const same = reference[i - 1] === hypothesis[j - 1]
      if (cost[(i - 1) * width + j - 1] + (same ? 0 : 1) === here) {
        if (!same) substitutions++
        i--
        j--
        continue
      }
    }
    if (i > 0 && cost[(i - 1) * width + j] + 1 === here) {
      deletions++
      i--
    } else {
      insertions++
      j--
    }
  }
  return {errors: cost[n * width + m], substitutions, insertions, deletions, referenceLength: n}
}

/** Levenshtein distance between two sequences compared with ===. */
export function levenshtein<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  return editCounts(a, b).errors
}

function withRate(counts: EditCounts): ErrorRate {
  const {errors, referenceLength} = counts
  const rate = referenceLength > 0 ? errors / referenceLength : errors === 0 ? 0 : Number.POSITIVE_INFINITY
  return {...counts, rate}
}

/** Words are maximal runs of non-whitespace; case and punctuation are compared as given. */
export function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0)
}

export function wordErrorRate(reference: string, hypothesis: string): ErrorRate {
  return withRate(editCounts(words(reference), words(hypothesis)))
}

/**
 * Characters are Unicode code points of the strings as given, spaces
 * included (as jiwer's CER does), so normalise first if that matters.
 */
export function characterErrorRate(reference: string, hypothesis: string): ErrorRate {
  return withRate(editCounts(Array.from(reference), Array.from(hypothesis)))
}

/** Corpus-level rate: total errors over total reference length, so long utterances weigh more. */
export function combineErrorRates(parts: ReadonlyArray<EditCounts>): ErrorRate {
  const sum: EditCounts = {errors: 0, substitutions: 0, insertions: 0, deletions: 0, referenceLength: 0}
  for (const p of parts) {
    sum.errors += p.errors
    sum.substitutions += p.substitutions
    sum.insertions += p.insertions
    sum.deletions += p.deletions
    sum.referenceLength += p.referenceLength
  }
  return withRate(sum)
}
