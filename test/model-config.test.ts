import {describe, expect, it} from 'vitest'

import {parseModelConfig} from '../src/model/config.js'
import {tinyConfig} from './helpers/models.js'

describe('rnn-wake.json vocabulary.decoder', () => {
  const withVocabulary = (decoder: unknown) => ({...tinyConfig(), vocabulary: {unit: 'word', tokens: ['on', 'off'], blank: 2, ...(decoder === undefined ? {} : {decoder})}})

  it('is optional (models trained on CTC alone decode with a beam search) and round-trips when given', () => {
    expect(parseModelConfig(withVocabulary(undefined), 'm').vocabulary?.decoder).toBeUndefined()
    expect(parseModelConfig(withVocabulary({kind: 'best-path', smoothSteps: 5}), 'm').vocabulary?.decoder).toEqual({kind: 'best-path', smoothSteps: 5})
    expect(parseModelConfig(withVocabulary({kind: 'beam', beamWidth: 8}), 'm').vocabulary?.decoder).toEqual({kind: 'beam', beamWidth: 8})
  })

  it('refuses an unknown kind or a window below one step, naming the field', () => {
    expect(() => parseModelConfig(withVocabulary({kind: 'viterbi'}), 'm')).toThrow(/vocabulary.decoder.kind/)
    expect(() => parseModelConfig(withVocabulary({kind: 'best-path', smoothSteps: 0}), 'm')).toThrow(/vocabulary.decoder.smoothSteps/)
  })
})
