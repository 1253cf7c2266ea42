import {resolve} from 'node:path'

import * as tf from '@tensorflow/tfjs'

import {type ModelConfig, readModelConfig} from '../model/config.js'
import {UserError} from '../util/errors.js'
import {type TrainState, acquireLock} from './checkpoint.js'
import {type ExampleMaker, createExampleMaker} from './example-maker.js'
import type {Stepper} from './parallel.js'
import {type TrainOptions, checkOptions, planRun} from './spectrogram/config.js'
import {makerInit, openData} from './spectrogram/data.js'
import {calibrate, epochRecord, priorChoice, trainedLine, validatedLine} from './spectrogram/evaluate.js'
import {openModel} from './spectrogram/model.js'
import {checkOutput, modelConfig, saveCheckpoint} from './spectrogram/save.js'
import {type Trained, countEpoch, openStepper, startClock, trainEpoch} from './spectrogram/step.js'
import {validate} from './validate.js'

/**
 * The spectrogram recipe's training loop, its stages in src/train/spectrogram:
 * config -> model (fresh, --init-from, --from or the checkpoint) -> data ->
 * per epoch: step -> evaluate (validation, as a detector) -> calibrate (the
 * trigger chosen there) -> save (the whole model directory, atomically, as a
 * checkpoint).
 */

export type {TrainOptions} from './spectrogram/config.js'
export type {TrainState} from './checkpoint.js'

export interface TrainResult {
  out: string
  state: TrainState
  config: ModelConfig
  peakRssMiB: number
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const out = resolve(options.out)
  const lock = await acquireLock(out)
  let maker: ExampleMaker | undefined
  let stepper: Stepper | undefined
  try {
    const defaults = checkOptions(options) // config
    const optimizer = tf.train.adam(options.lr)
    await checkOutput(out, options)
    const {model, state, network, decoder} = await openModel(out, options, optimizer) // model
    const run = planRun(options, defaults, network) // config, completed by the model's settings
    state.finished = false
    state.settings = run.settings
    stepper = await openStepper(model, optimizer, network, run, options)
    maker = createExampleMaker(makerInit(options, network, run), options.workers)
    const data = await openData(maker, options) // data

    // Epochs between validations keep the last validated choice (a resumed run: the saved one).
    let choice = priorChoice(state, decoder)
    const save = (finished: boolean): Promise<void> =>
      saveCheckpoint(out, {model, optimizer, state, keepOptimizer: options.keepOptimizer}, modelConfig(options, network, run, data, state, choice, finished), finished)
    const steps = {stepper, maker, optimizer, data, network, run}
    const clock = startClock(state)
    let stopped: Trained['stopped']
    for (let epoch = state.epoch + 1; epoch <= options.epochs && stopped === undefined; epoch++) {
      const trained = await trainEpoch(epoch, steps, options, state.trainCpuSeconds ?? 0) // step
      stopped = trained.stopped
      countEpoch(state, trained, clock)
      if (stopped === 'signal') break
      state.epoch = epoch
      const last = stopped === 'budget' || epoch === options.epochs
      if (!last && epoch % run.valEvery !== 0) {
        options.log(trainedLine(epoch, trained, data, run, options))
        await save(false)
        continue
      }
      const v = validate(model, data.valExamples, run.stepSec, run.trigger, network.vocabulary) // evaluate
      const calibrated = calibrate(v, choice, run, options) // calibrate
      choice = calibrated.choice
      state.history.push(epochRecord(epoch, trained, v, calibrated))
      options.log(validatedLine(epoch, trained, v, calibrated, state, data, options))
      await save(last) // save
    }

    const peakRssMiB = process.resourceUsage().maxRSS / 1024
    if (stopped === 'signal') {
      await save(false)
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
