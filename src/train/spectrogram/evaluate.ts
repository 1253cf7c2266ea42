import {type TokenDecoder, describeDecoder} from '../../ctc/decode.js'
import type {OperatingPoint} from '../../metrics/events.js'
import type {TrainState} from '../checkpoint.js'
import type {EpochRecord} from '../curve.js'
import {type ThresholdRule, formatEpochLine} from '../epoch-log.js'
import {chooseTrigger, type validate} from '../validate.js'
import type {Run, TrainOptions, ValidationOptions} from './config.js'
import type {TrainData} from './data.js'
import type {Trained} from './step.js'

/**
 * Evaluate and calibrate stages of the spectrogram recipe. Evaluation is
 * validate.ts's `validate`: the model on whole validation examples, scored
 * as a detector (missed triggers, false accepts) and, with a token head, as
 * a transcriber. Calibration chooses the trigger (threshold and steps above
 * it) and the token decoder on those scores; then the epoch is recorded and
 * told in one line.
 */

export type Validated = ReturnType<typeof validate>

/** What the run has chosen on validation so far: the trigger and, with a token head, the decoder. */
export interface Choice {
  threshold: number
  minSteps: number
  rule: ThresholdRule
  decoder?: TokenDecoder
}

/** The choice before this run validates: the checkpoint's last (a resumed run) or the defaults. */
export function priorChoice(state: TrainState, decoder?: TokenDecoder): Choice {
  const prior = state.history.at(-1)
  return {threshold: prior?.threshold ?? 0.5, minSteps: prior?.minSteps ?? 1, rule: 'default', ...(decoder ? {decoder} : {})}
}

/** Calibrate stage: the trigger chosen on this validation, and the decoder (the previous one when this validation chose none). */
export function calibrate(v: Validated, previous: Choice, run: Run, options: ValidationOptions): {choice: Choice; point: OperatingPoint} {
  const decoder = v.decoder ?? previous.decoder
  const chosen = chooseTrigger(v.scored, run.trigger, options.targetFaPerHour, options.maxFrr)
  const choice: Choice = {threshold: chosen.trigger.threshold, minSteps: chosen.trigger.minSteps, rule: chosen.rule, ...(decoder ? {decoder} : {})}
  return {choice, point: chosen.point}
}

/** The history's record of a validated epoch (training.json, the training curve). */
export function epochRecord(epoch: number, trained: Trained, v: Validated, {choice, point}: {choice: Choice; point: OperatingPoint}): EpochRecord {
  return {
    epoch,
    examples: trained.done,
    seconds: trained.seconds,
    loss: trained.loss,
    valLoss: v.loss,
    valAccuracy: v.accuracy,
    threshold: choice.threshold,
    minSteps: choice.minSteps,
    triggers: point.triggers,
    missed: point.missed,
    falseAccepts: point.falseAccepts,
    frr: point.frr,
    faPerHour: point.faPerHour,
    frrAtHalf: v.point.frr,
    faPerHourAtHalf: v.point.faPerHour,
    ...(trained.ctcLoss === undefined ? {} : {ctcLoss: trained.ctcLoss}),
    ...(v.wer ? {valWer: v.wer.rate} : {}),
  }
}

const speed = (trained: Trained, data: TrainData): string => `${((trained.done / trained.seconds) * data.equivalent).toFixed(2)} ex/s (10 s-equivalent)`
const ctcText = (trained: Trained): string => (trained.ctcLoss === undefined ? '' : `; CTC loss ${trained.ctcLoss.toFixed(4)}/step`)

/** The line of an epoch that was not validated. */
export function trainedLine(epoch: number, trained: Trained, data: TrainData, run: Run, options: TrainOptions): string {
  return `epoch ${epoch}/${options.epochs}: loss ${trained.loss.toFixed(4)}, ${speed(trained, data)}${ctcText(trained)}; validation every ${run.valEvery} epochs`
}

/** The line of a validated epoch, once its record is in the history. */
export function validatedLine(epoch: number, trained: Trained, v: Validated, calibrated: {choice: Choice; point: OperatingPoint}, state: TrainState, data: TrainData, options: TrainOptions): string {
  const {choice, point} = calibrated
  const wer = v.wer ? `val WER ${(100 * v.wer.rate).toFixed(1)}% (${v.decoder ? describeDecoder(v.decoder) : 'best path'})` : ''
  const extra = [speed(trained, data), ctcText(trained).slice(2), wer]
  return formatEpochLine({
    ...point,
    epoch,
    epochs: options.epochs,
    loss: trained.loss,
    valLoss: v.loss,
    threshold: choice.threshold,
    minSteps: choice.minSteps,
    previousMinSteps: state.history.at(-2)?.minSteps,
    rule: choice.rule,
    targetFaPerHour: options.targetFaPerHour,
    maxFrr: options.maxFrr,
    extra: extra.filter((t) => t !== '').join('; '),
  })
}
