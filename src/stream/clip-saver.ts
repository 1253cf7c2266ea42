import {join} from 'node:path'

import {writeWav16} from '../audio/write.js'
import type {Detection} from './transcript.js'

export interface ClipSaverOptions {
  sampleRate: number
  /** Trigger word, for file names. */
  word: string
  /** Seconds kept before the detection's stream time. Default 1.5 (the word itself ends about there). */
  beforeSeconds?: number
  /** Seconds kept after it. Default 0.5. */
  afterSeconds?: number
}

export interface SavedClip {
  detection: Detection
  path: string
  seconds: number
}

interface Pending {
  detection: Detection
  name: string
  start: number
  end: number
}

/**
 * `listen --save-dir`: keeps the last couple of seconds of audio and writes
 * ~2 s around each detection to a WAV (atomically), so that false activations
 * can be collected and trained on. A clip is written once the audio after the
 * detection has arrived, or at the end of the stream with what there is.
 */
export class ClipSaver {
  private buffer = new Float64Array(1 << 17)
  /** Stream index of buffer[0]. */
  private first = 0
  private length = 0
  private readonly pending: Pending[] = []
  private readonly before: number
  private readonly after: number

  constructor(readonly dir: string, readonly options: ClipSaverOptions) {
    this.before = Math.round((options.beforeSeconds ?? 1.5) * options.sampleRate)
    this.after = Math.round((options.afterSeconds ?? 0.5) * options.sampleRate)
  }

  /** Samples seen so far. */
  get total(): number {
    return this.first + this.length
  }

  /** Append audio; call before pushing the same chunk through the session. */
  append(samples: ArrayLike<number>): void {
    if (this.length + samples.length > this.buffer.length) {
      let size = this.buffer.length
      while (size < this.length + samples.length) size *= 2
      const grown = new Float64Array(size)
      grown.set(this.buffer.subarray(0, this.length))
      this.buffer = grown
    }
    for (let i = 0; i < samples.length; i++) this.buffer[this.length + i] = samples[i]
    this.length += samples.length
  }

  /** Schedule a clip around a detection. `wallClock` names the file. */
  mark(detection: Detection, wallClock: Date): void {
    const at = Math.round(detection.seconds * this.options.sampleRate)
    this.pending.push({detection, name: this.fileName(detection, wallClock), start: Math.max(0, at - this.before), end: at + this.after})
  }

  /** Write the clips whose audio is complete (all of them at the end of the stream), then drop audio no clip can need. */
  async flush(endOfStream = false): Promise<SavedClip[]> {
    const ready = this.pending.filter((p) => endOfStream || p.end <= this.total)
    const saved: SavedClip[] = []
    for (const p of ready) {
      this.pending.splice(this.pending.indexOf(p), 1)
      const from = Math.max(p.start, this.first) - this.first
      const to = Math.min(p.end, this.total) - this.first
      const path = join(this.dir, p.name)
      await writeWav16(path, this.buffer.subarray(from, Math.max(from, to)), this.options.sampleRate)
      saved.push({detection: p.detection, path, seconds: Math.max(0, to - from) / this.options.sampleRate})
    }
    this.trim()
    return saved
  }

  /**
   * A detection refers to a step whose window ends a few frames before the
   * newest sample, so keeping `before` plus a little more is enough for clips
   * not yet marked; marked ones keep their own start.
   */
  private trim(): void {
    const slack = Math.round(0.1 * this.options.sampleRate)
    let keepFrom = this.total - this.before - slack
    for (const p of this.pending) keepFrom = Math.min(keepFrom, p.start)
    const drop = Math.min(this.length, Math.max(0, keepFrom - this.first))
    if (drop === 0) return
    this.buffer.copyWithin(0, drop, this.length)
    this.length -= drop
    this.first += drop
  }

  private fileName(detection: Detection, wallClock: Date): string {
    const word = this.options.word.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'detection'
    const pad = (n: number, w = 2) => String(n).padStart(w, '0')
    const d = wallClock
    const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}-${pad(d.getMilliseconds(), 3)}`
    // The index keeps names unique when a file streams faster than the clock ticks.
    return `${word}-${stamp}-${pad(detection.index, 4)}.wav`
  }
}
