import * as tf from '@tensorflow/tfjs'
import {stat} from 'node:fs/promises'
import {join} from 'node:path'

import {ModelError, describeError} from '../util/errors.js'
import {shipped} from '../util/paths.js'
import {type ModelConfig, readModelConfig, writeModelConfig} from './config.js'
import {type FrontEnd, type FrontEndOptions, isSpeechEmbedding, openFrontEnd} from '../features/front-end.js'
import {MODEL_JSON, loadModel, saveModel} from './io.js'
import {type ModelPreset, outputSteps} from './presets.js'

/** A trained detector: the network(s) plus its directory's description. */
export interface Detector {
  dir: string
  /** The top-level network (networks[0]). */
  model: tf.LayersModel
  /** Every network whose outputs are averaged: the top-level one, then config.members in order. */
  networks: tf.LayersModel[]
  config: ModelConfig
  /** The front end every network reads (one object for offline prediction and streaming). */
  frontEnd: FrontEnd
}

/** The model shipped in the package, used when a command is given no --model. */
export const DEFAULT_MODEL_DIR = shipped('models', 'activate')

/**
 * Load a model directory (rnn-wake.json + model.json + weights.bin, and a
 * subfolder with the same two files per ensemble member). Every problem
 * (missing directory, missing or corrupt file, config that does not match the
 * weights, members that differ, a front end other than the one the model was
 * trained on) is a ModelError naming the directory.
 */
export async function loadDetector(dir: string, options: FrontEndOptions = {}): Promise<Detector> {
  try {
    const st = await stat(dir)
    if (!st.isDirectory()) throw new ModelError(dir, 'not a directory')
  } catch (error) {
    if (error instanceof ModelError) throw error
    throw new ModelError(dir, 'no such directory')
  }
  const config = await readModelConfig(dir)
  const networks: tf.LayersModel[] = []
  let frontEnd: FrontEnd
  try {
    const first = await loadNetwork(dir, undefined, config)
    networks.push(first.model)
    for (const member of config.members ?? []) {
      const next = await loadNetwork(dir, member, config)
      networks.push(next.model)
      if (JSON.stringify(next.shapes) !== JSON.stringify(first.shapes)) {
        throw new ModelError(dir, `member ${member} gives outputs of shape ${JSON.stringify(next.shapes)} per step, the top-level network ${JSON.stringify(first.shapes)}`)
      }
    }
    // Last, so that a load that fails leaves nothing behind: the front end keeps its weights for the next load.
    frontEnd = await openFrontEnd(config.features, dir, options)
  } catch (error) {
    for (const model of networks) model.dispose()
    throw error
  }
  return {dir, model: networks[0], networks, config, frontEnd}
}

/**
 * One network of a model directory (the top-level one, or a member's
 * subfolder), checked against the preset. A member may read fewer features
 * per frame than the preset when the front end is a log spectrogram: it then
 * reads the lowest bins (a band-limited network in a full-band ensemble; see
 * networkBins).
 */
async function loadNetwork(dir: string, member: string | undefined, config: ModelConfig): Promise<{model: tf.LayersModel; shapes: number[][]}> {
  const {preset} = config
  const where = member === undefined ? dir : join(dir, member)
  const named = (problem: string): string => (member === undefined ? problem : `member ${member}: ${problem}`)
  try {
    await stat(join(where, MODEL_JSON))
  } catch {
    throw new ModelError(dir, named(`no ${MODEL_JSON}`))
  }
  // Its ModelErrors name the member's own folder.
  const model = await loadModel(where, {fused: true})
  const width = networkBins(model)
  const fits = width === preset.features || (member !== undefined && !isSpeechEmbedding(config.features) && config.features.transform.kind === 'log10' && width !== undefined && width < preset.features)
  if (!fits) {
    model.dispose()
    throw new ModelError(dir, named(`the network takes ${width} features per frame but rnn-wake.json says ${preset.features}`))
  }
  const checked = checkNetwork(model, {...preset, features: width})
  if (typeof checked === 'string') {
    model.dispose()
    throw new ModelError(dir, named(checked))
  }
  return {model, shapes: checked}
}

/** Features per frame a network reads (the last dimension of its input). */
export function networkBins(model: tf.LayersModel): number | undefined {
  const shape = model.inputs[0].shape
  return shape[shape.length - 1] ?? undefined
}

/** Save network and description together (each file atomically; see saveModel for the order). */
export async function saveDetector(dir: string, model: tf.LayersModel, config: ModelConfig, options: {includeOptimizer?: boolean} = {}): Promise<void> {
  await saveModel(model, dir, options)
  await writeModelConfig(dir, config)
}

/**
 * Outputs are timed by the preset's conv kernel and stride (detect, listen),
 * so the network must shorten time exactly as the preset says, or an edited
 * model.json would put every trigger at the wrong time without a word. And it
 * must run: tfjs builds some configs it cannot execute (a GRU returning its
 * state), which would otherwise fail later, inside detect, with a stack trace.
 * The step count is checked by arithmetic first, so a preset claiming a huge
 * kernel or stride allocates nothing; the trial run covers one receptive
 * field, no more values than the conv's own weights. Returns the problem, or
 * the shapes of the outputs for one step.
 */
function checkNetwork(model: tf.LayersModel, preset: ModelPreset): string | number[][] {
  const {kernelSize, strides} = preset.conv
  const frames = kernelSize + 10 * strides
  let steps: number | null | undefined
  try {
    const shape = model.computeOutputShape([1, frames, preset.features])
    steps = (Array.isArray(shape[0]) ? shape[0] : shape)[1] as number | null
  } catch {
    steps = undefined
  }
  if (steps !== outputSteps(preset, frames)) {
    return `the network gives ${steps ?? 'no'} output steps for ${frames} frames but rnn-wake.json's preset gives ${outputSteps(preset, frames)} (kernel ${kernelSize}, stride ${strides})`
  }
  let outputs: tf.Tensor[]
  try {
    const y = tf.tidy(() => model.predict(tf.zeros([1, kernelSize, preset.features])))
    outputs = Array.isArray(y) ? y : [y]
  } catch (error) {
    return `the network does not run: ${describeError(error).replace(/\s+/g, ' ').slice(0, 200)}`
  }
  const shapes = outputs.map((t) => t.shape)
  tf.dispose(outputs)
  // The trigger probability first; a CTC head, when there is one, has a row of classes per step.
  if (shapes[0].join() !== '1,1,1' || shapes.some((shape) => shape.length !== 3 || shape[0] !== 1 || shape[1] !== 1)) {
    return `the network gives outputs of shape ${JSON.stringify(shapes).slice(0, 80)} for one step, not a probability per step`
  }
  return shapes
}
