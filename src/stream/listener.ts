import type {AudioChunks} from '../audio/source.js'
import type {ClipSaver, SavedClip} from './clip-saver.js'
import {type HookResult, hookEnvironment, runHook} from './hook.js'
import type {DetectionSession} from './session.js'
import type {Detection, Transcript} from './transcript.js'

export type ListenEvent =
  | {type: 'detection'; detection: Detection; wallClock: Date}
  | {type: 'transcript'; transcript: Transcript; wallClock: Date}
  | {type: 'saved'; clip: SavedClip}
  | {type: 'hook-failed'; detection: Detection; result: HookResult}

export interface ListenOptions {
  chunks: AudioChunks
  session: DetectionSession
  /** Aborting ends the loop at the next chunk boundary (or at once while waiting for audio). */
  signal?: AbortSignal
  saver?: ClipSaver
  /** Run per detection (after its transcript, when the model transcribes). */
  exec?: {command: string; stdout: 'inherit' | 'stderr'}
  onEvent: (event: ListenEvent) => void
  /** After each chunk: the highest trigger probability in it, and the stream time. */
  onLevel?: (probability: number, streamSeconds: number) => void
  /** Milliseconds, monotonic; injectable for tests. */
  now?: () => number
}

export interface ListenSummary {
  detections: number
  audioSeconds: number
  /** Time spent computing (not waiting for audio). */
  processingSeconds: number
  /** processingSeconds / audioSeconds. */
  realTimeFactor: number
  wallSeconds: number
  interrupted: boolean
}

/**
 * The `listen` loop: chunks from a microphone, file or stdin through the
 * session; detections, transcripts, saved clips and hook failures reported as
 * they happen. On the end of the stream or an abort it finishes the pending
 * transcript, writes the pending clips and waits for running hooks. A source
 * that fails (a recorder that exits) does the same, then rethrows.
 */
export async function listen(options: ListenOptions): Promise<ListenSummary> {
  const {session, saver, exec, onEvent, signal} = options
  const now = options.now ?? (() => performance.now())
  const sampleRate = session.inference.sampleRate
  const word = session.inference.config.word
  const hooks = new Set<Promise<void>>()
  const started = now()
  let busy = 0
  let samples = 0

  const fire = (detection: Detection, transcript: Transcript | undefined, wallClock: Date): void => {
    if (!exec) return
    const run = runHook(exec.command, hookEnvironment(word, detection, transcript, wallClock), exec.stdout).then((result) => {
      if (result.code !== 0) onEvent({type: 'hook-failed', detection, result})
    })
    hooks.add(run)
    void run.finally(() => hooks.delete(run))
  }

  const handle = (events: ReturnType<DetectionSession['push']>['events']): void => {
    for (const event of events) {
      const wallClock = new Date()
      if (event.type === 'detection') {
        onEvent({type: 'detection', detection: event.detection, wallClock})
        saver?.mark(event.detection, wallClock)
        if (!session.transcribes) fire(event.detection, undefined, wallClock)
      } else if (event.type === 'transcript') {
        onEvent({type: 'transcript', transcript: event.transcript, wallClock})
        fire(event.transcript.detection, event.transcript, wallClock)
      }
    }
  }

  const save = async (endOfStream: boolean): Promise<void> => {
    if (!saver) return
    for (const clip of await saver.flush(endOfStream)) onEvent({type: 'saved', clip})
  }

  let failure: unknown
  try {
    for await (const chunk of untilAborted(options.chunks, signal)) {
      const t0 = now()
      saver?.append(chunk)
      const {block, events} = session.push(chunk)
      busy += now() - t0
      samples += chunk.length
      handle(events)
      await save(false)
      if (options.onLevel) {
        let peak = 0
        for (const p of block.probabilities) if (p > peak) peak = p
        options.onLevel(peak, samples / sampleRate)
      }
    }
  } catch (error) {
    failure = error
  }
  handle(session.finish())
  await save(true)
  await Promise.all(hooks)
  if (failure !== undefined) throw failure
  const audioSeconds = samples / sampleRate
  const processingSeconds = busy / 1000
  return {
    detections: session.detections,
    audioSeconds,
    processingSeconds,
    realTimeFactor: audioSeconds > 0 ? processingSeconds / audioSeconds : 0,
    wallSeconds: (now() - started) / 1000,
    interrupted: signal?.aborted ?? false,
  }
}

/**
 * Stop iterating as soon as `signal` aborts, even while a read is pending
 * (stdin can block forever). The source is asked to return but not awaited:
 * an async generator cannot return while its pending read is unresolved.
 */
async function* untilAborted(chunks: AudioChunks, signal: AbortSignal | undefined): AudioChunks {
  const iterator = chunks[Symbol.asyncIterator]()
  if (signal === undefined) {
    for (;;) {
      const next = await iterator.next()
      if (next.done) return
      yield next.value
    }
  }
  // One abort listener per read, removed once the read settles: racing every read against one
  // long-lived promise would keep every chunk alive through that promise's reaction list.
  const nextOrAbort = (): Promise<IteratorResult<Float64Array> | 'aborted'> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return resolve('aborted')
      const onAbort = (): void => resolve('aborted')
      signal.addEventListener('abort', onAbort, {once: true})
      iterator.next().then(
        (result) => {
          signal.removeEventListener('abort', onAbort)
          resolve(result)
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort)
          reject(error)
        },
      )
    })
  try {
    for (;;) {
      const next = await nextOrAbort()
      if (next === 'aborted' || next.done) return
      yield next.value
    }
  } finally {
    if (signal.aborted) void iterator.return?.(undefined)?.catch(() => {})
  }
}
