import {describe, expect, it} from 'vitest'

import {COMMON_WORDS, CURATED_CONFUSABLES, commonWordsExcept, confusableWords, spellingSimilarity, wordHalves} from '../src/dataset/wordlists.js'

describe('word lists', () => {
  it('holds a few hundred distinct lower-case common words', () => {
    expect(COMMON_WORDS.length).toBeGreaterThan(250)
    expect(new Set(COMMON_WORDS).size).toBe(COMMON_WORDS.length)
    expect(COMMON_WORDS.every((w) => /^[a-z]+$/.test(w))).toBe(true)
  })

  it('gives the curated confusions of activate first', () => {
    const words = confusableWords('activate')
    expect(words.slice(0, 8)).toEqual(['activity', 'active', 'captivate', 'activated', 'motivate', 'activation', 'cultivate', 'actively'])
    expect(words).not.toContain('activate')
    expect(confusableWords('  ACTIVATE ')).toEqual(words)
  })

  it('covers the common wake words', () => {
    for (const trigger of ['activate', 'alexa', 'jarvis', 'computer', 'hey jarvis']) expect(CURATED_CONFUSABLES[trigger]?.length).toBeGreaterThan(5)
  })

  it('finds halves and spelling neighbours for a trigger it has no entry for', () => {
    const words = confusableWords('captain')
    expect(words.slice(0, 2)).toEqual(['cap', 'tain'])
    expect(words).toContain('captive')
    expect(confusableWords('hey nova').slice(0, 2)).toEqual(['hey', 'nova'])
  })

  it('splits words at a syllable onset near the middle', () => {
    expect(wordHalves('activate')).toEqual(['acti', 'vate'])
    expect(wordHalves('jarvis')).toEqual(['jar', 'vis'])
    expect(wordHalves('stop')).toEqual([])
  })

  it('scores shared starts and endings above unrelated words', () => {
    expect(spellingSimilarity('activate', 'captivate')).toBeGreaterThan(spellingSimilarity('activate', 'window'))
    expect(spellingSimilarity('activate', 'activity')).toBeGreaterThan(0.55)
    expect(spellingSimilarity('activate', 'banana')).toBeLessThan(0.55)
  })

  it('keeps the confusables out of the common words', () => {
    expect(commonWordsExcept(['Hello', 'stop'])).not.toContain('hello')
    expect(commonWordsExcept([])).toHaveLength(COMMON_WORDS.length)
  })
})
