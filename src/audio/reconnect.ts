import {UserError} from '../util/errors.js'
import type {Microphone} from './microphone.js'
import type {AudioChunks, Clock} from './source.js'

export interface ReconnectOptions {
  clock: Clock
  /** First wait after a failure; doubles per failure in a row up to maxDelayMs. */
  initialDelayMs?: number
  maxDelayMs?: number
  /** Told about every failure before the wait. */
  onRetry?: (error: UserError, attempt: number, delayMs: number) => void
  signal?: AbortSignal
}

/**
 * A microphone that comes back: when the recorder dies (device unplugged,
 * arecord killed, a busy device), wait with exponential back-off and open it
 * again, for as long as listening goes on. The back-off starts over once
 * audio flows again. Errors that are not device errors still end the stream.
 */
export function reconnectingMicrophone(open: () => Microphone, options: ReconnectOptions): Microphone {
  const initial = options.initialDelayMs ?? 1000
  const max = options.maxDelayMs ?? 30_000
  // Opened now, so a recorder that cannot be found at all fails at once: it will not appear by waiting.
  let current: Microphone = open()
  let stopped = false
  const recorder = current.recorder

  async function* chunks(): AudioChunks {
    let failures = 0
    let reopen = false
    while (!stopped && !options.signal?.aborted) {
      if (reopen) current = open()
      try {
        for await (const chunk of current.chunks) {
          failures = 0
          yield chunk
        }
        return // stopped on purpose
      } catch (error) {
        if (!(error instanceof UserError) || error.exitCode !== 5 || stopped || options.signal?.aborted) {
          if (stopped || options.signal?.aborted) return
          throw error
        }
        failures++
        reopen = true
        const delay = Math.min(max, initial * 2 ** (failures - 1))
        options.onRetry?.(error, failures, delay)
        await abortable(options.clock.sleep(delay), options.signal, () => stopped)
      }
    }
  }

  return {
    chunks: chunks(),
    stop() {
      stopped = true
      current.stop()
    },
    recorder,
  }
}

/** Resolve when `wait` does, or as soon as the signal aborts or stop() is called (checked every 100 ms). */
async function abortable(wait: Promise<void>, signal: AbortSignal | undefined, isStopped: () => boolean): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const cancelled = new Promise<void>((resolve) => {
    onAbort = () => resolve()
    signal?.addEventListener('abort', onAbort, {once: true})
    timer = setInterval(() => {
      if (isStopped()) resolve()
    }, 100)
    timer.unref()
  })
  try {
    await Promise.race([wait, cancelled])
  } finally {
    clearInterval(timer)
    if (onAbort) signal?.removeEventListener('abort', onAbort)
  }
}
