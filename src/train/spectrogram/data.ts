import type {Vocabulary} from '../../dataset/phrases.js'
import {deriveRng, shuffled} from '../../dataset/rng.js'
import {corpusSize} from '../corpus.js'
import type {ExampleMaker, ExampleRequest, MakerInit} from '../example-maker.js'
import type {TrainExample} from '../examples.js'
import type {TokenTargets} from '../parallel.js'
import {vocabularyTargets} from '../token-targets.js'
import type {DataOptions, OptimisationOptions, Run, RunNetwork, TrainOptions, ValidationOptions} from './config.js'

/**
 * Data stage of the spectrogram recipe. Examples are made from the corpus
 * (synthesized fresh every epoch from clips, or read from a dataset) by an
 * ExampleMaker, in worker threads when asked; an example depends only on its
 * request (corpus, index, seed, crop), so a batch is the same whichever
 * thread makes it, and a resumed run sees what a straight run would.
 */

/** What the example maker needs: the corpora and how examples become spectrograms and labels. */
export function makerInit(options: DataOptions, network: RunNetwork, run: Run): MakerInit {
  return {corpora: {train: options.corpus.train, val: options.corpus.val}, preset: network.preset, features: network.features, geometry: run.geometry, augment: network.augment}
}

export interface TrainData {
  /** Whole validation examples, made once. */
  valExamples: TrainExample[]
  /** Training examples of a dataset; null: clips, synthesized on the fly. */
  trainCount: number | null
  perEpoch: number
  /** Frames of a whole example. */
  fullFrames: number
  /** A crop's share of a whole example, so speeds read as whole (10 s) examples. */
  equivalent: number
}

export async function openData(maker: ExampleMaker, options: DataOptions & ValidationOptions & Pick<TrainOptions, 'seed' | 'log'>): Promise<TrainData> {
  const valSize = corpusSize(options.corpus.val) ?? options.valCount
  options.log(`Making ${valSize} validation examples...`)
  const valExamples = await maker.make(Array.from({length: valSize}, (_, index) => ({corpus: 'val', index, seed: options.seed, crop: {frames: null, aroundLabels: 0}})))
  const trainCount = corpusSize(options.corpus.train)
  const fullFrames = valExamples[0]?.frames ?? 5511
  const equivalent = options.cropFrames === null ? 1 : Math.min(1, options.cropFrames / fullFrames)
  return {valExamples, trainCount, perEpoch: trainCount ?? options.epochSize, fullFrames, equivalent}
}

/**
 * The requests of one epoch, batch by batch: a dataset's examples in an order
 * shuffled per epoch (clips: fresh examples by index), cropped and augmented,
 * seeded by the run's seed and the epoch.
 */
export function epochBatches(data: TrainData, options: DataOptions & OptimisationOptions, epoch: number): ExampleRequest[][] {
  const rng = deriveRng('rnn-wake/train-order', options.seed, epoch)
  const indices = Array.from({length: data.perEpoch}, (_, i) => i)
  const order = data.trainCount === null ? indices : shuffled(indices, rng)
  const seed = options.seed * 100_003 + epoch
  const crop = {frames: options.cropFrames, aroundLabels: options.cropAroundLabels}
  const batches = Math.ceil(data.perEpoch / options.batch)
  return Array.from({length: batches}, (_, b) => order.slice(b * options.batch, (b + 1) * options.batch).map((index) => ({corpus: 'train', index, seed, crop, augment: true})))
}

/** The token head's targets of a batch (undefined without the CTC term). */
export function batchTargets(examples: readonly TrainExample[], network: RunNetwork, run: Run): TokenTargets[] | undefined {
  return run.ctc ? examples.map((e) => tokenTargets(e, network.vocabulary!, run.alignSpan)) : undefined
}

/** The token head's targets for one example: the words the vocabulary spells, as ids, and their alignment. */
function tokenTargets(example: TrainExample, vocabulary: Vocabulary, alignSpan: number): TokenTargets {
  return vocabularyTargets(example.transcript ?? [], example.wordEndSteps, vocabulary, example.labels.length, alignSpan, example.wordStartSteps)
}
