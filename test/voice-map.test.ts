import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {deriveRng} from '../src/dataset/rng.js'
import {makeBatch} from '../src/train/embedding/data.js'
import {type VoiceMap, addPair, decodeVoiceMap, encodeVoiceMap, mapCrop, mapInputs, mapVoice, readVoiceMap, solveFit, startFit, voiceMapper} from '../src/train/embedding/voice-map.js'
import {wordExampleName, wordBankExamples} from '../src/train/embedding/word-bank.js'

/** A map of `bins` dimensions that adds `shift` to the step it maps and reads no neighbour. */
function shiftMap(bins: number, context: number, shift: number): VoiceMap {
  const weights = new Float64Array(mapInputs(context, bins) * bins)
  for (let k = 0; k < bins; k++) weights[(context * bins + k) * bins + k] = 1
  for (let d = 0; d < bins; d++) weights[(mapInputs(context, bins) - 1) * bins + d] = shift
  return {context, bins, frontEnd: 'x', weights}
}

describe('voice map', () => {
  it('recovers a linear map with context from aligned pairs, and maps a sequence with it (edges read the nearest step)', () => {
    const bins = 3
    const context = 1
    const rng = deriveRng('voice-map-test', 1)
    const truth = Float64Array.from({length: mapInputs(context, bins) * bins}, () => rng.uniform(-1, 1))
    const fit = startFit(context, bins)
    for (let s = 0; s < 20; s++) {
      const from = Float32Array.from({length: 12 * bins}, () => rng.uniform(-5, 5))
      const to = Float32Array.from(from)
      mapVoice(to, {context, bins, frontEnd: 'x', weights: truth})
      // Pairs along a warping path that sometimes stays on a step.
      for (let i = 0; i < 12; i++) addPair(fit, from, i, to, i)
      addPair(fit, from, 5, to, 5)
    }
    const map = solveFit(fit, 0, 'x')
    for (let i = 0; i < truth.length; i++) expect(map.weights[i]).toBeCloseTo(truth[i], 6)
    // By hand: step 0 reads steps 0, 0, 1 (the one before the first is the first).
    const part = Float32Array.from([1, 2, 3, 4, 5, 6])
    const mapped = Float32Array.from(part)
    mapVoice(mapped, map)
    const x = [1, 2, 3, 1, 2, 3, 4, 5, 6, 1]
    for (let d = 0; d < bins; d++) expect(mapped[d]).toBeCloseTo(x.reduce((sum, v, a) => sum + v * truth[a * bins + d], 0), 4)
    // A ridge penalty shrinks the weights but never the bias.
    const shrunk = solveFit(fit, 1e6, 'x')
    expect(Math.abs(shrunk.weights[0])).toBeLessThan(Math.abs(map.weights[0]))
  })

  it('maps a crop from the example mapped whole, equal bit for bit to mapping the crop alone', () => {
    const rng = deriveRng('voice-map-crop', 1)
    for (const context of [0, 1, 2]) {
      const bins = 5
      const map = {context, bins, frontEnd: 'x', weights: Float64Array.from({length: mapInputs(context, bins) * bins}, () => rng.uniform(-1, 1))}
      const mapper = voiceMapper(map)
      const data = Float32Array.from({length: 9 * bins}, () => rng.uniform(-5, 5))
      for (const first of [0, 1, 3, 7, 8]) {
        const alone = data.slice(first * bins)
        mapVoice(alone, map)
        const out = new Float32Array(alone.length)
        mapCrop(mapper, data, first, out)
        expect(Array.from(out)).toEqual(Array.from(alone))
      }
    }
  })

  it('round-trips through its file and refuses foreign, truncated or corrupt files in one line naming them', async () => {
    const map = {...shiftMap(96, 1, 0.25), sources: {what: 'test'}}
    const bytes = encodeVoiceMap(map)
    const back = decodeVoiceMap(bytes, 'v.map')
    expect(back).toMatchObject({context: 1, bins: 96, frontEnd: 'x', sources: {what: 'test'}})
    expect(Array.from(back.weights)).toEqual(Array.from(map.weights))
    expect(() => decodeVoiceMap(Buffer.from('RWBANK1\nxxxx'), 'v.map')).toThrow(/v\.map.*not an rnn-wake voice map/)
    expect(() => decodeVoiceMap(bytes.subarray(0, bytes.length - 8), 'v.map')).toThrow(/v\.map.*truncated/)
    expect(() => decodeVoiceMap(bytes.subarray(0, 20), 'v.map')).toThrow(/v\.map.*truncated header/)
    const nan = Buffer.from(bytes)
    nan.writeDoubleLE(Number.NaN, nan.length - 8)
    expect(() => decodeVoiceMap(nan, 'v.map')).toThrow(/v\.map.*not finite/)
    const dir = await mkdtemp(join(tmpdir(), 'rnn-wake-voice-map-'))
    await expect(readVoiceMap(join(dir, 'absent.map'))).rejects.toThrow(/absent\.map.*no such file/)
    await writeFile(join(dir, 'bad.map'), 'RWVMAP1\n\u0004\u0000\u0000\u0000{{{{')
    await expect(readVoiceMap(join(dir, 'bad.map'))).rejects.toThrow(/bad\.map.*corrupt header/)
  })

  it('maps about half the rows of the user\'s examples in a batch, never the word bank\'s examples or the bank\'s crops', () => {
    const steps = 16
    const bank = {bins: 96, frontEnd: 'x', sequences: [{name: 's', frames: 100, data: new Float32Array(100 * 96).fill(5)}]}
    const words = wordBankExamples({bins: 96, frontEnd: 'x', sequences: [{name: wordExampleName([{word: 'yes', endStep: 20}]), frames: 30, data: new Float32Array(30 * 96).fill(-2)}]}, 'hello', 'w.bank')
    const positive = {data: new Float32Array(30 * 96).fill(1), steps: 30, positiveSteps: [25]}
    const set = {positives: [positive], negatives: [{...positive, positiveSteps: []}], words}
    const size = 1500
    const batch = makeBatch(set, bank, deriveRng('v', 1), {size, steps, positiveWeight: 4, voiceMap: voiceMapper(shiftMap(96, 1, 1000))})
    let examples = 0
    let mapped = 0
    for (let row = 0; row < size; row++) {
      const last = batch.x[(row * steps + steps - 1) * 96]
      for (let k = 0; k < steps; k++) if (batch.fromBank[row * steps + k] === 1) expect(batch.x[(row * steps + k) * 96]).toBe(5)
      if (last === -2) continue
      if (row % 3 === 2) continue
      examples++
      if (last === 1001) mapped++
      else expect(last).toBe(1)
    }
    expect(mapped / examples).toBeGreaterThan(0.4)
    expect(mapped / examples).toBeLessThan(0.6)
    // Word-bank rows keep their values.
    expect(Array.from({length: size}, (_, row) => batch.x[(row * steps + steps - 1) * 96]).filter((v) => v === -2).length).toBeGreaterThan(50)
  })
})
