import {createHash} from 'node:crypto'
import {readFile, stat} from 'node:fs/promises'
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
  let values = 0
  let artifacts: tf.io.ModelArtifacts
  try {
    artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const [specs, data] = await readWeights(dir, json, manifest)
      values = specs.reduce((n, spec) => n + spec.shape.reduce((m, d) => m * d, 1), 0)
      return [specs, data]
    })
  } catch (error) {
    if (error instanceof ModelError) throw error
    throw new ModelError(dir, `${MODEL_JSON} is not a TensorFlow.js Layers model: ${oneLine(error)}`)
  }
  try {
    checkLayerGraph(dir, artifacts.modelTopology)
    const topology = artifacts.modelTopology as object
    artifacts.modelTopology = fused ? toFusedTopology(topology) : toStockTopology(topology)
  } catch (error) {
    if (error instanceof ModelError) throw error
    // A RangeError from nesting deeper than the stack, or a TypeError from a layer config of the wrong shape.
    throw new ModelError(dir, `${MODEL_JSON} does not describe a loadable model: ${oneLine(error)}`)
  }
  return loadWithinBudget(dir, artifacts, values)
}

/**
 * tfjs creates every variable the topology declares (sized by its `units`,
 * `filters`, `kernel_size`...) before it compares them with the weights, so a
 * model.json claiming 200,000 conv filters made the wasm backend take 1.2 GB
 * (and its heap never shrinks) for a 110 kB weights.bin. A model cannot have
 * more values than its weights file holds, so creating more stops the load
 * before the allocation. Layer.addWeight is where every layer (stock or
 * fused) creates a variable, and Container.loadWeights where tfjs fails when
 * topology and weights disagree, leaving the weights it decoded undisposed;
 * both are wrapped for this one load only, and whatever a failed load made
 * is disposed instead of leaking.
 */
async function loadWithinBudget(dir: string, artifacts: tf.io.ModelArtifacts, values: number): Promise<tf.LayersModel> {
  type AddWeight = (this: tf.layers.Layer, name: string, shape: number[], ...rest: unknown[]) => tf.LayerVariable
  type LoadWeights = (this: tf.LayersModel, weights: tf.NamedTensorMap, strict?: boolean) => void
  const layer = tf.layers.Layer.prototype as unknown as {addWeight: AddWeight}
  const container = ownerOf(tf.LayersModel.prototype, 'loadWeights') as {loadWeights: LoadWeights}
  const {addWeight} = layer
  const {loadWeights} = container
  const created: tf.LayerVariable[] = []
  let used = 0
  layer.addWeight = function (name, shape, ...rest) {
    const size = shape.reduce((n, d) => n * d, 1)
    if (!Number.isSafeInteger(size) || size < 0) throw new ModelError(dir, `${MODEL_JSON}: layer ${brief(this.name)} asks for a weight of shape ${brief(shape)}`)
    used += size
    if (used > values) {
      throw new ModelError(dir, `${MODEL_JSON}: layer ${brief(this.name)} asks for more weights (a ${brief(shape)} ${name}) than the ${values} values in ${WEIGHTS_BIN}`)
    }
    // tidy: when tfjs' own LayerVariable rejects the name, the initial value it made would leak.
    const weight = tf.tidy(() => addWeight.call(this, name, shape, ...rest) as unknown as tf.TensorContainer) as unknown as tf.LayerVariable
    created.push(weight)
    return weight
  }
  container.loadWeights = function (weights, strict) {
    try {
      loadWeights.call(this, weights, strict)
    } catch (error) {
      tf.dispose(Object.values(weights))
      throw error
    }
  }
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts))
  } catch (error) {
    for (const weight of created) weight.dispose()
    if (error instanceof ModelError) throw error
    throw new ModelError(dir, `${MODEL_JSON} does not describe a loadable model: ${oneLine(error)}`)
  } finally {
    layer.addWeight = addWeight
    container.loadWeights = loadWeights
  }
}

/** The object on the prototype chain that defines `key` (so it can be wrapped and put back). */
function ownerOf(proto: object, key: string): object {
  for (let p: object | null = proto; p !== null; p = Object.getPrototypeOf(p)) if (Object.hasOwn(p, key)) return p
  throw new Error(`tfjs has no ${key}`)
}

/**
 * tfjs rebuilds a functional model by retrying every layer call whose inputs
 * do not exist yet until none is left, so a call whose inputs never appear (a
 * cycle, a layer or node that is not there) loops forever. Run the same
 * schedule on names first and name the layer that would never be built.
 *
 * The schedule is only the same if both read the same names, and tfjs does not
 * read the file as written: a layer name that is not a string is camel-cased
 * on the way in (["dropout_2"] became "dropout2", so no call could ever find
 * that layer: a hang), and tfjs files a layer under its list entry's `name`
 * but queues its calls under its config's `name` (or a generated one). So the
 * graph must first be what Keras and tfjs write: every layer named by a
 * string, the same in the entry and the config, no two alike, and every call a
 * list of [layer name, node index, tensor index] inputs. Then a call needs node
 * `i` of its input layer to exist (an InputLayer or a nested model starts with
 * one, every call adds one), as in tf.layers' Container.fromConfig.
 */
function checkLayerGraph(dir: string, topology: unknown): void {
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return
    for (const child of Object.values(node)) visit(child)
    const className = field(node as Json, 'class_name', 'className')
    const layers = (field(node as Json, 'config') as Json | undefined)?.layers
    if ((className === 'Model' || className === 'Functional') && Array.isArray(layers)) {
      const problem = layerGraphProblem(layers)
      if (problem !== undefined) throw new ModelError(dir, `${MODEL_JSON}: ${problem}`)
    }
  }
  visit(topology)
}

/**
 * A key as tfjs reads it: it converts snake_case keys to camelCase, so a
 * file may spell a key either way, and when both are there the later wins.
 */
function field(object: Json, ...spellings: string[]): unknown {
  if (object === null || typeof object !== 'object') return undefined
  const keys = Object.keys(object).filter((k) => spellings.includes(k))
  return keys.length === 0 ? undefined : object[keys.at(-1)!]
}

/** What keeps a functional model's layer list from being rebuilt as tfjs would, or undefined. */
function layerGraphProblem(layers: unknown[]): string | undefined {
  const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v)
  const isIndex = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0
  const created = new Map<string, number>()
  const calls: unknown[][][] = []
  for (const [i, layer] of layers.entries()) {
    const name = isObject(layer) ? layer.name : undefined
    if (name === undefined || name === '') return `layer #${i} has no name`
    if (typeof name !== 'string') return `layer #${i} is named ${brief(name)}, not by a string`
    const configName = (field(layer as Json, 'config') as Json | undefined)?.name
    if (configName === undefined) return `layer ${brief(name)} has no name in its config`
    if (configName !== name) return `layer ${brief(name)} is called ${brief(configName)} in its config`
    if (created.has(name)) return `two layers are named ${brief(name)}`
    created.set(name, i)
    const inbound = field(layer as Json, 'inbound_nodes', 'inboundNodes') ?? []
    const wellFormed =
      Array.isArray(inbound) &&
      inbound.every((call) => Array.isArray(call) && call.every((input) => Array.isArray(input) && typeof input[0] === 'string' && isIndex(input[1]) && isIndex(input[2]) && (input[3] == null || isObject(input[3]))))
    if (!wellFormed) return `layer ${brief(name)} has inbound nodes that are not lists of [layer, node, tensor] inputs`
    calls.push(inbound as unknown[][])
  }
  const startsWithNode = (layer: Json) => ['InputLayer', 'Model', 'Functional', 'Sequential'].includes(field(layer, 'class_name', 'className') as string)
  const nodes = layers.map((layer) => (startsWithNode(layer as Json) ? 1 : 0))
  const ready = (call: unknown[]): boolean =>
    call.every((input) => {
      const [from, node] = input as [string, number]
      return created.has(from) && nodes[created.get(from)!] > node
    })
  let pending = calls.map((list) => [...list])
  while (pending.some((list) => list.length > 0)) {
    let progressed = false
    pending = pending.map((list, i) =>
      list.filter((call) => {
        if (!ready(call)) return true
        progressed = true
        if (call.length > 0) nodes[i]++
        return false
      }),
    )
    if (!progressed) {
      const stuck = pending.findIndex((list) => list.length > 0)
      return `layer ${brief((layers[stuck] as Json).name)} takes an input that no layer ever produces (a cycle, or a missing layer or node)`
    }
  }
  return undefined
}

/** tfjs' messages can run over several lines or quote whole configs; a user needs the gist on one line. */
function oneLine(error: unknown): string {
  const text = describeError(error).replace(/\s+/g, ' ').trim() || (error as Error)?.name || 'unknown error'
  return text.length > 200 ? `${text.slice(0, 200)}...` : text
}

function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 60)}...` : text
}

async function readModelJson(dir: string): Promise<tf.io.ModelJSON> {
  const path = join(dir, MODEL_JSON)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as {code?: string}).code
    throw new ModelError(dir, code === 'ENOENT' ? `${MODEL_JSON} not found` : code === 'EISDIR' ? `${MODEL_JSON} is a folder, not a file` : `cannot read ${MODEL_JSON}: ${oneLine(error)}`)
  }

  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ModelError(dir, `${MODEL_JSON} is not valid JSON (${oneLine(error)})`)
  }

  const candidate = json as Partial<tf.io.ModelJSON> | null
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.modelTopology !== 'object' || candidate.modelTopology === null) {
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
  const {files, specs} = checkManifest(dir, manifest)
  const expected = specs.reduce((n, spec) => n + specBytes(spec), 0)
  // Sizes before contents: a weights file of the wrong size is reported without reading it.
  let found = 0
  for (const file of files) {
    try {
      const st = await stat(join(dir, file))
      if (!st.isFile()) throw new ModelError(dir, `${file} is not a file`)
      found += st.size
    } catch (error) {
      if (error instanceof ModelError) throw error
      const missing = (error as {code?: string}).code === 'ENOENT'
      throw new ModelError(dir, missing ? `${file} not found` : `cannot read ${file}: ${oneLine(error)}`)
    }
  }
  if (found !== expected) {
    throw new ModelError(dir, `weights are ${found} bytes but ${MODEL_JSON} describes ${expected} (truncated or mismatched files)`)
  }

  const bytes = new Uint8Array(expected)
  let offset = 0
  for (const file of files) {
    let part: Uint8Array
    try {
      part = await readFile(join(dir, file))
    } catch (error) {
      throw new ModelError(dir, `cannot read ${file}: ${oneLine(error)}`)
    }
    if (offset + part.byteLength > bytes.byteLength) throw new ModelError(dir, `${file} changed while it was read`)
    bytes.set(part, offset)
    offset += part.byteLength
  }

  const recorded = (json.userDefinedMetadata?.[METADATA_KEY] as {weightsSha256?: string} | undefined)?.weightsSha256
  if (recorded !== undefined && recorded !== sha256(bytes)) {
    throw new ModelError(dir, `${WEIGHTS_BIN} does not match ${MODEL_JSON} (checksum differs: written by another save?)`)
  }

  // NaN or Infinity in a weight makes every output NaN: detect would hear nothing and say nothing.
  offset = 0
  for (const spec of specs) {
    const n = specBytes(spec)
    if (spec.dtype === 'float32' && spec.quantization === undefined && offset % 4 === 0) {
      const floats = new Float32Array(bytes.buffer, offset, n / 4)
      const bad = floats.findIndex((v) => !Number.isFinite(v))
      if (bad >= 0) throw new ModelError(dir, `${WEIGHTS_BIN}: weight ${brief(spec.name)} holds ${floats[bad]} at index ${bad} (a corrupt or diverged model)`)
    }
    offset += n
  }

  return [specs, bytes.buffer]
}

/**
 * The weights manifest checked before tfjs reads it, which it does on trust:
 * a group without a `weights` list was a TypeError, a shape that is not a list
 * of sizes a tfjs error after the weights were decoded, a path such as
 * ../../dev/zero was read forever, and two weights of one name leaked a tensor.
 */
function checkManifest(dir: string, manifest: unknown): {files: string[]; specs: tf.io.WeightsManifestEntry[]} {
  const bad = (problem: string): never => {
    throw new ModelError(dir, `${MODEL_JSON}: weightsManifest${problem}`)
  }
  const files: string[] = []
  const specs: tf.io.WeightsManifestEntry[] = []
  const named = new Map<string, string>()
  if (!Array.isArray(manifest)) bad(' must be a list')
  ;(manifest as unknown[]).forEach((raw, g) => {
    const group = raw as {paths?: unknown; weights?: unknown} | null
    if (group === null || typeof group !== 'object' || !Array.isArray(group.paths) || !Array.isArray(group.weights)) bad(`[${g}] must have lists "paths" and "weights"`)
    for (const path of group!.paths as unknown[]) {
      if (typeof path !== 'string' || !/^[^/\\\x00-\x1f]{1,255}$/.test(path) || path === '.' || path === '..') bad(`[${g}].paths: ${brief(path)} is not a file name in the model directory`)
      files.push(path as string)
    }
    ;(group!.weights as unknown[]).forEach((rawSpec, i) => {
      const spec = rawSpec as Partial<tf.io.WeightsManifestEntry> | null
      const where = `[${g}].weights[${i}]`
      if (spec === null || typeof spec !== 'object' || typeof spec.name !== 'string') bad(`${where} has no name`)
      // tfjs decodes the weights into a map by name: a second weight of the same name replaced the first, whose tensor leaked.
      const first = named.get(spec!.name!)
      if (first !== undefined) bad(`${where}: the name ${brief(spec!.name)} is already used by ${first}`)
      named.set(spec!.name!, where)
      if (!Array.isArray(spec!.shape) || !spec!.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad(`${where} (${brief(spec!.name)}): shape ${brief(spec!.shape)} is not a list of sizes`)
      const quantization = spec!.quantization as {dtype?: unknown} | undefined
      const dtype = quantization === undefined ? spec!.dtype : quantization?.dtype
      if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) bad(`${where} (${brief(spec!.name)}): unsupported dtype ${brief(dtype)}`)
      specs.push(spec as tf.io.WeightsManifestEntry)
    })
  })
  return {files, specs}
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
