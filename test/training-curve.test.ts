import {PNG} from 'pngjs'
import {describe, expect, it} from 'vitest'

import {type EpochRecord, trainingCurvePng} from '../src/train/curve.js'

function pngSize(png: Uint8Array): {width: number; height: number} {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  return {width: view.getUint32(16), height: view.getUint32(20)}
}

function record(epoch: number, extra: Partial<EpochRecord> = {}): EpochRecord {
  return {epoch, examples: 64, seconds: 1, loss: 1 / epoch, valLoss: 1.2 / epoch, valAccuracy: 0.9, threshold: 0.5, triggers: 10, missed: 1, falseAccepts: 2, frr: 0.1, faPerHour: 12, ...extra}
}

/** Rows of the decoded image that hold any pixel of the given colour. */
function rowsWithColour(png: Uint8Array, rgb: [number, number, number]): number {
  const {width, height, data} = PNG.sync.read(Buffer.from(png))
  let rows = 0
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4
      if (data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2]) {
        rows++
        break
      }
    }
  }
  return rows
}

describe('training curve', () => {
  it('adds the token head panels (CTC loss, validation WER) only for runs that have a token head', () => {
    const plain = trainingCurvePng([record(1), record(2), record(3)])
    const withHead = trainingCurvePng([1, 2, 3].map((e) => record(e, {ctcLoss: 0.2 / e, valWer: 0.6 / e})))
    expect(pngSize(plain).height).toBe(3 * 310 + 20)
    expect(pngSize(withHead).height).toBe(5 * 310 + 20)
    // The CTC series' colour is drawn only in the run with a token head.
    expect(rowsWithColour(plain, [23, 190, 207])).toBe(0)
    expect(rowsWithColour(withHead, [23, 190, 207])).toBeGreaterThan(10)
    expect(rowsWithColour(withHead, [188, 189, 34])).toBeGreaterThan(10)
  })
})
