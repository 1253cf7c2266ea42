import {describe, expect, it} from 'vitest'
import fc from 'fast-check'
import {
  characterErrorRate,
  combineErrorRates,
  editCounts,
  levenshtein,
  wordErrorRate,
  words,
} from '../src/metrics/edit-distance.js'

describe('word error rate', () => {
  it('"the cat sat" -> "the bat sat on": one substitution and one insertion over 3 words', () => {
    expect(wordErrorRate('the cat sat', 'the bat sat on')).toEqual({
      errors: 2,
      substitutions: 1,
      insertions: 1,
      deletions: 0,
      referenceLength: 3,
      rate: 2 / 3,
    })
  })

  it('counts dropped words as deletions, ignoring extra whitespace', () => {
    const r = wordErrorRate('the cat sat on the mat', '  cat sat\ton   mat ')
    expect([r.substitutions, r.insertions, r.deletions, r.errors]).toEqual([0, 0, 2, 2])
    expect(r.rate).toBeCloseTo(2 / 6, 12)
    expect(words('  a \n b  ')).toEqual(['a', 'b'])
  })

  it('can exceed 1 when the hypothesis adds more than the reference has', () => {
    expect(wordErrorRate('yes', 'no no no').rate).toBe(3)
  })

  it('empty reference: 0 against an empty hypothesis, Infinity (all insertions) otherwise', () => {
    expect(wordErrorRate('', '   ')).toMatchObject({errors: 0, rate: 0})
    expect(wordErrorRate(' ', 'hey there')).toMatchObject({errors: 2, insertions: 2, rate: Infinity})
    expect(wordErrorRate('hey there', '')).toMatchObject({errors: 2, deletions: 2, rate: 1})
  })
})

describe('character error rate', () => {
  it('"kitten" -> "sitting": two substitutions and one insertion over 6 characters', () => {
    expect(characterErrorRate('kitten', 'sitting')).toMatchObject({
      errors: 3,
      substitutions: 2,
      insertions: 1,
      deletions: 0,
      rate: 0.5,
    })
  })

  it('counts spaces and whole code points', () => {
    expect(characterErrorRate('a b', 'ab')).toMatchObject({errors: 1, deletions: 1, referenceLength: 3})
    expect(characterErrorRate('h😀y', 'hey')).toMatchObject({errors: 1, substitutions: 1, referenceLength: 3})
  })
})

describe('edit distance', () => {
  it('works on any values compared with ===', () => {
    expect(levenshtein([1, 2, 3, 4], [1, 3, 4, 5])).toBe(2)
    expect(editCounts(['x'], [])).toMatchObject({deletions: 1, errors: 1})
  })

  it('S + I + D equals the distance, and I - D the length difference, for any pair', () => {
    const seq = fc.array(fc.integer({min: 0, max: 3}), {maxLength: 12})
    fc.assert(
      fc.property(seq, seq, (a, b) => {
        const r = editCounts(a, b)
        expect(r.substitutions + r.insertions + r.deletions).toBe(r.errors)
        expect(r.insertions - r.deletions).toBe(b.length - a.length)
        expect(levenshtein(b, a)).toBe(r.errors)
        expect(r.errors).toBeGreaterThanOrEqual(Math.abs(a.length - b.length))
        expect(r.errors).toBeLessThanOrEqual(Math.max(a.length, b.length))
      }),
      {numRuns: 300, seed: 1},
    )
  })

  it('corpus rate sums errors and reference lengths rather than averaging rates', () => {
    const total = combineErrorRates([wordErrorRate('a b c d', 'a b c'), wordErrorRate('', 'x')])
    expect(total).toMatchObject({errors: 2, deletions: 1, insertions: 1, referenceLength: 4, rate: 0.5})
  })
})
