import {Flags} from '@oclif/core'
import {resolve} from 'node:path'

import {SAMPLE_RATE} from '../audio/read.js'
import {type BackendChoice, BACKEND_CHOICES, selectBackend} from '../model/backend.js'
import {type ModelConfig, THRESHOLD_NAME} from '../model/config.js'
import {DEFAULT_MODEL_DIR, type Detector, loadDetector} from '../model/model-dir.js'
import {ModelError, UserError} from '../util/errors.js'
import {shipped} from '../util/paths.js'
import type {TranscriptOptions} from './transcript.js'
import type {TriggerParams} from './trigger.js'

/**
 * What `detect` and `listen` share: the model flags, loading the model with
 * the backend reported, and trigger settings from the model directory with
 * flag overrides. Kept out of commands/ because oclif treats every file
 * there as a command.
 */
export const modelFlags = {
  model: Flags.string({char: 'm', summary: 'Model directory (rnn-wake.json + model.json + weights.bin).', defaultHelp: async () => 'the shipped models/activate'}),
  threshold: Flags.string({
    summary: "Probability a step must exceed to fire, or the name of a threshold the model carries (default: the model's).",
    description: 'A model may carry thresholds calibrated on other audio besides its default; the shipped models/activate has "real-speech" (set on recordings of people, where the default is set on synthesized speech): --threshold real-speech.',
  }),
  'min-steps': Flags.integer({summary: "Consecutive steps above the threshold before firing (default: the model's).", min: 1}),
  refractory: Flags.integer({summary: "Steps after a detection during which none fires (default: the model's).", min: 0}),
  'smooth-steps': Flags.integer({summary: "Average each step's probability with the steps before it, this many in all, before the threshold (default: the model's, else 1: none).", min: 1}),
  'rearm-ratio': Flags.string({summary: "After a detection, fire again only once the probability has fallen to this fraction of the threshold, in (0, 1] (default: the model's, else 1)."}),
  backend: Flags.string({summary: 'TensorFlow.js backend (default: node if installed, else wasm).', options: [...BACKEND_CHOICES]}),
  verbose: Flags.boolean({char: 'v', summary: 'Also say on stderr which TensorFlow.js backend runs the model (--json output always has it).'}),
}

export interface ModelFlagValues {
  model?: string
  threshold?: string
  'min-steps'?: number
  refractory?: number
  'smooth-steps'?: number
  'rearm-ratio'?: string
  backend?: string
  verbose?: boolean
}

export interface OpenedDetector {
  detector: Detector
  backend: string
  trigger: TriggerParams
  /** The name --threshold gave, when it named one of the model's thresholds. */
  thresholdName?: string
}

/**
 * Start the backend, load the model and settle the trigger settings. With
 * --verbose the backend's name goes to `report` (stderr), so a slow run on
 * the cpu backend need not be a mystery; --json output carries it always.
 */
export async function openDetector(flags: ModelFlagValues, report: (line: string) => void, defaultDir = DEFAULT_MODEL_DIR): Promise<OpenedDetector> {
  const {threshold, ...trigger} = parseTriggerFlags(flags)
  const backend = await selectBackend(flags.backend as BackendChoice | undefined)
  if (flags.verbose) report(`backend: ${backend}`)
  const dir = flags.model ?? defaultDir
  let detector: Detector
  try {
    detector = await loadDetector(dir)
  } catch (error) {
    if (flags.model === undefined && error instanceof ModelError) {
      throw new ModelError(dir, `${error.message.replace(/^Cannot load model [^:]*: /, '')} (the default model is missing from this installation: pass --model DIR)`)
    }
    throw error
  }
  if (detector.config.features.sampleRate !== SAMPLE_RATE) {
    throw new ModelError(dir, `it expects ${detector.config.features.sampleRate} Hz audio; rnn-wake streams ${SAMPLE_RATE} Hz`)
  }
  // The encoder is a model directory like any other (so --from can check it), but its trigger head was a pretraining aid.
  if (resolve(dir) === resolve(shipped('models', 'encoder'))) {
    report(`note: ${dir} is the speech encoder; its "${detector.config.word}" head only served pretraining. Make a detector for your word from it: rnn-wake train --from ${dir} ...`)
  }
  const chosen = threshold === undefined ? {} : {threshold: thresholdFor(threshold, detector.config, dir)}
  const thresholdName = typeof threshold === 'object' ? threshold.name : undefined
  return {detector, backend, trigger: {...detector.config.trigger, ...trigger, ...chosen}, ...(thresholdName ? {thresholdName} : {})}
}

/** A --threshold value as checked before the model is loaded: a probability, or a name to look up in it. */
export type ThresholdChoice = number | {name: string}

/** Parse --threshold: a probability strictly between 0 and 1, or a threshold name (looked up later by thresholdFor). */
export function parseThresholdFlag(text: string, flag = '--threshold'): ThresholdChoice {
  if (THRESHOLD_NAME.test(text)) return {name: text}
  const t = Number(text)
  if (!(text.trim() !== '' && Number.isFinite(t) && t > 0 && t < 1)) throw new UserError(`${flag} must be a probability strictly between 0 and 1 or the name of a threshold the model carries, not "${text}"`, 'usage')
  return t
}

/** The threshold a parsed --threshold stands for in this model. */
export function thresholdFor(choice: ThresholdChoice, config: ModelConfig, dir: string, flag = '--threshold'): number {
  if (typeof choice === 'number') return choice
  const named = config.thresholds ?? {}
  if (choice.name in named) return named[choice.name]
  const names = Object.keys(named)
  throw new UserError(`${flag} ${choice.name}: ${dir} carries no threshold of that name (${names.length ? `it has: ${names.join(', ')}` : 'it has no named thresholds'}; or give a probability such as 0.5)`, 'usage')
}

export const transcriptFlags = {
  'silence-seconds': Flags.string({summary: 'With a CTC model: seconds of silence (no token heard) that end the transcript after a detection.', default: '1'}),
  'transcript-seconds': Flags.string({summary: 'With a CTC model: longest transcript after a detection, seconds.', default: '5'}),
}

export function transcriptOptions(flags: {'silence-seconds'?: string; 'transcript-seconds'?: string}): TranscriptOptions {
  return {silenceSeconds: secondsFlag('silence-seconds', flags['silence-seconds'], 1), maxSeconds: secondsFlag('transcript-seconds', flags['transcript-seconds'], 5)}
}

function parseTriggerFlags(flags: ModelFlagValues): Omit<Partial<TriggerParams>, 'threshold'> & {threshold?: ThresholdChoice} {
  const out: Omit<Partial<TriggerParams>, 'threshold'> & {threshold?: ThresholdChoice} = {}
  if (flags.threshold !== undefined) out.threshold = parseThresholdFlag(flags.threshold)
  if (flags['min-steps'] !== undefined) out.minSteps = flags['min-steps']
  if (flags.refractory !== undefined) out.refractorySteps = flags.refractory
  if (flags['smooth-steps'] !== undefined) out.smoothSteps = flags['smooth-steps']
  if (flags['rearm-ratio'] !== undefined) out.rearmRatio = parseRearmRatio(flags['rearm-ratio'])
  return out
}

/** --rearm-ratio: a fraction of the threshold in (0, 1]. */
export function parseRearmRatio(text: string): number {
  const r = Number(text)
  if (!(text.trim() !== '' && r > 0 && r <= 1)) throw new UserError(`--rearm-ratio must be a fraction in (0, 1], not "${text}"`, 'usage')
  return r
}

/** A positive number of seconds from a string flag. */
export function secondsFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const v = Number(value)
  if (!(Number.isFinite(v) && v > 0)) throw new UserError(`--${name} must be a positive number of seconds, not "${value}"`, 'usage')
  return v
}
