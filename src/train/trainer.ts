import {readFileSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import * as tf from '@tensorflow/tfjs'

import {type TokenDecoder, describeDecoder} from '../ctc/decode.js'
import {type Vocabulary, encodeTranscript, inVocabulary} from '../dataset/phrases.js'
import {deriveRng, shuffled} from '../dataset/rng.js'
import {CONFIG_FORMAT, CONFIG_VERSION, type ModelConfig, readModelConfig} from '../model/config.js'
import {saveDetector} from '../model/model-dir.js'
import {writeDirAtomic} from '../util/atomic.js'
import {UserError} from '../util/errors.js'
import {packageRoot} from '../util/paths.js'
import {STATE_FILE, type TrainState, acquireLock, writeOptimizerState} from './checkpoint.js'
import {corpusSize} from './corpus.js'
import {type EpochRecord, trainingCurvePng} from './curve.js'
import {type ExampleMaker, type ExampleRequest, createExampleMaker} from './example-maker.js'
import {type TrainExample} from './examples.js'
import {type Stepper, type TokenTargets, createStepper} from './parallel.js'
import {type TrainOptions, checkOptions, planRun} from './spectrogram/config.js'
import {openModel} from './spectrogram/model.js'
import {checkOutput} from './spectrogram/save.js'
import {alignmentTargets} from './token-targets.js'
import {chooseTrigger, validate} from './validate.js'
import {formatEpochLine} from './epoch-log.js'

/**
 * The training loop: data -> model -> per-step binary cross-entropy -> Adam
 * step, validation with event-level numbers after every epoch, and the whole
 * model directory rewritten atomically as a checkpoint after every epoch.
 * The options and the run's settings are src/train/spectrogram/config.ts's;
 * the network and the state it starts from, spectrogram/model.ts's.
 *
 * With a CTC weight W > 0 the network gets a token head beside the trigger
 * head (src/model/build.ts) and the loss is BCE(trigger) + W * CTC(tokens):
 * the CTC term is each example's -log p(transcript) divided by its output
 * steps (a per-step mean like the BCE, so W weighs two quantities of the same
 * scale whatever the crop length), averaged over the batch. The target of a
 * crop is the words it holds completely (examples.ts, wordsInside).
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
    const {preset, features, vocabulary, augment} = network
    const run = planRun(options, defaults, network)
    state.finished = false
    state.settings = run.settings
    const {geometry, stepSec, trigger, alignSpan, threads} = run
    const ctcOn = run.ctc !== undefined
    stepper = await createStepper({
      model,
      optimizer,
      loss: {classWeight: options.classWeight, hardNegativeWeight: run.hardNegativeWeight, ...(run.ctc ? {ctc: run.ctc} : {})},
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
      if (!last && epoch % run.valEvery !== 0) {
        options.log(`${trained}${ctcText}; validation every ${run.valEvery} epochs`)
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
