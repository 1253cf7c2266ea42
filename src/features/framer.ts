import {COURSE_SPECTROGRAM, PowerSpectrum, type Spectrogram, type SpectrogramParams} from './spectrogram.js'

/**
 * Streaming spectrogram: samples pushed in chunks of any size give exactly
 * (bit for bit) the frames `spectrogram()` gives on the whole signal, because
 * each frame is computed by the same PowerSpectrum on the same 200 samples.
 * It keeps only the samples not yet consumed (< nfft + one chunk).
 */
export class SpectrogramFramer {
  readonly bins: number
  private readonly power: PowerSpectrum
  private buffer = new Float64Array(4096)
  /** Valid samples in buffer. */
  private length = 0
  /** Samples pushed since the start (or the last reset). */
  private total = 0
  /** Frames emitted since the start. */
  private emitted = 0

  constructor(readonly params: SpectrogramParams = COURSE_SPECTROGRAM) {
    this.power = new PowerSpectrum(params)
    this.bins = this.power.bins
  }

  /** Frames emitted so far. */
  get frames(): number {
    return this.emitted
  }

  /** Append samples; returns the frames that became complete (possibly none). */
  push(chunk: ArrayLike<number>): Spectrogram {
    this.append(chunk)
    this.total += chunk.length
    const {nfft, hop} = this.params
    const ready = this.length >= nfft ? 1 + Math.floor((this.length - nfft) / hop) : 0
    const data = new Float64Array(ready * this.bins)
    for (let f = 0; f < ready; f++) this.power.compute(this.buffer, f * hop, data, f * this.bins, this.length)
    if (ready > 0) this.consume(ready * hop)
    this.emitted += ready
    return {data, frames: ready, bins: this.bins}
  }

  /**
   * End of stream. A signal shorter than one segment still gives one
   * zero-padded frame, as matplotlib does; otherwise nothing is left to emit
   * (a trailing partial hop is dropped, as in the batch function).
   */
  flush(): Spectrogram {
    if (this.emitted === 0 && this.total > 0) {
      const data = new Float64Array(this.bins)
      this.power.compute(this.buffer, 0, data, 0, this.length)
      this.emitted = 1
      return {data, frames: 1, bins: this.bins}
    }
    return {data: new Float64Array(0), frames: 0, bins: this.bins}
  }

  reset(): void {
    this.length = 0
    this.total = 0
    this.emitted = 0
  }

  private append(chunk: ArrayLike<number>): void {
    const needed = this.length + chunk.length
    if (needed > this.buffer.length) {
      let size = this.buffer.length
      while (size < needed) size *= 2
      const grown = new Float64Array(size)
      grown.set(this.buffer.subarray(0, this.length))
      this.buffer = grown
    }
    for (let i = 0; i < chunk.length; i++) this.buffer[this.length + i] = chunk[i]
    this.length = needed
  }

  private consume(count: number): void {
    this.buffer.copyWithin(0, count, this.length)
    this.length -= count
  }
}
