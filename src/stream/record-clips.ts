import {readdir} from 'node:fs/promises'
import {createInterface} from 'node:readline'
import type {Readable} from 'node:stream'

import type {Microphone} from '../audio/microphone.js'
import {trimSilence} from '../dataset/tts.js'

/**
 * Pieces of `rnn-wake record`: taking one clip from the microphone, trimming
 * it, and numbering files so that a second session adds to the first.
 */

export interface TakeOptions {
  sampleRate: number
  /** Fixed length, seconds; otherwise until `stop` resolves or `maxSeconds`. */
  seconds?: number
  /** Ends the take early (Enter pressed, Ctrl-C). */
  stop?: Promise<unknown>
  maxSeconds: number
}

/** Record one take: start the microphone, collect until the length is reached or `stop` fires, stop it. */
export async function recordTake(open: () => Microphone, options: TakeOptions): Promise<Float64Array> {
  const limit = Math.round((options.seconds ?? options.maxSeconds) * options.sampleRate)
  const mic = open()
  const parts: Float64Array[] = []
  let total = 0
  let stopped = false
  const stop = (): void => {
    stopped = true
    mic.stop()
  }
  void options.stop?.then(stop)
  try {
    for await (const chunk of mic.chunks) {
      if (stopped) continue // drain what the recorder flushed after being stopped
      parts.push(chunk)
      total += chunk.length
      if (total >= limit) stop()
    }
  } finally {
    mic.stop()
  }
  const out = new Float64Array(Math.min(total, limit))
  let at = 0
  for (const p of parts) {
    const n = Math.min(p.length, out.length - at)
    out.set(p.subarray(0, n), at)
    at += n
  }
  return out
}

export interface TrimmedTake {
  samples: Float64Array
  /** Peak of the raw take, dBFS. */
  peakDb: number
  /** True when nothing in it rose above the silence level. */
  silent: boolean
}

/** Anything quieter than this at its loudest is a muted or missing microphone, not a word. */
const SILENT_PEAK_DB = -45

/**
 * Cut the silence before and after the word. The threshold is relative to
 * the take's own peak (-35 dB) so that quiet and loud speakers both work; a
 * microphone's noise floor usually sits 40-60 dB below speech. 60 ms margins
 * keep soft onsets and released stops.
 */
export function trimTake(samples: Float64Array, sampleRate: number): TrimmedTake {
  let peak = 0
  for (const v of samples) peak = Math.max(peak, Math.abs(v))
  const peakDb = 20 * Math.log10(Math.max(peak, 1e-9) / 32768)
  if (peakDb < SILENT_PEAK_DB) return {samples: new Float64Array(0), peakDb, silent: true}
  const trimmed = trimSilence(samples, sampleRate, {thresholdDb: -35, marginMs: 60, fadeMs: 5})
  return {samples: trimmed, peakDb, silent: trimmed.length < 0.05 * sampleRate}
}

/** The first free number after the clips already in `dir` (NNNNN.wav), so sessions add up. */
export async function nextClipNumber(dir: string): Promise<number> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return 0
  }
  let next = 0
  for (const name of names) {
    const m = /^(\d+)\.wav$/.exec(name)
    if (m) next = Math.max(next, Number(m[1]) + 1)
  }
  return next
}

export function clipName(n: number): string {
  return `${String(n).padStart(5, '0')}.wav`
}

/** Lines from a stream, one at a time, as promises (null once it has ended). */
export class LineReader {
  private readonly lines: string[] = []
  private readonly waiting: Array<(line: string | null) => void> = []
  private ended = false
  private readonly rl

  constructor(input: Readable) {
    this.rl = createInterface({input, terminal: false})
    this.rl.on('line', (line) => {
      const w = this.waiting.shift()
      if (w) w(line)
      else this.lines.push(line)
    })
    this.rl.on('close', () => {
      this.ended = true
      for (const w of this.waiting.splice(0)) w(null)
    })
  }

  next(): Promise<string | null> {
    const line = this.lines.shift()
    if (line !== undefined) return Promise.resolve(line)
    if (this.ended) return Promise.resolve(null)
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  close(): void {
    this.rl.close()
  }
}
