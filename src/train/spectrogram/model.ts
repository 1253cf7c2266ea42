import * as tf from '@tensorflow/tfjs'

import type {TokenDecoder} from '../../ctc/decode.js'
import {type Vocabulary, vocabularyFromDataset} from '../../dataset/phrases.js'
import type {AugmentName} from '../../features/augment.js'
import type {FeatureConfig} from '../../features/featurize.js'
import {isSpeechEmbedding} from '../../features/front-end.js'
import {buildModel} from '../../model/build.js'
import {type ModelConfig, spectrogramFeatures} from '../../model/config.js'
import {copyEncoder, freezeEncoder, weightShapes} from '../../model/encoder.js'
import {loadDetector, networkBins} from '../../model/model-dir.js'
import type {ModelPreset} from '../../model/presets.js'
import {UserError} from '../../util/errors.js'
import {type TrainState, newState, readOptimizerState, readState} from '../checkpoint.js'
import type {RunNetwork, TrainOptions} from './config.js'

/**
 * Model stage of the spectrogram recipe: the network a run trains and the
 * state it goes on from, by one path whatever the start. The network is the
 * checkpoint's (--resume, with the run's own settings and Adam's state) or a
 * fresh one, seeded, that may take a trained model's weights (--init-from)
 * or a pretrained encoder's (--from); then --freeze keeps the encoder as it is.
 */

export interface Start {
  model: tf.LayersModel
  state: TrainState
  network: RunNetwork
  /** The token decoder the checkpoint chose on validation (a resumed run keeps it until it validates). */
  decoder?: TokenDecoder
}

export async function openModel(out: string, options: TrainOptions, optimizer: tf.AdamOptimizer): Promise<Start> {
  const start = options.resume ? await resumedStart(out, options) : await freshStart(options)
  const {model, state, network} = start
  if (network.freeze && network.from === undefined) throw new UserError('--freeze keeps a pretrained encoder as it is: give --from DIR (e.g. models/encoder)', 'usage')
  if (network.freeze) options.log(`Encoder frozen: training only the heads (${freezeEncoder(model).length} layers kept)`)
  if (options.resume) {
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
    const restored = await readOptimizerState(out, optimizer, variables)
    options.log(
      restored
        ? `Resuming ${out} after epoch ${state.epoch} (Adam state restored, ${optimizer.iterations} steps)`
        : `Resuming ${out} after epoch ${state.epoch}; it was saved without optimizer state, so Adam starts afresh`,
    )
  }
  return start
}

/** A new network for the options' preset, seeded, its weights from --init-from or its encoder from --from when given. */
async function freshStart(options: TrainOptions): Promise<Start> {
  const ctcWeight = options.ctcWeight ?? 0
  const vocabulary = ctcWeight > 0 ? tokenVocabulary(options) : undefined
  const model = buildModel(options.preset, {fused: true, ctcTokens: vocabulary?.tokens.length ?? 0, seed: options.seed})
  if (options.initFrom !== undefined) await initWeights(model, options.initFrom, options.initMember ?? 1, options.preset, options.features, options.log)
  if (options.from !== undefined) await encoderWeights(model, options.from, options.preset, options.features, options.log)
  const network: RunNetwork = {
    preset: options.preset,
    features: options.features,
    vocabulary,
    ctcWeight,
    ctcAlignWeight: options.ctcAlignWeight ?? 1,
    augment: options.augment ?? [],
    from: options.from,
    freeze: options.freeze === true,
  }
  return {model, state: newState(), network}
}

/**
 * The checkpoint in `out` and the run's own settings: its network, front end
 * and heads; the CTC weights and augmentations it was started with unless
 * the options name others; its --from and --freeze.
 */
async function resumedStart(out: string, options: TrainOptions): Promise<Start> {
  // loadDetector, not the bare loadModel: the checkpoint gets the same checks as a model given to detect
  // (config matches the network, weights finite, a trial prediction runs).
  const detector = await loadDetector(out)
  const config = detector.config
  if (detector.networks.length > 1) {
    for (const network of detector.networks) network.dispose()
    throw new UserError(`Cannot resume ${out}: it is an ensemble of ${detector.networks.length} networks (rnn-wake ensemble); train each network on its own and combine them again`, 'usage')
  }
  const state = await readState(out)
  const features = spectrogramFeatures(config, out, 'resuming with the spectrogram recipe')
  const vocabulary = config.vocabulary && {unit: config.vocabulary.unit, tokens: config.vocabulary.tokens}
  // Without --ctc-weight a resumed run keeps the weight it was started with.
  const ctcWeight = options.ctcWeight ?? (vocabulary ? Number(state.settings.ctcWeight ?? 0) : 0)
  if (ctcWeight > 0 && !vocabulary) throw new UserError(`Cannot resume ${out} with --ctc-weight ${ctcWeight}: it was trained without a token head (start a new run to add one)`, 'usage')
  const network: RunNetwork = {
    preset: config.preset,
    features,
    vocabulary,
    ctcWeight,
    // Runs saved before the alignment term existed trained on CTC alone.
    ctcAlignWeight: options.ctcAlignWeight ?? Number(state.settings.ctcAlignWeight ?? 0),
    augment: options.augment ?? ((state.settings.augment as AugmentName[] | undefined) ?? []),
    from: state.settings.from as string | undefined,
    freeze: options.freeze ?? state.settings.freeze === true,
  }
  return {model: detector.model, state, network, decoder: config.vocabulary?.decoder}
}

/** The token head's vocabulary: the words the data holds (or --ctc-vocabulary's), as words or characters. */
function tokenVocabulary(options: TrainOptions): Vocabulary {
  const words = options.ctcVocabulary ?? options.corpus.words
  const unknown = options.ctcVocabulary?.filter((w) => !options.corpus.words.includes(w)) ?? []
  if (unknown.length > 0) throw new UserError(`--ctc-vocabulary: the training data never says ${unknown.map((w) => `"${w}"`).join(', ')} (it says ${options.corpus.words.slice(0, 12).join(', ')}${options.corpus.words.length > 12 ? ', ...' : ''})`, 'usage')
  // One example can say two of its words (two triggers), so character units always need the space between words, even for a one-word vocabulary.
  const vocabulary = vocabularyFromDataset({entries: [{transcript: words.length === 1 ? [words[0], words[0]] : words}], info: {words: words.map((word) => ({word}))}}, options.ctcUnit ?? 'word')
  if (vocabulary.tokens.length === 0) throw new UserError('--ctc-weight needs words to learn, and the training data names none', 'usage')
  options.log(`Token head: ${vocabulary.tokens.length} ${vocabulary.unit} tokens + blank (${vocabulary.tokens.map((t) => JSON.stringify(t)).join(' ')}), CTC weight ${options.ctcWeight}`)
  return vocabulary
}

/** Whether a saved model has this run's network shape (whatever its preset is called) and front end, so its weights fit. */
function sameNetwork(config: Pick<ModelConfig, 'preset' | 'features'>, preset: ModelPreset, features: FeatureConfig): boolean {
  return JSON.stringify({...config.preset, name: ''}) === JSON.stringify({...preset, name: ''}) && JSON.stringify(config.features) === JSON.stringify(features)
}

/** Start `model`'s encoder layers from the encoder model in `dir` (see NetworkOptions.from). */
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

/** Copy a trained model's weights into `model` (see NetworkOptions.initFrom); refuses another network shape or front end. */
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
