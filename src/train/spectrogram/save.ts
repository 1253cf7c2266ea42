import {readFileSync} from 'node:fs'
import {readdir, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import type * as tf from '@tensorflow/tfjs'

import {CONFIG_FORMAT, CONFIG_VERSION, type ModelConfig} from '../../model/config.js'
import {saveDetector} from '../../model/model-dir.js'
import {writeDirAtomic} from '../../util/atomic.js'
import {UserError} from '../../util/errors.js'
import {packageRoot} from '../../util/paths.js'
import {STATE_FILE, type TrainState, writeOptimizerState} from '../checkpoint.js'
import {trainingCurvePng} from '../curve.js'
import type {OutputOptions, Run, RunNetwork, TrainOptions} from './config.js'
import type {TrainData} from './data.js'
import type {Choice} from './evaluate.js'

/**
 * Save stage of the spectrogram recipe: the whole model directory (network,
 * rnn-wake.json, training.json, Adam's state, the training curve) rewritten
 * atomically after every epoch, so it is always a complete checkpoint; and,
 * before any training, the check that the run may write there.
 */

export const CURVE_FILE = 'training-curve.png'

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/** --resume needs a model in `out`; a new run needs no model there (or --force) and no other files. */
export async function checkOutput(out: string, options: Pick<OutputOptions, 'resume' | 'force'>): Promise<void> {
  const hasModel = await exists(join(out, 'model.json'))
  if (options.resume) {
    if (!hasModel) throw new UserError(`Cannot resume: ${out} holds no model (start without --resume)`, 'badModel')
    return
  }
  if (hasModel && !options.force) throw new UserError(`${out} already holds a model: pass --resume to continue training it or --force to replace it`, 'output')
  if (!hasModel && (await exists(out)) && !options.force) {
    if ((await readdir(out)).length > 0) throw new UserError(`Cannot write ${out}: the folder exists and is not empty; choose another --out`, 'output')
  }
}

function rnnWakeVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {version: string}).version
  } catch {
    return 'unknown'
  }
}

/** rnn-wake.json of the run as it stands: the network, the trigger chosen so far, and the training facts. */
export function modelConfig(options: TrainOptions, network: RunNetwork, run: Run, data: TrainData, state: TrainState, choice: Choice, finished: boolean): ModelConfig {
  const {threshold, minSteps, decoder, rule} = choice
  const {vocabulary} = network
  const last = state.history.at(-1)
  return {
    format: CONFIG_FORMAT,
    version: CONFIG_VERSION,
    word: options.word,
    preset: network.preset,
    features: network.features,
    trigger: {...run.trigger, threshold, minSteps},
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
      ty: run.geometry.ty,
      labelSteps: run.geometry.labelSteps,
      ...state.settings,
      data: options.corpus.describe,
      dataSha256: options.corpus.dataHash,
      validation: last
        ? {threshold, rule, targetFaPerHour: options.targetFaPerHour, maxFrr: options.maxFrr, triggers: last.triggers, missed: last.missed, falseAccepts: last.falseAccepts, frr: last.frr, faPerHour: last.faPerHour, perStepAccuracy: last.valAccuracy}
        : null,
    },
  }
}

/** The checkpoint: Adam's state unless the run is finished (or kept on purpose), and the curve once an epoch is validated. */
export async function saveCheckpoint(out: string, run: {model: tf.LayersModel; optimizer: tf.AdamOptimizer; state: TrainState; keepOptimizer: boolean}, config: ModelConfig, finished: boolean): Promise<void> {
  await writeDirAtomic(out, async (tmp) => {
    await saveDetector(tmp, run.model, config)
    if (!finished || run.keepOptimizer) await writeOptimizerState(tmp, run.optimizer)
    await writeFile(join(tmp, STATE_FILE), JSON.stringify({...run.state, finished}, null, 2) + '\n')
    if (run.state.history.length > 0) await writeFile(join(tmp, CURVE_FILE), trainingCurvePng(run.state.history))
  })
}
