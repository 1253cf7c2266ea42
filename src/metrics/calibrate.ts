import {writeModelConfig} from '../model/config.js'
import {loadDetector} from '../model/model-dir.js'
import {UserError} from '../util/errors.js'
import {evaluateModel} from './evaluate-model.js'
import {defaultThresholds} from './events.js'

/**
 * How far a count of false accepts can be trusted. One false accept in H hours
 * of non-trigger audio is 1/H false accepts per hour: the resolution. Seeing
 * none at all says the rate is below 3/H per hour with 95% confidence (the
 * "rule of three": P(0 events) = e^(-3) < 5% for a rate of 3 per H hours).
 * So audio supports a target T only when H >= 3/T: then a threshold with no
 * false accept on it has shown that it meets T. Shorter audio cannot tell a
 * threshold that meets T from one that fires several times more often.
 */
export const RULE_OF_THREE = 3

/** False accepts per hour that one false accept amounts to on `hours` of non-trigger audio. */
export function falseAcceptResolution(hours: number): number {
  return hours > 0 ? 1 / hours : Infinity
}

/** Hours of non-trigger audio needed to support a target of `targetFaPerHour` (3 / target). */
export function hoursNeeded(targetFaPerHour: number): number {
  return targetFaPerHour > 0 ? RULE_OF_THREE / targetFaPerHour : Infinity
}

/** Whether `hours` of non-trigger audio are enough to set a threshold for `targetFaPerHour` (see RULE_OF_THREE). */
export function supportsTarget(hours: number, targetFaPerHour: number): boolean {
  return targetFaPerHour > 0 && hours * targetFaPerHour >= RULE_OF_THREE * (1 - 1e-9)
}

/** What calibrating a trained model on real non-trigger audio found (kept in rnn-wake.json). */
export interface SpeechCalibration {
  /** Files and minutes of non-trigger audio listened to. */
  files: number
  minutes: number
  targetFaPerHour: number
  /** The threshold the model had before (chosen on synthetic validation). */
  previousThreshold: number
  /** The lowest threshold whose false accepts on this audio stay within the target. */
  speechThreshold: number
  /** The threshold written: the higher of the two, so both limits hold. */
  threshold: number
  /** False accepts per hour on this audio at the written threshold. */
  faPerHour: number
}

/**
 * Raise a model's threshold until it fires at most `targetFaPerHour` times an hour on `paths`
 * (recordings of people talking, say, that never say the word). A threshold chosen on synthetic
 * validation can fire hundreds of times an hour on real speech (bench/RESULTS.md, encoder);
 * it is never lowered, so the validation's miss limit still holds where it did.
 */
export async function calibrateOnSpeech(
  dir: string,
  paths: readonly string[],
  targetFaPerHour: number,
  onProgress?: (done: number, total: number) => void,
): Promise<SpeechCalibration> {
  const detector = await loadDetector(dir)
  const report = await evaluateModel(detector, {datasets: [], negatives: [...paths], trigger: detector.config.trigger, targetFaPerHour, onProgress})
  const point = report.target.point
  if (!point) throw new UserError(`${dir}: no threshold up to ${Math.max(...defaultThresholds())} keeps it within ${targetFaPerHour} false accepts per hour on ${paths.join(', ')}; threshold left at ${detector.config.trigger.threshold}`, 'badInput')
  const previousThreshold = detector.config.trigger.threshold
  const threshold = Math.max(previousThreshold, point.threshold)
  const at = report.det.find((p) => p.threshold === threshold)
  const calibration: SpeechCalibration = {
    files: report.negatives.files,
    minutes: report.negatives.seconds / 60,
    targetFaPerHour,
    previousThreshold,
    speechThreshold: point.threshold,
    threshold,
    faPerHour: at?.faPerHour ?? point.faPerHour,
  }
  const training = {...(detector.config.training ?? {}), speechCalibration: calibration}
  await writeModelConfig(detector.dir, {...detector.config, trigger: {...detector.config.trigger, threshold}, training})
  return calibration
}
