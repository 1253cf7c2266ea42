import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'

import {writeFileAtomic} from '../util/atomic.js'
import {ModelError, describeError} from '../util/errors.js'
import {unsupportedGruConfig} from './gru.js'
// Imported for its side effect too: loading a fused topology needs the class registered.
import './time-distributed.js'

/**
 * Saving and loading a model as a standard TensorFlow.js Layers model:
 * model.json (topology + weights manifest, the format tfjs' own file://
 * handler writes) and one weights.bin. Only @tensorflow/tfjs-node registers
 * a file:// handler, so this one is written here for every backend.
 *
 * Fused layers are saved under their stock class names (FusedGRU -> GRU,
 * FusedTimeDistributed -> TimeDistributed) with the stock config, so the files
 * load into plain tf.layers and convert to Keras (tensorflowjs_converter
 * --input_format=tfjs_layers_model --output_format=keras). Loading with
 * `fused: true` swaps the fused classes back in wherever they apply.
 */

export const MODEL_JSON = 'model.json'
export const WEIGHTS_BIN = 'weights.bin'

/** Key under model.json's userDefinedMetadata; tfjs and Keras tools ignore it. */
const METADATA_KEY = 'rnnWake'

const FUSED_TO_STOCK: Record<string, string> = {FusedGRU: 'GRU', FusedTimeDistributed: 'TimeDistributed'}

export interface SaveOptions {
  /** Also save the optimizer's state (Adam moments), for resuming training. */
  includeOptimizer?: boolean
}

/**
 * Write model.json and weights.bin into `dir`. Each file is replaced
 * atomically, weights first; model.json records the weights' SHA-256, so a
 * crash between the two renames is reported on load instead of silently
 * pairing a topology with other weights. Callers that keep more files in the
 * directory and want all of them to change together (a training checkpoint)
 * build the whole directory with writeDirAtomic.
 */
export async function saveModel(model: tf.LayersModel, dir: string, options: SaveOptions = {}): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)))
      const json: tf.io.ModelJSON = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: toStockTopology(artifacts.modelTopology ?? {}),
        weightsManifest: [{paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? []}],
        userDefinedMetadata: {
          ...artifacts.userDefinedMetadata,
          [METADATA_KEY]: {weightsSha256: sha256(weights), weightsBytes: weights.byteLength},
        },
      }
      if (artifacts.trainingConfig !== undefined) json.trainingConfig = artifacts.trainingConfig
      await writeFileAtomic(join(dir, WEIGHTS_BIN), weights)
      await writeFileAtomic(join(dir, MODEL_JSON), `${JSON.stringify(json)}\n`)
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(json.modelTopology).length,
          weightSpecsBytes: JSON.stringify(json.weightsManifest).length,
          weightDataBytes: weights.byteLength,
        },
      }
    }),
    {includeOptimizer: options.includeOptimizer ?? false},
  )
}

export interface LoadOptions {
  /** Swap in FusedGRU / FusedTimeDistributed (default) or keep stock tf.layers. */
  fused?: boolean
}

/**
 * Load a model saved by {@link saveModel} (or any single-directory tfjs Layers
 * model). Problems with the directory are ModelErrors naming what is wrong.
 */
export async function loadModel(dir: string, options: LoadOptions = {}): Promise<tf.LayersModel> {
  const fused = options.fused ?? true
  const json = await readModelJson(dir)
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => readWeights(dir, json, manifest))
  const topology = artifacts.modelTopology as object
  artifacts.modelTopology = fused ? toFusedTopology(topology) : toStockTopology(topology)
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts))
  } catch (error) {
    throw new ModelError(dir, `${MODEL_JSON} does not describe a loadable model: ${describeError(error)}`)
  }
}

async function readModelJson(dir: string): Promise<tf.io.ModelJSON> {
  const path = join(dir, MODEL_JSON)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const missing = (error as {code?: string}).code === 'ENOENT'
    throw new ModelError(dir, missing ? `${MODEL_JSON} not found` : `cannot read ${MODEL_JSON}: ${describeError(error)}`)
  }

  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ModelError(dir, `${MODEL_JSON} is not valid JSON (${describeError(error)})`)
  }

  const candidate = json as Partial<tf.io.ModelJSON> | null
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.modelTopology !== 'object') {
    throw new ModelError(dir, `${MODEL_JSON} has no modelTopology`)
  }

  if (!Array.isArray(candidate.weightsManifest)) throw new ModelError(dir, `${MODEL_JSON} has no weightsManifest`)
  return candidate as tf.io.ModelJSON
}

async function readWeights(
  dir: string,
  json: tf.io.ModelJSON,
  manifest: tf.io.WeightsManifestConfig,
): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const specs: tf.io.WeightsManifestEntry[] = []
  const parts: Uint8Array[] = []
  for (const group of manifest) {
    specs.push(...group.weights)
    for (const file of group.paths) {
      try {
        parts.push(await readFile(join(dir, file)))
      } catch (error) {
        const missing = (error as {code?: string}).code === 'ENOENT'
        throw new ModelError(dir, missing ? `${file} not found` : `cannot read ${file}: ${describeError(error)}`)
      }
    }
  }

  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    bytes.set(part, offset)
    offset += part.byteLength
  }

  const expected = specs.reduce((n, spec) => n + specBytes(spec), 0)
  if (bytes.byteLength !== expected) {
    throw new ModelError(dir, `weights are ${bytes.byteLength} bytes but ${MODEL_JSON} describes ${expected} (truncated or mismatched files)`)
  }

  const recorded = (json.userDefinedMetadata?.[METADATA_KEY] as {weightsSha256?: string} | undefined)?.weightsSha256
  if (recorded !== undefined && recorded !== sha256(bytes)) {
    throw new ModelError(dir, `${WEIGHTS_BIN} does not match ${MODEL_JSON} (checksum differs: written by another save?)`)
  }

  return [specs, bytes.buffer]
}

const DTYPE_BYTES: Record<string, number> = {float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2}

function specBytes(spec: tf.io.WeightsManifestEntry): number {
  const size = spec.shape.reduce((n, d) => n * d, 1)
  const dtype = spec.quantization?.dtype ?? spec.dtype
  return size * (DTYPE_BYTES[dtype] ?? 4)
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

type Json = {[key: string]: unknown}

/** A copy of a Keras/tfjs topology with every fused class renamed to its stock class. */
export function toStockTopology<T extends object>(topology: T): T {
  return mapLayers(topology, (layer) => FUSED_TO_STOCK[layer.class_name as string])
}

/**
 * A copy with the fused classes swapped in where they compute the same thing:
 * GRUs whose config the fused op supports, and TimeDistributed around Dense
 * (a per-row layer, so one call on [B*T, ...] equals the step loop).
 */
export function toFusedTopology<T extends object>(topology: T): T {
  return mapLayers(topology, (layer) => {
    const config = (layer.config ?? {}) as Json
    if (layer.class_name === 'GRU' && unsupportedGruConfig(config as tf.serialization.ConfigDict) === undefined) {
      return 'FusedGRU'
    }

    const inner = config.layer as Json | undefined
    if (layer.class_name === 'TimeDistributed' && inner?.class_name === 'Dense') return 'FusedTimeDistributed'
    return undefined
  })
}

/** Deep copy, renaming `class_name` where `rename` returns a new one. */
function mapLayers<T>(node: T, rename: (layer: Json) => string | undefined): T {
  if (Array.isArray(node)) return node.map((item) => mapLayers(item, rename)) as T
  if (node === null || typeof node !== 'object') return node
  const out: Json = {}
  for (const [key, value] of Object.entries(node as Json)) out[key] = mapLayers(value, rename)
  if (typeof out.class_name === 'string' && 'config' in out) {
    const renamed = rename(out)
    if (renamed !== undefined) out.class_name = renamed
  }

  return out as T
}
