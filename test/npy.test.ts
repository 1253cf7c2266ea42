import {describe, expect, it} from 'vitest'

import {NpyFormatError, decodeNpy, encodeNpy} from '../src/util/npy.js'

function withShape(shapeText: string): Uint8Array {
  const bytes = encodeNpy(new Uint8Array(4), [2, 2])
  const text = new TextDecoder().decode(bytes.subarray(10, 10 + (bytes[8] | (bytes[9] << 8))))
  const header = text.replace('(2, 2)', shapeText).padEnd(text.length, ' ')
  const out = Uint8Array.from(bytes)
  out.set(new TextEncoder().encode(header.slice(0, text.length)), 10)
  return out
}

describe('.npy', () => {
  it('round-trips every dtype, C order', () => {
    for (const data of [new Float32Array([1.5, -2]), new Float64Array([1e-300, 3]), new Uint8Array([0, 255]), new Int32Array([-7, 9])]) {
      const back = decodeNpy(encodeNpy(data, [1, 2]))
      expect(back.shape).toEqual([1, 2])
      expect(Array.from(back.data)).toEqual(Array.from(data))
    }
  })

  it('header is padded to a multiple of 64 bytes, as numpy writes it', () => {
    const bytes = encodeNpy(new Float32Array(6), [2, 3])
    expect((10 + (bytes[8] | (bytes[9] << 8))) % 64).toBe(0)
  })

  for (const [label, shape] of [
    ['a negative dimension', '(-2, 2)'],
    ['a fractional dimension', '(1.5, 2)'],
    ['an overflowing size', '(99999999999, 99999999999)'],
  ]) {
    it(`rejects ${label} with a format error`, () => {
      expect(() => decodeNpy(withShape(shape))).toThrow(NpyFormatError)
    })
  }
})
