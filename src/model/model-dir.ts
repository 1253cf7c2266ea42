import type * as tf from '@tensorflow/tfjs'
import {stat} from 'node:fs/promises'
import {join} from 'node:path'

import {ModelError} from '../util/errors.js'
import {shipped} from '../util/paths.js'
import {type ModelConfig, readModelConfig, writeModelConfig} from './config.js'
import {MODEL_JSON, loadModel, saveModel} from './io.js'

/** A trained detector: the network plus its directory's description. */
export interface Detector {
  dir: string
  model: tf.LayersModel
  config: ModelConfig
}

/** The model shipped in the package, used when a command is given no --model. */
export const DEFAULT_MODEL_DIR = shipped('models', 'activate')

/**
 * Load a model directory (rnn-wake.json + model.json + weights.bin). Every
 * problem (missing directory, missing or corrupt file, config that does not
 * match the weights) is a ModelError naming the directory.
 */
export async function loadDetector(dir: string): Promise<Detector> {
  try {
    const st = await stat(dir)
    if (!st.isDirectory()) throw new ModelError(dir, 'not a directory')
  } catch (error) {
    if (error instanceof ModelError) throw error
    throw new ModelError(dir, 'no such directory')
  }
  const config = await readModelConfig(dir)
  try {
    await stat(join(dir, MODEL_JSON))
  } catch {
    throw new ModelError(dir, `no ${MODEL_JSON}`)
  }
  const model = await loadModel(dir, {fused: true})
  const inputShape = model.inputs[0].shape
  if (inputShape[inputShape.length - 1] !== config.preset.features) {
    model.dispose()
    throw new ModelError(dir, `the network takes ${inputShape[inputShape.length - 1]} features per frame but rnn-wake.json says ${config.preset.features}`)
  }
  return {dir, model, config}
}

/** Save network and description together (each file atomically; see saveModel for the order). */
export async function saveDetector(dir: string, model: tf.LayersModel, config: ModelConfig, options: {includeOptimizer?: boolean} = {}): Promise<void> {
  await saveModel(model, dir, options)
  await writeModelConfig(dir, config)
}
