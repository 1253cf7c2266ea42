// Fuzz target: the model-directory loader (loadDetector: rnn-wake.json through
// readModelConfig, model.json + weights.bin through loadModel). Every case starts
// from a valid tiny model directory and edits its files: JSON edits aimed at the
// fields tfjs trusts (weights manifest, layer sizes, the layer graph), text edits,
// weight-file edits (with the checksum in model.json updated, so they get past it
// into tfjs), and missing or misplaced files.
import {createHash} from 'node:crypto'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import fc from 'fast-check'

import {FuzzFailure, applyByteEdit, applyJsonEdit, applyTextEdit, bounded, byteEditArb, checkRejection, jsonEditArb, maybe, textEditArb} from './fuzz-common.mjs'

/** Where tfjs takes sizes and wiring from, so where a hostile model.json does its damage. */
const MODEL_FOCUS = [
  '^weightsManifest',
  '^weightsManifest\\.0\\.weights\\.\\d+\\.(shape|dtype)',
  '^weightsManifest\\.0\\.paths',
  '^modelTopology\\.config\\.layers\\.\\d+\\.config\\.(units|filters|kernel_size|strides|batch_input_shape|padding|dilation_rate|activation|recurrent_activation|reset_after|use_bias|axis|return_sequences|rate|layer)',
  'inbound_nodes',
  'class_name',
  '^modelTopology\\.config\\.(input_layers|output_layers|layers)$',
  '^userDefinedMetadata',
  '^(format|modelTopology|weightsManifest)$',
]

const CONFIG_FOCUS = ['^preset', '^features', '^trigger', '^vocabulary', '^(format|version|word|training)$', '^preset\\.(features|conv|gruUnits)']

const FILES = ['model.json', 'weights.bin', 'rnn-wake.json']

const jsonFileEditArb = (focus) =>
  fc.oneof(
    {weight: 4, arbitrary: fc.record({kind: fc.constant('json'), edits: fc.array(jsonEditArb(focus), {minLength: 1, maxLength: 3})})},
    {weight: 1, arbitrary: fc.record({kind: fc.constant('text'), edits: fc.array(textEditArb, {minLength: 1, maxLength: 2})})},
  )

const weightsEditArb = fc.oneof(
  fc.record({kind: fc.constant('bytes'), edits: fc.array(byteEditArb, {minLength: 1, maxLength: 3}), rehash: fc.boolean()}),
  fc.record({kind: fc.constant('values'), value: fc.constantFrom(NaN, Infinity, -Infinity, 3e38, -3e38), count: fc.integer({min: 1, max: 50}), at: fc.nat(), rehash: fc.constant(true)}),
)

export const modelCaseArb = fc.oneof(
  {weight: 1, arbitrary: fc.record({kind: fc.constant('valid')})},
  {
    weight: 12,
    arbitrary: fc.record(
      {
        kind: fc.constant('mutated'),
        // Mostly one file at a time, so that edits deep in model.json get past a valid rnn-wake.json.
        modelJson: maybe(jsonFileEditArb(MODEL_FOCUS), 60),
        weights: maybe(weightsEditArb, 30),
        config: maybe(jsonFileEditArb(CONFIG_FOCUS), 25),
        files: maybe(fc.record({file: fc.constantFrom(...FILES, '.'), how: fc.constantFrom('missing', 'directory', 'empty')}), 8),
      },
      {requiredKeys: ['kind']},
    ),
  },
)

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The three files of a case, from the valid ones. */
export function modelCaseFiles(base, c) {
  let modelJson = base.modelJson
  let weights = base.weights
  let config = base.config
  if (c.kind === 'valid') return {modelJson, weights, config}
  if (c.weights) {
    if (c.weights.kind === 'bytes') {
      for (const e of c.weights.edits) weights = applyByteEdit(weights, e)
    } else {
      weights = new Uint8Array(weights)
      const floats = new Float32Array(weights.buffer, 0, weights.length >> 2)
      for (let i = 0; i < c.weights.count; i++) floats[(c.weights.at + i * 7919) % floats.length] = c.weights.value
    }
    if (c.weights.rehash) {
      const json = JSON.parse(modelJson)
      json.userDefinedMetadata.rnnWake = {weightsSha256: sha256(weights), weightsBytes: weights.length}
      modelJson = JSON.stringify(json)
    }
  }
  const edit = (text, e) => {
    if (e.kind === 'text') return e.edits.reduce(applyTextEdit, text)
    return JSON.stringify(e.edits.reduce(applyJsonEdit, JSON.parse(text)))
  }
  if (c.modelJson) modelJson = edit(modelJson, c.modelJson)
  if (c.config) config = edit(config, c.config)
  return {modelJson, weights, config}
}

/**
 * The target. `lib` is the loader under test plus what it takes to make a
 * valid model: {tf, selectBackend, backend, buildModel, TINY, saveDetector,
 * loadDetector, courseFeatures, RAW_FEATURES, COURSE_TRIGGER, outputSteps,
 * ModelError, UserError}. `root` is a scratch folder of its own.
 */
export function modelTarget(lib, {root, ms = 10_000, rssMB = 200} = {}) {
  const baseDir = join(root, 'base')
  const dir = join(root, 'case')
  let base
  return {
    name: 'model directory (loadDetector)',
    /** The valid directory every case starts from (after setup). */
    baseDir,
    arbitrary: modelCaseArb,
    async setup() {
      await lib.selectBackend(lib.backend)
      const model = lib.buildModel(lib.TINY)
      const config = {
        format: 'rnn-wake-model',
        version: 1,
        word: 'activate',
        preset: lib.TINY,
        features: lib.courseFeatures(lib.RAW_FEATURES),
        trigger: lib.COURSE_TRIGGER,
        vocabulary: {unit: 'word', tokens: ['activate', '<other>'], blank: 2},
      }
      await lib.saveDetector(baseDir, model, config)
      model.dispose()
      const [modelJson, weights, configText] = await Promise.all(FILES.map((f) => readFile(join(baseDir, f))))
      base = {modelJson: modelJson.toString('utf8'), weights: new Uint8Array(weights), config: configText.toString('utf8')}
    },
    async teardown() {
      await rm(root, {recursive: true, force: true})
    },
    /** Resolves to 'accepted' or the rejection's message; throws FuzzFailure when the property breaks. */
    async check(c) {
      const files = modelCaseFiles(base, c)
      await rm(dir, {recursive: true, force: true})
      await mkdir(dir, {recursive: true})
      await Promise.all([writeFile(join(dir, 'model.json'), files.modelJson), writeFile(join(dir, 'weights.bin'), files.weights), writeFile(join(dir, 'rnn-wake.json'), files.config)])
      if (c.files) {
        const path = join(dir, c.files.file)
        if (c.files.file === '.') {
          await rm(dir, {recursive: true, force: true})
          if (c.files.how === 'empty') await mkdir(dir)
          else if (c.files.how === 'directory') await writeFile(dir, 'a file where the model directory should be')
        } else {
          await rm(path)
          if (c.files.how === 'directory') await mkdir(path)
          else if (c.files.how === 'empty') await writeFile(path, '')
        }
      }
      const tensorsBefore = lib.tf.memory().numTensors
      const outcome = await bounded(
        async () => {
          let detector
          try {
            detector = await lib.loadDetector(dir)
          } catch (error) {
            const message = checkRejection(error, {UserError: lib.UserError, kind: lib.ModelError, prefix: `Cannot load model ${dir}: `})
            if (c.kind === 'valid') throw new FuzzFailure(`a valid model directory was rejected: ${message}`)
            return message
          }
          try {
            checkUsable(lib, detector)
          } catch (error) {
            if (error instanceof FuzzFailure) throw error
            throw new FuzzFailure(`accepted, but the network does not run: ${error.message}`)
          } finally {
            detector.model.dispose()
          }
          return 'accepted'
        },
        {ms, rssMB, what: 'loadDetector'},
      )
      // Only a rejection must leave nothing behind: what disposing an accepted model
      // frees is tfjs' business (a layer called twice keeps its weights after dispose).
      const leaked = lib.tf.memory().numTensors - tensorsBefore
      if (outcome !== 'accepted' && leaked !== 0) throw new FuzzFailure(`a failed load left ${leaked} tensors behind (${outcome})`)
      return outcome
    },
  }
}

/** An accepted directory must give a network that runs on its own front end's frames, with finite weights. */
function checkUsable(lib, {model, config}) {
  const frames = 40
  const {tf} = lib
  const y = tf.tidy(() => model.predict(tf.zeros([1, frames, config.preset.features])))
  try {
    const want = [1, lib.outputSteps(config.preset, frames), 1]
    if (JSON.stringify(y.shape) !== JSON.stringify(want)) {
      throw new FuzzFailure(`accepted, but the network gives ${JSON.stringify(y.shape)} for ${frames} frames where rnn-wake.json implies ${JSON.stringify(want)}`)
    }
  } finally {
    y.dispose()
  }
  // Huge but finite weights may still overflow to NaN outputs: that is the model's
  // business, not the loader's. Stored NaN or Infinity is corruption the loader must catch.
  for (const w of model.weights) {
    if (w.read().dataSync().some((v) => !Number.isFinite(v))) throw new FuzzFailure(`accepted, but weight ${w.originalName} holds non-finite values`)
  }
}
