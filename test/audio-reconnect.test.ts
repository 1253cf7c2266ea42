import {describe, expect, it} from 'vitest'

import type {Microphone} from '../src/audio/microphone.js'
import {reconnectingMicrophone} from '../src/audio/reconnect.js'
import type {Clock} from '../src/audio/source.js'
import {UserError} from '../src/util/errors.js'

/** A fake microphone: yields `chunks` then fails with `error` (or ends when stopped). */
function fakeMic(chunks: number[], error?: Error): Microphone {
  let stopped = false
  async function* gen() {
    for (const v of chunks) yield Float64Array.of(v)
    if (error && !stopped) throw error
  }
  return {recorder: 'arecord', chunks: gen(), stop: () => void (stopped = true)}
}

function fakeClock(): Clock & {sleeps: number[]} {
  const sleeps: number[] = []
  let now = 0
  return {sleeps, now: () => now, sleep: async (ms) => void (sleeps.push(ms), (now += ms))}
}

const died = () => new UserError('Recorder arecord exited with code 1: device vanished', 'device')

describe('reconnecting microphone', () => {
  it('reopens the recorder with exponential back-off, starting over once audio flows', async () => {
    const mics = [fakeMic([1, 2], died()), fakeMic([], died()), fakeMic([], died()), fakeMic([3], died()), fakeMic([4, 5])]
    let opened = 0
    const clock = fakeClock()
    const retries: number[] = []
    const mic = reconnectingMicrophone(() => mics[opened++], {clock, onRetry: (_e, attempt) => retries.push(attempt)})
    const got: number[] = []
    for await (const c of mic.chunks) got.push(c[0])
    expect(got).toEqual([1, 2, 3, 4, 5])
    expect(opened).toBe(5)
    expect(clock.sleeps).toEqual([1000, 2000, 4000, 1000])
    expect(retries).toEqual([1, 2, 3, 1])
  })

  it('caps the wait', async () => {
    const mics = Array.from({length: 8}, () => fakeMic([], died()))
    mics.push(fakeMic([]))
    let opened = 0
    const clock = fakeClock()
    const mic = reconnectingMicrophone(() => mics[opened++], {clock, maxDelayMs: 5000})
    for await (const _ of mic.chunks) {
      // drain
    }
    expect(clock.sleeps).toEqual([1000, 2000, 4000, 5000, 5000, 5000, 5000, 5000])
  })

  it('an error that is not a device error still ends listening', async () => {
    const mic = reconnectingMicrophone(() => fakeMic([1], new Error('bug')), {clock: fakeClock()})
    await expect(
      (async () => {
        for await (const _ of mic.chunks) {
          // drain
        }
      })(),
    ).rejects.toThrow('bug')
  })

  it('a recorder that cannot be started at all fails at once', () => {
    expect(() =>
      reconnectingMicrophone(
        () => {
          throw new UserError('No audio recorder found', 'device')
        },
        {clock: fakeClock()},
      ),
    ).toThrow('No audio recorder found')
  })

  it('an abort during the back-off ends the stream without waiting it out', async () => {
    const abort = new AbortController()
    const clock: Clock = {now: () => 0, sleep: () => new Promise(() => {})} // never wakes on its own
    const mic = reconnectingMicrophone(() => fakeMic([1], died()), {clock, signal: abort.signal})
    const got: number[] = []
    const done = (async () => {
      for await (const c of mic.chunks) {
        got.push(c[0])
        abort.abort()
      }
    })()
    await done
    expect(got).toEqual([1])
  })
})
