import {DEFAULT_TOKEN_DECODER, type TokenDecoder, decodeWith} from '../ctc/decode.js'
import type {VocabularyConfig} from '../model/config.js'

/** A trigger event placed in the stream. */
export interface Detection {
  /** 1 for the stream's first detection, then 2, 3, ... */
  index: number
  /** Output step at which it fired. */
  step: number
  /** Stream time of that step, seconds (step x seconds per step, as the course places its chime). */
  seconds: number
  /** Highest trigger probability of the run that fired. */
  score: number
}

export interface TimedText {
  text: string
  startSeconds: number
  endSeconds: number
}

/** What was said after a detection, from the model's CTC head. */
export interface Transcript {
  detection: Detection
  /** The tokens decoded after the trigger, joined (words by spaces), the trigger word itself left out. */
  text: string
  /** Every decoded token with its stream times. */
  tokens: TimedText[]
  /** Stream time span listened to. */
  startSeconds: number
  endSeconds: number
  /** Why listening stopped. */
  ended: 'silence' | 'limit' | 'next-detection' | 'end-of-stream'
}

export interface TranscriptOptions {
  /** Seconds with nothing but blank (the CTC head hears no token) that end a transcript. Default 1. */
  silenceSeconds?: number
  /** Longest time listened to after a detection, seconds. Default 5. */
  maxSeconds?: number
  /** How to decode; default: the model's (rnn-wake.json vocabulary.decoder), else a prefix beam search of width 8. */
  decoder?: TokenDecoder
}

/**
 * After a detection, gathers the CTC head's per-step posteriors until about a
 * second of silence (steps whose most likely class is the blank: silence as
 * the model hears it, so steady background noise does not hold it open) or a
 * time limit, then decodes them with the model's decoder.
 */
export class TranscriptFollower {
  readonly classes: number
  private readonly silenceSteps: number
  private readonly maxSteps: number
  private readonly decoder: TokenDecoder
  private readonly rows: Float32Array
  private count = 0
  private silent = 0
  private detection: Detection | undefined
  private firstStep = 0

  constructor(
    readonly vocabulary: VocabularyConfig,
    readonly word: string,
    readonly stepSeconds: number,
    options: TranscriptOptions = {},
  ) {
    this.classes = vocabulary.tokens.length + 1
    this.silenceSteps = Math.max(1, Math.round((options.silenceSeconds ?? 1) / stepSeconds))
    this.maxSteps = Math.max(1, Math.round((options.maxSeconds ?? 5) / stepSeconds))
    this.decoder = options.decoder ?? vocabulary.decoder ?? DEFAULT_TOKEN_DECODER
    this.rows = new Float32Array(this.maxSteps * this.classes)
  }

  get active(): boolean {
    return this.detection !== undefined
  }

  /** Listen from the step after `detection`'s. */
  start(detection: Detection): void {
    this.detection = detection
    this.firstStep = detection.step + 1
    this.count = 0
    this.silent = 0
  }

  /**
   * Feed rows [from, to) of a block of posteriors whose row 0 is step
   * `blockStep`. Returns the transcript if it ended within them (later rows
   * are then ignored until the next start).
   */
  feed(tokens: Float32Array, blockStep: number, from: number, to: number): Transcript | undefined {
    if (this.detection === undefined) return undefined
    const C = this.classes
    const blank = this.vocabulary.blank
    for (let r = Math.max(from, this.firstStep - blockStep); r < to; r++) {
      const at = r * C
      this.rows.set(tokens.subarray(at, at + C), this.count * C)
      this.count++
      let best = 0
      for (let c = 1; c < C; c++) if (tokens[at + c] > tokens[at + best]) best = c
      this.silent = best === blank ? this.silent + 1 : 0
      if (this.silent >= this.silenceSteps) return this.finish('silence')
      if (this.count >= this.maxSteps) return this.finish('limit')
    }
    return undefined
  }

  /** Decode what was gathered so far and stop listening. */
  finish(ended: Transcript['ended']): Transcript | undefined {
    const detection = this.detection
    if (detection === undefined) return undefined
    this.detection = undefined
    const {tokens: names, blank, unit} = this.vocabulary
    const decoded = decodeWith(this.decoder, this.rows.subarray(0, this.count * this.classes), this.count, this.classes, blank)
    const step = this.stepSeconds
    const tokens = decoded.tokens.map((t) => ({
      text: names[t.token],
      startSeconds: (this.firstStep + t.start) * step,
      endSeconds: (this.firstStep + t.end + 1) * step,
    }))
    const joined = tokens.map((t) => t.text).join(unit === 'word' ? ' ' : '')
    return {
      detection,
      text: withoutTrigger(joined, this.word),
      tokens,
      startSeconds: this.firstStep * step,
      endSeconds: (this.firstStep + this.count) * step,
      ended,
    }
  }

  reset(): void {
    this.detection = undefined
    this.count = 0
    this.silent = 0
  }
}

/**
 * The trigger fires near the end of the word, so the head's emission of the
 * word itself can land just after it: that is not part of what followed.
 */
function withoutTrigger(text: string, word: string): string {
  const t = text.trim()
  const w = word.trim().toLowerCase()
  if (t.toLowerCase() === w) return ''
  if (t.toLowerCase().startsWith(`${w} `)) return t.slice(w.length).trim()
  return t
}
