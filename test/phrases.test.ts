import {describe, expect, it} from 'vitest'

import {SPACE_TOKEN, decodeTokens, encodeTranscript, parsePhrases, vocabularyFromDataset} from '../src/dataset/index.js'
import {UserError} from '../src/util/errors.js'

describe('parsePhrases', () => {
  it('splits --phrases at commas and words at any whitespace', () => {
    expect(parsePhrases(' lights on, lights   off,play music ,stop', ',', '--phrases')).toEqual([['lights', 'on'], ['lights', 'off'], ['play', 'music'], ['stop']])
  })

  it('reads a file one phrase per line, skipping blank lines and # comments, CRLF or not', () => {
    expect(parsePhrases('# commands\r\nlights on\r\n\r\n  stop  \n# end\n', '\n', 'p.txt')).toEqual([['lights', 'on'], ['stop']])
  })

  it('rejects an empty phrase between commas, a phrase listed twice, and nothing at all', () => {
    expect(() => parsePhrases('lights on,,stop', ',', '--phrases')).toThrow(/^--phrases: phrase 2 is empty/)
    expect(() => parsePhrases('stop\nlights  on\nlights on', '\n', 'p.txt')).toThrow(/^p\.txt: "lights on" is listed twice \(line 2 and line 3\)/)
    expect(() => parsePhrases('# only a comment\n\n', '\n', 'p.txt')).toThrow(/^p\.txt: no phrases given/)
    try {
      parsePhrases(' , ', ',', '--phrases')
    } catch (error) {
      expect(error).toBeInstanceOf(UserError)
      expect((error as UserError).exitCode).toBe(2)
    }
  })
})

describe('vocabularyFromDataset', () => {
  const dataset = {
    // dataset.json lists every source word, even one no example holds ("dim").
    info: {words: [{word: 'activate'}, {word: 'dim'}, {word: 'lights'}, {word: 'on'}]},
    entries: [{transcript: ['activate', 'lights', 'on']}, {transcript: ['<other>']}, {transcript: []}],
  }

  it('lists word tokens from dataset.json and the transcripts, sorted by code unit', () => {
    expect(vocabularyFromDataset(dataset, 'word')).toEqual({unit: 'word', tokens: ['<other>', 'activate', 'dim', 'lights', 'on']})
    // The order of the inputs does not matter.
    const shuffled = {info: {words: [...dataset.info.words].reverse()}, entries: [...dataset.entries].reverse()}
    expect(vocabularyFromDataset(shuffled, 'word')).toEqual(vocabularyFromDataset(dataset, 'word'))
  })

  it('lists characters plus the space token, keeping <other> whole', () => {
    const {tokens} = vocabularyFromDataset(dataset, 'char')
    expect(tokens).toEqual([SPACE_TOKEN, '<other>', 'a', 'c', 'd', 'e', 'g', 'h', 'i', 'l', 'm', 'n', 'o', 's', 't', 'v'])
    // No transcript with two words: no space is ever needed.
    expect(vocabularyFromDataset({entries: [{transcript: ['go']}]}, 'char').tokens).toEqual(['g', 'o'])
  })

  it('encodes a transcript and decodes it back, in both units', () => {
    const words = ['activate', 'lights', 'on', '<other>', 'activate']
    for (const unit of ['word', 'char'] as const) {
      const vocab = vocabularyFromDataset(dataset, unit)
      const ids = encodeTranscript(words, vocab)
      expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < vocab.tokens.length)).toBe(true)
      expect(decodeTokens(ids, vocab)).toEqual(words)
    }
    const word = vocabularyFromDataset(dataset, 'word')
    expect(encodeTranscript(['lights', 'on'], word)).toEqual([3, 4])
    const char = vocabularyFromDataset(dataset, 'char')
    // Space only between words: l i g h t s ␣ o n.
    expect(encodeTranscript(['lights', 'on'], char).map((id) => char.tokens[id]).join('')).toBe('lights on')
    expect(encodeTranscript([], char)).toEqual([])
  })

  it('names a word or letter the vocabulary does not have', () => {
    expect(() => encodeTranscript(['lights', 'off'], vocabularyFromDataset(dataset, 'word'))).toThrow(/^Cannot encode the word "off": it is not in the word vocabulary of 5 tokens/)
    expect(() => encodeTranscript(['off'], vocabularyFromDataset(dataset, 'char'))).toThrow(/^Cannot encode "f" \(in "off"\)/)
    expect(() => decodeTokens([7], vocabularyFromDataset(dataset, 'word'))).toThrow(RangeError)
  })
})
