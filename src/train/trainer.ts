import {readFileSync} from 'node:fs'
import {readdir, stat, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import * as tf from '@tensorflow/tfjs'

import {type TokenDecoder, describeDecoder} from '../ctc/decode.js'
import {type TokenUnit, type Vocabulary, encodeTranscript, inVocabulary, vocabularyFromDataset} from '../dataset/phrases.js'
import {deriveRng, shuffled} from '../dataset/rng.js'
import type {AugmentName} from '../features/augment.js'
import type {FeatureConfig} from '../features/featurize.js'
import {buildModel} from '../model/build.js'
import {CONFIG_FORMAT, CONFIG_VERSION, type ModelConfig, outputStepSeconds, readModelConfig, spectrogramFeatures} from '../model/config.js'
import {isSpeechEmbedding} from '../features/front-end.js'
import {copyEncoder, freezeEncoder, weightShapes} from '../model/encoder.js'
import {loadDetector, networkBins, saveDetector} from '../model/model-dir.js'
import {type ModelPreset} from '../model/presets.js'
import {type TriggerParams} from '../stream/trigger.js'
import {writeDirAtomic} from '../util/atomic.js'
import {UserError} from '../util/errors.js'
import {packageRoot} from '../util/paths.js'
import {STATE_FILE, type TrainState, acquireLock, newState, readOptimizerState, readState, writeOptimizerState} from './checkpoint.js'
import {type ResolvedCorpus, corpusSize} from './corpus.js'
import {type EpochRecord, trainingCurvePng} from './curve.js'
import {type ExampleMaker, type ExampleRequest, createExampleMaker} from './example-maker.js'
import {type TrainExample, presetGeometry} from './examples.js'
import {type Stepper, type TokenTargets, createStepper} from './parallel.js'
import {alignmentTargets} from './token-targets.js'
import {chooseTrigger, validate} from './validate.js'
import {formatEpochLine} from './epoch-log.js'

/**
 * The training loop: data -> model -> per-step binary cross-entropy -> Adam
 * step, validation with event-level numbers after every epoch, and the whole
 * model directory rewritten atomically as a checkpoint after every epoch.
 *
 * With a CTC weight W > 0 the network gets a token head beside the trigger
 * head (src/model/build.ts) and the loss is BCE(trigger) + W * CTC(tokens):
 * the CTC term is each example's -log p(transcript) divided by its output
 * steps (a per-step mean like the BCE, so W weighs two quantities of the same
 * scale whatever the crop length), averaged over the batch. The target of a
 * crop is the words it holds completely (examples.ts, wordsInside).
 */

export const CURVE_FILE = 'training-curve.png'

export interface TrainOptions {
  out: string
  word: string
  preset: ModelPreset
  features: FeatureConfig
  corpus: ResolvedCorpus
  /** Total epochs (on --resume: including those already done). */
  epochs: number
  batch: number
  lr: number
  /** Learning rate multiplier per epoch: epoch e trains at lr * lrDecay^(e - 1). */
  lrDecay: number
  /** Probability that a crop is placed around a trigger's labels (when the example has one). */
  cropAroundLabels: number
  /** Weight of the positive class in the cross-entropy (1: plain BCE). */
  classWeight: number
  seed: number
  /** Examples per epoch when synthesizing on the fly (a dataset uses all of its training examples). */
  epochSize: number
  /** Spectrogram frames per training crop; null: whole examples. */
  cropFrames: number | null
  /** Validation examples to synthesize (clip corpora only). */
  valCount: number
  /**
   * Validate (and choose the threshold) after every this many epochs, and
   * after the last; default 1. Validation never changes the weights, so any
   * value trains the same model; it only saves the time (96 whole examples
   * cost a third of a 640-crop epoch of the default preset).
   */
  valEvery?: number
  workers: number
  /** Threads computing each step's gradients, data-parallel (parallel.ts); default 1. */
  threads?: number
  resume: boolean
  /** Replace a directory that already holds a model. */
  force: boolean
  /** False accepts per hour the threshold is chosen to stay within on validation. */
  targetFaPerHour: number
  /** The highest validation miss rate the threshold may accept (see chooseThreshold). */
  maxFrr: number
  /** Keep Adam's state in the final directory, so a finished run can be resumed with more --epochs. */
  keepOptimizer: boolean
  /**
   * Weight of the CTC loss of a token head; 0: no token head (the trigger
   * head alone, as before). Default 0; on --resume, the weight the run was
   * started with (a token head cannot be added to a trained model).
   */
  ctcWeight?: number
  /**
   * Weight of the negative steps just after each word that is not the
   * trigger (where a confused detector would fire); default 1.
   */
  hardNegativeWeight?: number
  /** Token units of the vocabulary: whole words (default) or characters. */
  ctcUnit?: TokenUnit
  /**
   * The words the token head transcribes (e.g. the trigger and the command
   * words); default: every word the data can hold. Other words are left out
   * of the targets, so the head learns to stay silent on them.
   */
  ctcVocabulary?: string[]
  /**
   * Weight of the per-step cross-entropy against word-end alignments
   * (token-targets.ts) beside the CTC loss; 0: CTC alone. Default 1.
   */
  ctcAlignWeight?: number
  /** Voice and channel augmentations of the training examples (src/features/augment.ts); default none. */
  augment?: AugmentName[]
  /**
   * Start from the weights of a trained model directory (same preset, front
   * end and heads) instead of random ones; `initMember` picks a network of an
   * ensemble (1 = the top-level one).
   */
  initFrom?: string
  initMember?: number
  /**
   * Start the encoder (Conv1D, GRUs and their BatchNorms) from this model
   * directory, a pretrained speech encoder such as models/encoder (same preset
   * and front end); the heads start afresh.
   */
  from?: string
  /** With `from`: train only the heads, the encoder stays as pretrained. On --resume: the run's own. */
  freeze?: boolean
  /**
   * Stop (validate and save as finished) once training steps used this many
   * CPU seconds (all threads, examples included; validation excluded): a
   * budget that means the same on a busy machine as on an idle one.
   */
  budgetCpuSec?: number
  backend: string
  signal?: AbortSignal
  log: (line: string) => void
  onStep?: (info: {epoch: number; done: number; total: number; loss: number; examplesPerSec: number}) => void
  onEpochStart?: (epoch: number, total: number) => void
  onEpochEnd?: () => void
}

export type {TrainState} from './checkpoint.js'

export interface TrainResult {
  out: string
  state: TrainState
  config: ModelConfig
  peakRssMiB: number
}

/** The course's refractory period (75 steps of stride 4, ~545 ms), at any stride. */
export function refractorySteps(preset: ModelPreset): number {
  return Math.round((75 * 4) / preset.conv.strides)
}

/**
 * How long after a word's end its alignment target lasts. Short, like the
 * spikes CTC converges to: with 0.15 s spans the head's posteriors stayed
 * high over many steps with dips to blank, and decoding read one word as
 * several (bench/RESULTS.md, ctc section).
 */
const ALIGN_SPAN_SEC = 0.045

/** The token head's targets for one example: the words the vocabulary spells, as ids, and their alignment. */
function tokenTargets(example: TrainExample, vocabulary: Vocabulary, alignSpan: number): TokenTargets {
  const words = example.transcript ?? []
  const keep = words.map((w) => inVocabulary(w, vocabulary))
  const transcript = words.filter((_, i) => keep[i])
  const ends = example.wordEndSteps?.filter((_, i) => keep[i])
  const silent = example.wordEndSteps?.filter((_, i) => !keep[i]) ?? []
  const starts = example.wordStartSteps?.filter((_, i) => keep[i])
  const align = alignmentTargets(transcript, ends, vocabulary, example.labels.length, alignSpan, silent, starts)
  return {ids: encodeTranscript(transcript, vocabulary), ...(align ? {align} : {})}
}

/** Whether a saved model has this run's network shape (whatever its preset is called) and front end, so its weights fit. */
function sameNetwork(config: Pick<ModelConfig, 'preset' | 'features'>, preset: ModelPreset, features: FeatureConfig): boolean {
  return JSON.stringify({...config.preset, name: ''}) === JSON.stringify({...preset, name: ''}) && JSON.stringify(config.features) === JSON.stringify(features)
}

/** Start `model`'s encoder layers from the encoder model in `dir` (see TrainOptions.from). */
async function encoderWeights(model: tf.LayersModel, dir: string, preset: ModelPreset, features: FeatureConfig, log: (line: string) => void): Promise<void> {
  const detector = await loadDetector(dir)
  try {
    if (!sameNetwork(detector.config, preset, features)) {
      throw new UserError(`--from ${dir}: its network or front end differs from this run's (the run must take the encoder's preset and features)`, 'usage')
    }
    let copied: string[]
    try {
      copied = copyEncoder(model, detector.networks[0])
    } catch (error) {
      throw new UserError(`--from ${dir}: ${(error as Error).message}`, 'usage')
    }
    log(`Encoder from ${dir} (${copied.join(', ')}); heads start afresh`)
  } finally {
    for (const network of detector.networks) network.dispose()
  }
}

/** Copy a trained model's weights into `model` (see TrainOptions.initFrom); refuses another network shape or front end. */
async function initWeights(model: tf.LayersModel, dir: string, member: number, preset: ModelPreset, features: FeatureConfig, log: (line: string) => void): Promise<void> {
  const detector = await loadDetector(dir)
  try {
    const source = detector.networks[member - 1]
    if (source === undefined) throw new UserError(`--init-member ${member}: ${dir} has ${detector.networks.length} network(s)`, 'usage')
    if (!sameNetwork(detector.config, preset, features)) {
      const {preset: p, features: f} = detector.config
      throw new UserError(`--init-from ${dir}: its network or front end differs from this run's (${p.name}, ${isSpeechEmbedding(f) ? 'speech-embedding' : f.transform.kind} features); give the same --preset and --features`, 'usage')
    }
    const bins = networkBins(source)
    if (bins !== preset.features) {
      throw new UserError(`--init-member ${member}: that network of ${dir} reads the lowest ${bins} bins (a band-limited member of a mixed ensemble), this run ${preset.features}; start from a network with the model's own front end`, 'usage')
    }
    const weights = source.getWeights()
    if (weightShapes(weights) !== weightShapes(model.getWeights())) throw new UserError(`--init-from ${dir}: its heads differ from this run's (a CTC head with another vocabulary, or none)`, 'usage')
    model.setWeights(weights)
    log(`Starting from the weights of ${dir}${detector.networks.length > 1 ? ` (network ${member} of ${detector.networks.length})` : ''}`)
  } finally {
    for (const network of detector.networks) network.dispose()
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
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
    let preset = options.preset
    let features = options.features
    let model: tf.LayersModel
    let state: TrainState
    let vocabulary: Vocabulary | undefined
    let resumedDecoder: TokenDecoder | undefined
    let ctcWeight = options.ctcWeight ?? 0
    let ctcAlignWeight = options.ctcAlignWeight ?? 1
    const threads = options.threads ?? 1
    const valEvery = options.valEvery ?? 1
    if (!(Number.isInteger(valEvery) && valEvery >= 1)) throw new UserError(`--val-every must be a whole number of epochs >= 1, not ${valEvery}`, 'usage')
    const hardNegativeWeight = options.hardNegativeWeight ?? 1
    let augment = options.augment ?? []
    if (!(ctcAlignWeight >= 0 && Number.isFinite(ctcAlignWeight))) throw new UserError(`--ctc-align-weight must be a number >= 0, not ${ctcAlignWeight}`, 'usage')
    if (!(ctcWeight >= 0 && Number.isFinite(ctcWeight))) throw new UserError(`--ctc-weight must be a number >= 0, not ${ctcWeight}`, 'usage')
    const optimizer = tf.train.adam(options.lr)
    const hasModel = await exists(join(out, 'model.json'))
    if (options.resume) {
      if (!hasModel) throw new UserError(`Cannot resume: ${out} holds no model (start without --resume)`, 'badModel')
      // loadDetector, not the bare loadModel: the checkpoint gets the same checks as a model given to detect
      // (config matches the network, weights finite, a trial prediction runs).
      const detector = await loadDetector(out)
      const config = detector.config
      if (detector.networks.length > 1) {
        for (const network of detector.networks) network.dispose()
        throw new UserError(`Cannot resume ${out}: it is an ensemble of ${detector.networks.length} networks (rnn-wake ensemble); train each network on its own and combine them again`, 'usage')
      }
      state = await readState(out)
      preset = config.preset
      features = spectrogramFeatures(config, out, 'resuming with the spectrogram recipe')
      model = detector.model
      vocabulary = config.vocabulary && {unit: config.vocabulary.unit, tokens: config.vocabulary.tokens}
      resumedDecoder = config.vocabulary?.decoder
      // Without --ctc-weight a resumed run keeps the weight it was started with.
      ctcWeight = options.ctcWeight ?? (vocabulary ? Number(state.settings.ctcWeight ?? 0) : 0)
      // Runs saved before the alignment term existed trained on CTC alone.
      ctcAlignWeight = options.ctcAlignWeight ?? Number(state.settings.ctcAlignWeight ?? 0)
      augment = options.augment ?? ((state.settings.augment as AugmentName[] | undefined) ?? [])
      if (ctcWeight > 0 && !vocabulary) throw new UserError(`Cannot resume ${out} with --ctc-weight ${ctcWeight}: it was trained without a token head (start a new run to add one)`, 'usage')
    } else {
      if (hasModel && !options.force) throw new UserError(`${out} already holds a model: pass --resume to continue training it or --force to replace it`, 'output')
      if (!hasModel && (await exists(out)) && !options.force) {
        if ((await readdir(out)).length > 0) throw new UserError(`Cannot write ${out}: the folder exists and is not empty; choose another --out`, 'output')
      }
      if (ctcWeight > 0) {
        const words = options.ctcVocabulary ?? options.corpus.words
        const unknown = options.ctcVocabulary?.filter((w) => !options.corpus.words.includes(w)) ?? []
        if (unknown.length > 0) throw new UserError(`--ctc-vocabulary: the training data never says ${unknown.map((w) => `"${w}"`).join(', ')} (it says ${options.corpus.words.slice(0, 12).join(', ')}${options.corpus.words.length > 12 ? ', ...' : ''})`, 'usage')
        vocabulary = vocabularyFromDataset({entries: [{transcript: words}], info: {words: words.map((word) => ({word}))}}, options.ctcUnit ?? 'word')
        if (vocabulary.tokens.length === 0) throw new UserError('--ctc-weight needs words to learn, and the training data names none', 'usage')
        options.log(`Token head: ${vocabulary.tokens.length} ${vocabulary.unit} tokens + blank (${vocabulary.tokens.map((t) => JSON.stringify(t)).join(' ')}), CTC weight ${ctcWeight}`)
      }
      model = buildModel(preset, {fused: true, ctcTokens: vocabulary?.tokens.length ?? 0, seed: options.seed})
      if (options.initFrom !== undefined) await initWeights(model, options.initFrom, options.initMember ?? 1, preset, features, options.log)
      if (options.from !== undefined) await encoderWeights(model, options.from, preset, features, options.log)
      state = newState()
    }
    const from = options.resume ? (state.settings.from as string | undefined) : options.from
    const freeze = options.resume ? options.freeze ?? state.settings.freeze === true : options.freeze === true
    if (freeze && from === undefined) throw new UserError('--freeze keeps a pretrained encoder as it is: give --from DIR (e.g. models/encoder)', 'usage')
    if (freeze) options.log(`Encoder frozen: training only the heads (${freezeEncoder(model).length} layers kept)`)
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
    if (options.resume) {
      const restored = await readOptimizerState(out, optimizer, variables)
      options.log(
        restored
          ? `Resuming ${out} after epoch ${state.epoch} (Adam state restored, ${optimizer.iterations} steps)`
          : `Resuming ${out} after epoch ${state.epoch}; it was saved without optimizer state, so Adam starts afresh`,
      )
    }

    state.finished = false
    state.settings = {
      batch: options.batch,
      lr: options.lr,
      lrDecay: options.lrDecay,
      cropAroundLabels: options.cropAroundLabels,
      classWeight: options.classWeight,
      seed: options.seed,
      epochSize: options.epochSize,
      cropFrames: options.cropFrames,
      valCount: options.valCount,
      valEvery,
      targetFaPerHour: options.targetFaPerHour,
      maxFrr: options.maxFrr,
      threads,
      hardNegativeWeight,
      augment,
      ...(options.initFrom !== undefined ? {initFrom: options.initFrom, initMember: options.initMember ?? 1} : {}),
      ...(from !== undefined ? {from, freeze} : {}),
      ...(vocabulary ? {ctcWeight, ctcUnit: vocabulary.unit, ctcAlignWeight} : {}),
    }
    const geometry = presetGeometry(preset, features)
    const stepSec = outputStepSeconds({features, preset})
    const trigger: TriggerParams = {threshold: 0.5, minSteps: 1, refractorySteps: refractorySteps(preset)}
    const ctcOn = vocabulary !== undefined && ctcWeight > 0
    const alignSpan = Math.max(1, Math.round(ALIGN_SPAN_SEC / stepSec))
    stepper = await createStepper({
      model,
      optimizer,
      loss: {classWeight: options.classWeight, hardNegativeWeight, ...(ctcOn ? {ctc: {weight: ctcWeight, blank: vocabulary!.tokens.length, alignWeight: ctcAlignWeight}} : {})},
      threads,
      preset,
      ctcTokens: vocabulary?.tokens.length ?? 0,
      backend: options.backend,
    })
    maker = createExampleMaker({corpora: {train: options.corpus.train, val: options.corpus.val}, preset, features, geometry, augment}, options.workers)

    const valSize = corpusSize(options.corpus.val) ?? options.valCount
    options.log(`Making ${valSize} validation examples...`)
    const valExamples = await maker.make(Array.from({length: valSize}, (_, index) => ({corpus: 'val', index, seed: options.seed, crop: {frames: null, aroundLabels: 0}})))
    const trainCount = corpusSize(options.corpus.train)
    const perEpoch = trainCount ?? options.epochSize
    const crop = {frames: options.cropFrames, aroundLabels: options.cropAroundLabels}
    const fullFrames = valExamples[0]?.frames ?? 5511
    const equivalent = options.cropFrames === null ? 1 : Math.min(1, options.cropFrames / fullFrames)

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
          tx: fullFrames,
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
        if (state.history.length > 0) await writeFile(join(tmp, 'training-curve.png'), trainingCurvePng(state.history))
      })
      return config
    }

    // Epochs between validations keep the last validated choice (a resumed run: the saved one).
    const prior = state.history.at(-1)
    let threshold = prior?.threshold ?? 0.5
    let thresholdRule = 'default'
    let minSteps = prior?.minSteps ?? 1
    let stopped: 'signal' | 'budget' | undefined
    const cpuStart = process.cpuUsage()
    const cpuBefore = state.cpuSeconds
    for (let epoch = state.epoch + 1; epoch <= options.epochs && stopped === undefined; epoch++) {
      const rng = deriveRng('rnn-wake/train-order', options.seed, epoch)
      const indices = Array.from({length: perEpoch}, (_, i) => i)
      const order = trainCount === null ? indices : shuffled(indices, rng)
      const seed = options.seed * 100_003 + epoch
      // Adam reads its learningRate field on every step; a per-epoch schedule only needs to set it.
      ;(optimizer as unknown as {learningRate: number}).learningRate = options.lr * options.lrDecay ** (epoch - 1)
      const requests = (b: number): ExampleRequest[] => order.slice(b * options.batch, (b + 1) * options.batch).map((index) => ({corpus: 'train', index, seed, crop, augment: true}))
      const batches = Math.ceil(perEpoch / options.batch)
      options.onEpochStart?.(epoch, batches * options.batch)
      let next = maker.make(requests(0))
      let lossSum = 0
      let ctcSum = 0
      let done = 0
      const started = performance.now()
      const cpuEpoch = process.cpuUsage()
      const trainCpu = (): number => {
        const u = process.cpuUsage(cpuEpoch)
        return (u.user + u.system) / 1e6
      }
      for (let b = 0; b < batches; b++) {
        const examples = await next
        if (b + 1 < batches) next = maker.make(requests(b + 1))
        const targets = ctcOn ? examples.map((e) => tokenTargets(e, vocabulary!, alignSpan)) : undefined
        // Dropout masks keyed like the examples (seed, epoch, batch), so a resumed run draws the ones a straight run would.
        const dropoutSeed = deriveRng('rnn-wake/dropout', options.seed, epoch, b).int(2 ** 31)
        const {loss: value, ctcLoss: ctcValue} = await stepper.step(examples, targets, dropoutSeed)
        if (ctcValue !== undefined) ctcSum += ctcValue * examples.length
        if (!Number.isFinite(value)) throw new UserError(`Training diverged at epoch ${epoch} (loss ${value}); try a lower --lr`, 'internal')
        lossSum += value * examples.length
        done += examples.length
        const elapsed = (performance.now() - started) / 1000
        options.onStep?.({epoch, done, total: batches * options.batch, loss: lossSum / done, examplesPerSec: (done / elapsed) * equivalent})
        if (options.signal?.aborted) {
          stopped = 'signal'
          break
        }
        if (options.budgetCpuSec !== undefined && (state.trainCpuSeconds ?? 0) + trainCpu() >= options.budgetCpuSec) {
          stopped = 'budget'
          break
        }
      }
      // A pending prefetch must finish before the workers close; its examples are simply dropped.
      await next.catch(() => undefined)
      options.onEpochEnd?.()
      const seconds = (performance.now() - started) / 1000
      state.trainSeconds += seconds
      state.trainCpuSeconds = (state.trainCpuSeconds ?? 0) + trainCpu()
      state.examplesSeen += done
      state.cpuSeconds = cpuBefore + process.cpuUsage(cpuStart).user / 1e6 + process.cpuUsage(cpuStart).system / 1e6
      if (stopped === 'signal') break
      state.epoch = epoch
      const last = stopped === 'budget' || epoch === options.epochs
      const loss = lossSum / Math.max(1, done)
      const ctcLoss = ctcOn ? ctcSum / Math.max(1, done) : undefined
      const trained = `epoch ${epoch}/${options.epochs}: loss ${loss.toFixed(4)}, ${((done / seconds) * equivalent).toFixed(2)} ex/s (10 s-equivalent)`
      const ctcText = ctcLoss === undefined ? '' : `; CTC loss ${ctcLoss.toFixed(4)}/step`
      if (!last && epoch % valEvery !== 0) {
        options.log(`${trained}${ctcText}; validation every ${valEvery} epochs`)
        await save(false, threshold, minSteps)
        continue
      }
      const v = validate(model, valExamples, stepSec, trigger, vocabulary)
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
      const extra = [`${((done / seconds) * equivalent).toFixed(2)} ex/s (10 s-equivalent)`, ctcText.slice(2), v.wer ? `val WER ${(100 * v.wer.rate).toFixed(1)}% (${v.decoder ? describeDecoder(v.decoder) : 'best path'})` : '']
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
