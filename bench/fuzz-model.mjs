// Fuzz target: the model-directory loader (loadDetector: rnn-wake.json through
// readModelConfig, model.json + weights.bin through loadModel, and the front end
// through openFrontEnd). Every case starts from a valid model directory and edits
// its files: JSON edits aimed at the fields tfjs trusts (weights manifest, layer
// sizes, the layer graph), text edits, weight-file edits (with the checksum in
// model.json updated, so they get past it into tfjs), and missing or misplaced
// files. Two bases: a tiny spectrogram model built on the spot, and a trained
// speech-embedding model (bench/models/embedding/activate-tts) whose cases also
// edit the front end's own files (weights.json, weights.bin of data/speech-embedding,
// copied to a folder of the case's) and the features block that names them.
import {createHash} from 'node:crypto'
import {cp, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
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

/** The speech embedding's files, in a folder of their own beside the model directory. */
const FRONT_END = 'front-end'
const FRONT_END_FILES = ['weights.json', 'weights.bin']

/** What the front end's loader trusts: the tensor list (names, shapes, packing), the value count and the checksum. */
const FRONT_END_FOCUS = ['^tensors\\.\\d+\\.(name|shape|offset)$', '^tensors\\.\\d+\\.shape\\.\\d+$', '^(format|sha256|floats|tensors)$', '^tensors\\.\\d+$']

/** The features block that names the front end (kind, its weights' sha256, the audio rate) and what must agree with it. */
const EMBEDDING_CONFIG_FOCUS = ['^features', '^features\\.(kind|weights|sampleRate)$', '^preset\\.features$', '^features$']

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

/**
 * Edits of the front end's weights.bin. `rehash` says how far a case gets: 'none' stops at the
 * checksum in weights.json, 'manifest' (that checksum updated) at the one the model was trained on
 * in rnn-wake.json, 'model' (both updated) into the values themselves.
 */
const frontEndBinArb = fc.oneof(
  fc.record({kind: fc.constant('bytes'), edits: fc.array(byteEditArb, {minLength: 1, maxLength: 3}), rehash: fc.constantFrom('none', 'manifest', 'model')}),
  fc.record({kind: fc.constant('values'), value: fc.constantFrom(NaN, Infinity, -Infinity, 3e38, -3e38), count: fc.integer({min: 1, max: 50}), at: fc.nat(), rehash: fc.constantFrom('manifest', 'model')}),
)

export const embeddingCaseArb = fc.oneof(
  {weight: 1, arbitrary: fc.record({kind: fc.constant('valid')})},
  {
    weight: 12,
    arbitrary: fc.record(
      {
        kind: fc.constant('mutated'),
        frontEndJson: maybe(jsonFileEditArb(FRONT_END_FOCUS), 35),
        frontEndBin: maybe(frontEndBinArb, 30),
        config: maybe(jsonFileEditArb(EMBEDDING_CONFIG_FOCUS), 30),
        // Fewer edits of the network's files: the spectrogram base covers them.
        modelJson: maybe(jsonFileEditArb(MODEL_FOCUS), 10),
        weights: maybe(weightsEditArb, 5),
        files: maybe(fc.record({file: fc.constantFrom(...FILES, '.', ...FRONT_END_FILES.map((f) => `${FRONT_END}/${f}`), FRONT_END), how: fc.constantFrom('missing', 'directory', 'empty')}), 10),
      },
      {requiredKeys: ['kind']},
    )
      // A case that edits nothing is the valid one again: spend the runs on edits.
      .filter((c) => Object.values(c).some((v) => v !== undefined && v !== 'mutated')),
  },
)

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex')
}

/** A binary file with its bytes or float32 values edited. */
function editBinary(bytes, e) {
  if (e.kind === 'bytes') return e.edits.reduce(applyByteEdit, bytes)
  const out = new Uint8Array(bytes)
  const floats = new Float32Array(out.buffer, 0, out.length >> 2)
  for (let i = 0; i < e.count; i++) floats[(e.at + i * 7919) % floats.length] = e.value
  return out
}

/** A JSON file with a JSON value edited, or with its text edited. */
function editText(text, e) {
  if (e.kind === 'text') return e.edits.reduce(applyTextEdit, text)
  return JSON.stringify(e.edits.reduce(applyJsonEdit, JSON.parse(text)))
}

/** The files of a case, from the valid ones (the front end's two only with a speech-embedding base). */
export function modelCaseFiles(base, c) {
  let {modelJson, weights, config, frontEndJson, frontEndBin} = base
  if (c.kind === 'valid') return {modelJson, weights, config, frontEndJson, frontEndBin}
  if (c.weights) {
    weights = editBinary(weights, c.weights)
    if (c.weights.rehash) {
      const json = JSON.parse(modelJson)
      json.userDefinedMetadata.rnnWake = {weightsSha256: sha256(weights), weightsBytes: weights.length}
      modelJson = JSON.stringify(json)
    }
  }
  if (c.frontEndBin) {
    frontEndBin = editBinary(frontEndBin, c.frontEndBin)
    const hash = sha256(frontEndBin)
    if (c.frontEndBin.rehash !== 'none') frontEndJson = JSON.stringify({...JSON.parse(frontEndJson), sha256: hash})
    if (c.frontEndBin.rehash === 'model') {
      const json = JSON.parse(config)
      config = JSON.stringify({...json, features: {...json.features, weights: hash}})
    }
  }
  if (c.modelJson) modelJson = editText(modelJson, c.modelJson)
  if (c.config) config = editText(config, c.config)
  if (c.frontEndJson) frontEndJson = editText(frontEndJson, c.frontEndJson)
  return {modelJson, weights, config, frontEndJson, frontEndBin}
}

/**
 * The target. `lib` is the loader under test plus what it takes to make a
 * valid model: {tf, selectBackend, backend, buildModel, TINY, saveDetector,
 * loadDetector, courseFeatures, RAW_FEATURES, COURSE_TRIGGER, outputSteps,
 * ModelError, UserError}. `root` is a scratch folder of its own. With
 * `embedding: {model, weights}` (a speech-embedding model directory and the
 * folder of the front end's weights) the cases start from copies of those
 * instead, and loadDetector is pointed at the case's copy of the weights.
 */
export function modelTarget(lib, {root, ms = 10_000, rssMB = 200, embedding} = {}) {
  const baseDir = join(root, 'base')
  const dir = join(root, 'case')
  const frontEndDir = join(root, FRONT_END)
  let base
  return {
    name: embedding ? 'speech-embedding model directory and front end (loadDetector)' : 'model directory (loadDetector)',
    /** The valid directory every case starts from (after setup). */
    baseDir,
    arbitrary: embedding ? embeddingCaseArb : modelCaseArb,
    async setup() {
      await lib.selectBackend(lib.backend)
      if (embedding) {
        await cp(embedding.model, baseDir, {recursive: true})
      } else {
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
      }
      const [modelJson, weights, configText] = await Promise.all(FILES.map((f) => readFile(join(baseDir, f))))
      base = {modelJson: modelJson.toString('utf8'), weights: new Uint8Array(weights), config: configText.toString('utf8')}
      if (embedding) {
        const [json, bin] = await Promise.all(FRONT_END_FILES.map((f) => readFile(join(embedding.weights, f))))
        Object.assign(base, {frontEndJson: json.toString('utf8'), frontEndBin: new Uint8Array(bin)})
      }
    },
    async teardown() {
      await rm(root, {recursive: true, force: true})
    },
    /** Resolves to 'accepted' or the rejection's message; throws FuzzFailure when the property breaks. */
    async check(c) {
      const files = modelCaseFiles(base, c)
      await Promise.all([rm(dir, {recursive: true, force: true}), rm(frontEndDir, {recursive: true, force: true})])
      await mkdir(dir, {recursive: true})
      await Promise.all([writeFile(join(dir, 'model.json'), files.modelJson), writeFile(join(dir, 'weights.bin'), files.weights), writeFile(join(dir, 'rnn-wake.json'), files.config)])
      if (embedding) {
        await mkdir(frontEndDir, {recursive: true})
        await Promise.all([writeFile(join(frontEndDir, 'weights.json'), files.frontEndJson), writeFile(join(frontEndDir, 'weights.bin'), files.frontEndBin)])
      }
      if (c.files) {
        // Paths are relative to the model directory, except the front end's (which start with its folder's name).
        const whole = c.files.file === '.' ? dir : c.files.file === FRONT_END ? frontEndDir : undefined
        if (whole !== undefined) {
          await rm(whole, {recursive: true, force: true})
          if (c.files.how === 'empty') await mkdir(whole)
          else if (c.files.how === 'directory') await writeFile(whole, 'a file where a folder should be')
        } else {
          const path = c.files.file.startsWith(`${FRONT_END}/`) ? join(root, c.files.file) : join(dir, c.files.file)
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
            detector = embedding ? await lib.loadDetector(dir, {speechEmbeddingDir: frontEndDir}) : await lib.loadDetector(dir)
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
function checkUsable(lib, {model, config, frontEnd}) {
  const frames = 40
  const {tf} = lib
  if (config.features.kind === 'speech-embedding') {
    // The front end runs too: its weights are part of the model. Half a second of a tone at the model's own rate.
    const samples = new Float64Array(Math.round(config.features.sampleRate / 2)).map((_, i) => 3000 * Math.sin(i * 0.05))
    const tensorsBefore = tf.memory().numTensors
    let out
    try {
      out = frontEnd.featurize(samples)
    } catch (error) {
      throw new FuzzFailure(`accepted, but the front end does not run: ${error.message}`)
    }
    if (out.bins !== config.preset.features || out.frames < 1 || out.data.length !== out.frames * out.bins) {
      throw new FuzzFailure(`accepted, but the front end gives ${out.frames} frames of ${out.bins} values (${out.data.length} in all) for 0.5 s where rnn-wake.json implies frames of ${config.preset.features}`)
    }
    const leaked = tf.memory().numTensors - tensorsBefore
    if (leaked !== 0) throw new FuzzFailure(`accepted, but the front end left ${leaked} tensors behind per clip`)
  }
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
