import type {StepBlock, StreamingInference} from './inference.js'
import {type Detection, type Transcript, TranscriptFollower, type TranscriptOptions} from './transcript.js'
import {TriggerDetector, type TriggerParams} from './trigger.js'

export type {Detection, Transcript, TranscriptOptions}

/**
 * 'peak' follows a detection once its word is over (the probability fell back
 * to the threshold): the highest probability of that excursion. A detection's
 * own score is what was known when it fired; offline runs (detect) replace it
 * with the peak, a live stream (listen) reports the detection at once and
 * keeps its firing-time score.
 */
export type SessionEvent =
  | {type: 'detection'; detection: Detection}
  | {type: 'transcript'; transcript: Transcript}
  | {type: 'peak'; index: number; score: number}

export interface SessionOptions {
  /** Default: the model directory's `trigger`. */
  trigger?: TriggerParams
  /** Transcription after each detection when the model has a CTC head; false turns it off. */
  transcript?: TranscriptOptions | false
}

export interface PushResult {
  block: StepBlock
  /** In stream order: a detection, later its transcript. */
  events: SessionEvent[]
}

/**
 * Audio in, events out: streaming inference, then trigger post-processing,
 * then (with a CTC head) the transcript of what follows each detection.
 * `detect` (a whole file) and `listen` (a live stream) both run this, so they
 * report the same events for the same audio whatever the chunking.
 */
export class DetectionSession {
  readonly trigger: TriggerDetector
  readonly follower: TranscriptFollower | undefined
  private count = 0
  /** Detections whose excursion has not ended yet, by firing step. */
  private readonly unsettled = new Map<number, number>()

  constructor(readonly inference: StreamingInference, options: SessionOptions = {}) {
    const {config} = inference
    this.trigger = new TriggerDetector(options.trigger ?? config.trigger)
    if (options.transcript !== false && inference.classes > 0 && config.vocabulary !== undefined) {
      this.follower = new TranscriptFollower(config.vocabulary, config.word, inference.stepSeconds, options.transcript ?? {})
    }
  }

  /** Whether detections are followed by transcripts. */
  get transcribes(): boolean {
    return this.follower !== undefined
  }

  get detections(): number {
    return this.count
  }

  get stepSeconds(): number {
    return this.inference.stepSeconds
  }

  push(samples: ArrayLike<number>): PushResult {
    const block = this.inference.push(samples)
    const events: SessionEvent[] = []
    const follower = this.follower
    const tokens = block.tokens
    let cursor = 0
    for (const fired of this.trigger.push(block.probabilities)) {
      const detection: Detection = {index: ++this.count, step: fired.step, seconds: fired.step * this.stepSeconds, score: fired.score}
      const row = fired.step - block.firstStep
      if (follower && tokens) {
        const done = follower.feed(tokens, block.firstStep, cursor, row + 1) ?? follower.finish('next-detection')
        if (done) events.push({type: 'transcript', transcript: done})
        follower.start(detection)
      }
      events.push({type: 'detection', detection})
      this.unsettled.set(fired.step, detection.index)
      cursor = row + 1
    }
    this.peakEvents(this.trigger.takePeaks(), events)
    if (follower && tokens) {
      const done = follower.feed(tokens, block.firstStep, cursor, block.steps)
      if (done) events.push({type: 'transcript', transcript: done})
    }
    return {block, events}
  }

  private peakEvents(peaks: ReturnType<TriggerDetector['takePeaks']>, events: SessionEvent[]): void {
    for (const {step, peak} of peaks) {
      const index = this.unsettled.get(step)
      if (index === undefined) continue
      this.unsettled.delete(step)
      events.push({type: 'peak', index, score: peak})
    }
  }

  /** End of the stream: the transcript still being gathered, if any, and the peak of a word still above the threshold. */
  finish(): SessionEvent[] {
    const events: SessionEvent[] = []
    const done = this.follower?.finish('end-of-stream')
    if (done) events.push({type: 'transcript', transcript: done})
    this.peakEvents(this.trigger.finishPeaks(), events)
    return events
  }

  /** Start a new stream (the next file). */
  reset(): void {
    this.count = 0
    this.unsettled.clear()
    this.inference.reset()
    this.trigger.reset()
    this.follower?.reset()
  }
}

export interface OfflineResult {
  detections: Detection[]
  transcripts: Transcript[]
  /** Every step's trigger probability, when asked for. */
  probabilities?: Float32Array
  steps: number
}

/** Gathers a run's events and, when asked, its probabilities. */
class RunCollector {
  readonly detections: Detection[] = []
  readonly transcripts: Transcript[] = []
  private readonly parts: Float32Array[] = []

  constructor(private readonly keepProbabilities: boolean) {}

  add({block, events}: PushResult): void {
    if (this.keepProbabilities) this.parts.push(block.probabilities)
    this.events(events)
  }

  events(events: SessionEvent[]): void {
    for (const e of events) {
      if (e.type === 'detection') this.detections.push({...e.detection})
      else if (e.type === 'transcript') this.transcripts.push(e.transcript)
      // A whole recording can wait for the word to end: its detections carry the peak.
      else this.detections.find((d) => d.index === e.index)!.score = e.score
    }
  }

  result(steps: number): OfflineResult {
    let probabilities: Float32Array | undefined
    if (this.keepProbabilities) {
      probabilities = new Float32Array(this.parts.reduce((n, p) => n + p.length, 0))
      let o = 0
      for (const p of this.parts) {
        probabilities.set(p, o)
        o += p.length
      }
    }
    return {detections: this.detections, transcripts: this.transcripts, probabilities, steps}
  }
}

/**
 * A whole recording through the session in fixed chunks (memory stays flat
 * for long files). Resets the session first.
 */
export function runOffline(session: DetectionSession, samples: Float64Array, options: {keepProbabilities?: boolean; chunkSamples?: number} = {}): OfflineResult {
  session.reset()
  const chunk = options.chunkSamples ?? 44_100 * 5
  const run = new RunCollector(Boolean(options.keepProbabilities))
  for (let at = 0; at < samples.length; at += chunk) run.add(session.push(samples.subarray(at, Math.min(samples.length, at + chunk))))
  run.events(session.finish())
  return run.result(session.inference.steps)
}

/**
 * A recording arriving in chunks (a file streamed from disk) through the
 * session: the same events as runOffline on the same samples, without ever
 * holding the whole recording. Resets the session first.
 */
export async function runChunks(session: DetectionSession, chunks: AsyncIterable<Float64Array>): Promise<OfflineResult & {samples: number}> {
  session.reset()
  const run = new RunCollector(false)
  let samples = 0
  for await (const chunk of chunks) {
    samples += chunk.length
    run.add(session.push(chunk))
  }
  run.events(session.finish())
  return {...run.result(session.inference.steps), samples}
}
