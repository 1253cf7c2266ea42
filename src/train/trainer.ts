import {readFileSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import * as tf from '@tensorflow/tfjs'

import {type TokenDecoder, describeDecoder} from '../ctc/decode.js'
import {CONFIG_FORMAT, CONFIG_VERSION, type ModelConfig, readModelConfig} from '../model/config.js'
import {saveDetector} from '../model/model-dir.js'
import {writeDirAtomic} from '../util/atomic.js'
import {UserError} from '../util/errors.js'
import {packageRoot} from '../util/paths.js'
import {STATE_FILE, type TrainState, acquireLock, writeOptimizerState} from './checkpoint.js'
import {type EpochRecord, trainingCurvePng} from './curve.js'
import {formatEpochLine} from './epoch-log.js'
import {type ExampleMaker, createExampleMaker} from './example-maker.js'
import type {Stepper} from './parallel.js'
import {type TrainOptions, checkOptions, planRun} from './spectrogram/config.js'
import {makerInit, openData} from './spectrogram/data.js'
import {openModel} from './spectrogram/model.js'
import {checkOutput} from './spectrogram/save.js'
import {type Trained, countEpoch, openStepper, startClock, trainEpoch} from './spectrogram/step.js'
import {chooseTrigger, validate} from './validate.js'

/**
 * The training loop: config -> model -> data -> per epoch: step ->
 * validation with event-level numbers, and the whole model directory
 * rewritten atomically as a checkpoint. The stages are in src/train/spectrogram.
 */

export const CURVE_FILE = 'training-curve.png'

export type {TrainOptions} from './spectrogram/config.js'
export type {TrainState} from './checkpoint.js'

export interface TrainResult {
  out: string
  state: TrainState
  config: ModelConfig
  peakRssMiB: number
}

function rnnWakeVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {version: string}).version
  } catch {
    return 'unknown'
  }
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const out = resolve(options.out)
  const lock = await acquireLock(out)
  let maker: ExampleMaker | undefined
  let stepper: Stepper | undefined
  try {
    const defaults = checkOptions(options)
    const optimizer = tf.train.adam(options.lr)
    await checkOutput(out, options)
    const {model, state, network, decoder: resumedDecoder} = await openModel(out, options, optimizer)
    const {preset, features, vocabulary} = network
    const run = planRun(options, defaults, network)
    state.finished = false
    state.settings = run.settings
    const {geometry, stepSec, trigger} = run
    stepper = await openStepper(model, optimizer, network, run, options)
    maker = createExampleMaker(makerInit(options, network, run), options.workers)
    const data = await openData(maker, options)

    // The token decoder chosen on validation, as the threshold is; a resumed run starts from the saved one.
    let decoder: TokenDecoder | undefined = resumedDecoder
    const save = async (finished: boolean, threshold: number, minSteps: number): Promise<ModelConfig> => {
      const last = state.history.at(-1)
      const config: ModelConfig = {
        format: CONFIG_FORMAT,
        version: CONFIG_VERSION,
        word: options.word,
        preset,
        features,
        trigger: {...trigger, threshold, minSteps},
        ...(vocabulary ? {vocabulary: {unit: vocabulary.unit, tokens: vocabulary.tokens, blank: vocabulary.tokens.length, ...(decoder ? {decoder} : {})}} : {}),
        training: {
          rnnWakeVersion: rnnWakeVersion(),
          finished,
          epochs: state.epoch,
          examplesSeen: state.examplesSeen,
          trainSeconds: Math.round(state.trainSeconds),
          cpuSeconds: Math.round(state.cpuSeconds),
          trainCpuSeconds: Math.round(state.trainCpuSeconds ?? 0),
          backend: options.backend,
          tx: data.fullFrames,
          ty: geometry.ty,
          labelSteps: geometry.labelSteps,
          ...state.settings,
          data: options.corpus.describe,
          dataSha256: options.corpus.dataHash,
          validation: last
            ? {threshold, rule: thresholdRule, targetFaPerHour: options.targetFaPerHour, maxFrr: options.maxFrr, triggers: last.triggers, missed: last.missed, falseAccepts: last.falseAccepts, frr: last.frr, faPerHour: last.faPerHour, perStepAccuracy: last.valAccuracy}
            : null,
        },
      }
      await writeDirAtomic(out, async (tmp) => {
        await saveDetector(tmp, model, config)
        if (!finished || options.keepOptimizer) await writeOptimizerState(tmp, optimizer)
        await writeFile(join(tmp, STATE_FILE), JSON.stringify({...state, finished}, null, 2) + '\n')
        if (state.history.length > 0) await writeFile(join(tmp, CURVE_FILE), trainingCurvePng(state.history))
      })
      return config
    }

    // Epochs between validations keep the last validated choice (a resumed run: the saved one).
    const prior = state.history.at(-1)
    let threshold = prior?.threshold ?? 0.5
    let thresholdRule = 'default'
    let minSteps = prior?.minSteps ?? 1
    const steps = {stepper, maker, optimizer, data, network, run}
    const clock = startClock(state)
    let stopped: Trained['stopped']
    for (let epoch = state.epoch + 1; epoch <= options.epochs && stopped === undefined; epoch++) {
      const trained = await trainEpoch(epoch, steps, options, state.trainCpuSeconds ?? 0)
      stopped = trained.stopped
      countEpoch(state, trained, clock)
      if (stopped === 'signal') break
      state.epoch = epoch
      const last = stopped === 'budget' || epoch === options.epochs
      const {done, seconds, loss, ctcLoss} = trained
      const speed = `${((done / seconds) * data.equivalent).toFixed(2)} ex/s (10 s-equivalent)`
      const ctcText = ctcLoss === undefined ? '' : `; CTC loss ${ctcLoss.toFixed(4)}/step`
      if (!last && epoch % run.valEvery !== 0) {
        options.log(`epoch ${epoch}/${options.epochs}: loss ${loss.toFixed(4)}, ${speed}${ctcText}; validation every ${run.valEvery} epochs`)
        await save(false, threshold, minSteps)
        continue
      }
      const v = validate(model, data.valExamples, stepSec, trigger, vocabulary)
      decoder = v.decoder ?? decoder
      const choice = chooseTrigger(v.scored, trigger, options.targetFaPerHour, options.maxFrr)
      threshold = choice.trigger.threshold
      minSteps = choice.trigger.minSteps
      thresholdRule = choice.rule
      const at = choice.point
      const record: EpochRecord = {
        epoch,
        examples: done,
        seconds,
        loss,
        valLoss: v.loss,
        valAccuracy: v.accuracy,
        threshold,
        minSteps,
        triggers: at.triggers,
        missed: at.missed,
        falseAccepts: at.falseAccepts,
        frr: at.frr,
        faPerHour: at.faPerHour,
        frrAtHalf: v.point.frr,
        faPerHourAtHalf: v.point.faPerHour,
        ...(ctcLoss === undefined ? {} : {ctcLoss}),
        ...(v.wer ? {valWer: v.wer.rate} : {}),
      }
      state.history.push(record)
      const extra = [speed, ctcText.slice(2), v.wer ? `val WER ${(100 * v.wer.rate).toFixed(1)}% (${v.decoder ? describeDecoder(v.decoder) : 'best path'})` : '']
      options.log(
        formatEpochLine({
          ...at,
          epoch,
          epochs: options.epochs,
          loss,
          valLoss: v.loss,
          threshold,
          minSteps,
          previousMinSteps: state.history.at(-2)?.minSteps,
          rule: choice.rule,
          targetFaPerHour: options.targetFaPerHour,
          maxFrr: options.maxFrr,
          extra: extra.filter((t) => t !== '').join('; '),
        }),
      )
      await save(last, threshold, minSteps)
    }

    const peakRssMiB = process.resourceUsage().maxRSS / 1024
    if (stopped === 'signal') {
      await save(false, threshold, minSteps)
      throw new UserError(`Stopped by Ctrl-C; checkpoint saved to ${out} after epoch ${state.epoch} (continue with --resume)`, 'interrupted')
    }
    state.finished = true
    const config = await readModelConfig(out)
    return {out, state, config, peakRssMiB}
  } finally {
    await stepper?.close()
    await maker?.close()
    await lock.release()
  }
}
