import {mkdir} from 'node:fs/promises'
import {basename, join, resolve} from 'node:path'

import * as tf from '@tensorflow/tfjs'

import {SAMPLE_RATE} from '../../audio/read.js'
import {type TokenDecoder, describeDecoder} from '../../ctc/decode.js'
import {type Clip, OTHER_WORD, type SourceFile} from '../../dataset/clips.js'
import type {VoiceAugment} from '../../dataset/voice-augment.js'
import {openFrontEnd} from '../../features/front-end.js'
import {EMBEDDING_PIPELINE, type SpeechEmbeddingFeatures, loadSpeechEmbedding} from '../../features/speech-embedding.js'
import {CONFIG_FORMAT, CONFIG_VERSION, type ModelConfig, writeModelConfig} from '../../model/config.js'
import {memberFolder} from '../../model/ensemble.js'
import {saveModel} from '../../model/io.js'
import {loadDetector, saveDetector} from '../../model/model-dir.js'
import {predictFeatures} from '../../model/predict.js'
import type {ModelPreset} from '../../model/presets.js'
import {UserError} from '../../util/errors.js'
import {shipped} from '../../util/paths.js'
import {spokenWords} from '../corpus.js'
import {type FeatureBank, readBank} from '../feature-bank.js'
import {cachedExamples, clipHash, clipsHash, defaultCacheDir, examplesKey} from './cache.js'
import {type VoiceMapper, readVoiceMap, voiceMapper} from './voice-map.js'
import {wordBankExamples} from './word-bank.js'
import {DEFAULT_CONTEXT_WORDS, type EmbeddedExample, type ExampleSet, type HardWindow, type PhraseClips, bankOfExamples, embedClipExamples, exampleBackgrounds, holdOut, readClips} from './data.js'
import {hardNegatives, scoreBank} from './mining.js'
import {SPEECH_EMBEDDING_PRESET, type Calibration, type TokenHead, bankHours, calibrateThreshold, chooseDecoder, embeddingTrigger, freshModel, missedShare, trainStep} from './stages.js'
import {phraseVocabulary} from './tokens.js'
import {vocabularyFromDataset} from '../../dataset/phrases.js'
import {type DomainLayer, domainCritic} from './domain.js'

/**
 * The default training recipe: a GRU detector on the pretrained speech embedding, trained on the
 * user's clips mixed into short examples and on hours of real speech from a shipped bank of
 * features, its threshold set on real speech it never trained on. Reads as its stages:
 * config -> data -> model -> steps -> calibrate -> evaluate -> save.
 */
export interface EmbeddingRecipe {
  word: string
  out: string
  /** Folders of clips of the word (TTS or recorded). */
  activates: string[]
  /** Folders of clips of other words. */
  negatives: string[]
  /** Folders of background recordings to mix examples over (none: procedural noise). */
  backgrounds?: string[]
  seed: number
  /** Optimizer steps. */
  steps: number
  batchSize: number
  /** Steps per training sequence (80 ms each). */
  sequenceSteps: number
  /** Examples mixed from each trigger clip. */
  perClip: number
  learningRate: number
  positiveWeight: number
  /** The threshold's target on the calibration speech. */
  targetFaPerHour: number
  /** Bank of real-speech features to train on, and one never trained on to set the threshold. */
  bank: string
  calibrationBank: string
  preset: ModelPreset
  /** Seed of the examples' mixing and the held-out split (default: seed), so seeds can share embedded examples. */
  dataSeed?: number
  /** Where embedded examples are cached (undefined: not cached). */
  cacheDir?: string
  /** Most other words just before the word in an example (default 2). */
  contextWords?: number
  /** Rounds of hard-negative mining on the bank (0: none); round k mines after k/(rounds+1) of the steps. */
  mineRounds?: number
  /**
   * Command phrases that may follow the word (each word said by --negatives clips made by
   * "rnn-wake tts", whose manifests name them): with any, the network gets a CTC token head
   * over the trigger's and the phrases' words, and detect/listen transcribe what follows the trigger.
   */
  phrases?: string[][]
  /** Share of trigger examples followed by a phrase (default 0.5). */
  phraseProbability?: number
  /** Weight of the token head's CTC loss beside the trigger's (default 1). */
  ctcWeight?: number
  /** Voice and room augmentation of the examples (speed, eq, reverb; default none). */
  augment?: VoiceAugment[]
  /**
   * Networks to train and average (default 1): network k starts from seed + k - 1 on the same
   * examples, and the threshold, the held-out check and the decoder are those of their average.
   */
  networks?: number
  /** Target of the trigger steps (default 1; e.g. 0.95: label smoothing of the positives). */
  positiveTarget?: number
  /** Experimental batch augmentations of the example steps (data.ts BatchOptions): blending with recorded speech, Gaussian noise. */
  bankMix?: number
  inputNoise?: number
  /**
   * A training-only token head (0 or absent: none, the default): CTC over the trigger and every other word with at
   * least this many named --negatives clips, beside the trigger's loss, so the GRU must name the other words too.
   * With recordings of people saying other words among them (named by a manifest.jsonl), it taught the GRU to hear
   * words in people's voices; over TTS look-alikes alone it was no sure win (bench/RESULTS.md, speech-embedding
   * levers). Dropped when the model is saved; not with phrases (their token head takes its place).
   */
  wordHead?: number
  /** Word bank (word-bank.ts) whose examples join the negatives and the word head's words (with a word head; NO_BANK: none). */
  wordBank?: string
  /**
   * Experimental: a voice map (voice-map.ts) that half the example rows go through during training, toward where
   * people's voices put the same speech (absent or NO_BANK: none). No sure win (bench/RESULTS.md, speech-embedding levers).
   */
  voiceMap?: string
  /** Domain-adversarial training against the clips-versus-people gap (domain.ts): the critic's loss weight and the features it reads. */
  domain?: {weight: number; layer: DomainLayer}
}

/** `bank` value that trains without the real-speech bank: its crops come from the negative examples. */
export const NO_BANK = 'none'

/** False accepts per hour of real speech a threshold is set for (train --target-fa; ensembles of these models). */
export const DEFAULT_TARGET_FA = 0.5

export const DEFAULT_BANK = () => shipped('data', 'speech-bank', 'train.bank')
export const DEFAULT_CALIBRATION_BANK = () => shipped('data', 'speech-bank', 'calibration.bank')
export const DEFAULT_WORD_BANK = () => shipped('data', 'word-bank', 'words.bank')

export function defaultRecipe(word: string, out: string, activates: string[], negatives: string[]): EmbeddingRecipe {
  return {
    word,
    out,
    activates,
    negatives,
    seed: 1,
    // Three networks of 400 steps cost what one of 1,200 does and, averaged, missed fewer real triggers
    // (bench/RESULTS.md, speech-embedding levers: computer 55.7% against 66.1%, view glass 45.8% against 47.4%).
    steps: 400,
    networks: 3,
    // Two rounds of hard-negative mining (3 s each): fewer misses on all five words of the real-voice benchmark
    // (bench/RESULTS.md, speech-embedding levers: five-word mean 33.0% against 37.5%, seeds 1 and 11).
    mineRounds: 2,
    // A word head over the other words with 20 or more clips, and the shipped word bank (people and synthesizers
    // saying ten other words) among the negatives: see bench/RESULTS.md, speech-embedding levers.
    wordHead: 20,
    wordBank: DEFAULT_WORD_BANK(),
    batchSize: 48,
    sequenceSteps: 48,
    perClip: 1,
    learningRate: 0.002,
    positiveWeight: 4,
    targetFaPerHour: DEFAULT_TARGET_FA,
    bank: DEFAULT_BANK(),
    calibrationBank: DEFAULT_CALIBRATION_BANK(),
    preset: SPEECH_EMBEDDING_PRESET,
    cacheDir: defaultCacheDir(),
  }
}

export interface RecipeResult {
  calibration: Calibration
  /** Share of held-out trigger examples missed at the threshold. */
  validationMissed: number
  seconds: number
}

type Log = (line: string) => void

/** Data stage: clips read, examples mixed and embedded once, banks loaded and checked. */
async function loadData(recipe: EmbeddingRecipe, log: Log): Promise<{train: ExampleSet; held: ExampleSet; bank: FeatureBank; calibration: FeatureBank; features: SpeechEmbeddingFeatures; headWords?: string[]; phrases?: PhraseClips; voiceMap?: VoiceMapper}> {
  const read = async (dirs: string[], what: string, word: string, role: SourceFile['role']) => (await Promise.all(dirs.map((d) => readClips(d, what, word, role)))).flat()
  // The word head's tokens are whole clip names, so a name of two words ("smart mirror") becomes one token.
  const asToken = (word: string) => (recipe.wordHead ? word.trim().replace(/\s+/g, '-') : word)
  const triggers = (await read(recipe.activates, 'activates', recipe.word, 'trigger')).map((c) => ({...c, word: asToken(c.word)}))
  const others: Clip[] = (await Promise.all(recipe.negatives.map((d) => readNamedClips(d, 'negatives')))).flat().map((c) => ({...c, word: asToken(c.word)}))
  const phrases = phraseClips(recipe, others)
  const weights = await loadSpeechEmbedding(recipe.out)
  const features: SpeechEmbeddingFeatures = {kind: 'speech-embedding', sampleRate: SAMPLE_RATE, weights: weights.sha256}
  const frontEnd = await openFrontEnd(features, recipe.out)
  const noBank = recipe.bank === NO_BANK
  const [realBank, calibration] = await Promise.all([noBank ? undefined : readBank(recipe.bank), readBank(recipe.calibrationBank)])
  for (const [b, file] of [[realBank, recipe.bank], [calibration, recipe.calibrationBank]] as const) if (b !== undefined) checkFrontEnd(file, b.frontEnd, weights.sha256)
  const voiceMap = recipe.voiceMap && recipe.voiceMap !== NO_BANK ? await readVoiceMapFor(recipe.voiceMap, weights.sha256, log) : undefined
  const {train, held} = holdOut(triggers, 0.1, recipe.dataSeed ?? recipe.seed)
  log(`data: ${triggers.length} clips of "${recipe.word}" (${held.length} held out), ${others.length} of other words; ${realBank ? bankHours(realBank).toFixed(2) : 'no'} h of real speech to train on, ${bankHours(calibration).toFixed(2)} h to set the threshold`)
  const started = Date.now()
  const total = (train.length + held.length) * recipe.perClip * (others.length > 0 ? 2 : 1)
  let shown = 0
  const onProgress = (done: number) => {
    if (done - shown >= 500) {
      shown = done
      log(`  embedding examples: ${done}/${total} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
    }
  }
  const dataSeed = recipe.dataSeed ?? recipe.seed
  const backgrounds = recipe.backgrounds?.length ? await read(recipe.backgrounds, 'backgrounds', '', 'background') : exampleBackgrounds(others, dataSeed, SAMPLE_RATE)
  const othersKey = clipsHash(others)
  const backgroundsKey = recipe.backgrounds?.length ? `+bg${clipsHash(backgrounds)}` : ''
  const contextWords = recipe.contextWords ?? DEFAULT_CONTEXT_WORDS
  // Keys made before the knob existed (2 context words) stay valid.
  const contextWordsKey = contextWords === DEFAULT_CONTEXT_WORDS ? '' : `+ctx${contextWords}`
  const phrasesKey = phrases ? `+phrases${JSON.stringify([phrases.phrases, phrases.probability, [...phrases.clips.values()].map((c) => clipsHash(c))])}` : ''
  const augmentKey = recipe.augment?.length ? `+augment${recipe.augment.join(',')}` : ''
  const wordsKey = recipe.wordHead ? '+words' : ''
  let fromCache = 0
  const examplesOf = async (clips: Clip[], perClip: number, context: Clip[], contextKey: string): Promise<ExampleSet> => {
    const set: ExampleSet = {positives: [], negatives: []}
    for (const clip of clips) {
      const id = clipHash(clip)
      const key = examplesKey({weights: `${weights.sha256}:${EMBEDDING_PIPELINE}`, seed: dataSeed, perClip, clip: id, others: contextKey + backgroundsKey + contextWordsKey + phrasesKey + augmentKey + wordsKey})
      const {set: one, cached} = await cachedExamples(recipe.cacheDir, key, () => embedClipExamples(frontEnd, clip, id, context, backgrounds, {perClip, seed: dataSeed, sampleRate: SAMPLE_RATE, contextWords, ...(phrases ? {phrases} : {}), ...(recipe.augment?.length ? {augment: recipe.augment} : {}), ...(recipe.wordHead ? {recordWords: true} : {})}))
      set.positives.push(...one.positives)
      set.negatives.push(...one.negatives)
      if (cached) fromCache++
      onProgress(set.positives.length + set.negatives.length)
    }
    return set
  }
  const trainSet = await examplesOf(train, recipe.perClip, others, othersKey)
  const heldSet = await examplesOf(held, 1, [], 'none')
  if (fromCache > 0) log(`  examples of ${fromCache} clip(s) came from the cache (${recipe.cacheDir})`)
  const bank = realBank ?? bankOfExamples(trainSet.negatives, weights.sha256)
  if (bank.sequences.every((s) => s.frames < recipe.sequenceSteps)) throw new UserError(`No real speech to train on: --bank ${NO_BANK} needs clips of other words (--negatives)`, 'usage')
  const headWords = recipe.wordHead ? await wordHeadWords(recipe, asToken(recipe.word), others, trainSet, weights.sha256, log) : []
  return {train: trainSet, held: heldSet, bank, calibration, features, ...(headWords.length > 0 ? {headWords} : {}), ...(phrases ? {phrases} : {}), ...(voiceMap ? {voiceMap} : {})}
}

/**
 * The word head's words (the trigger's token first), or none: every other word with at least recipe.wordHead clips
 * among the named --negatives and the word bank's examples, which join `set` (set.words) on the way.
 */
async function wordHeadWords(recipe: EmbeddingRecipe, trigger: string, others: readonly Clip[], set: ExampleSet, frontEnd: string, log: Log): Promise<string[]> {
  const minClips = recipe.wordHead ?? 0
  const wordCounts = new Map<string, number>()
  const count = (word: string) => wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1)
  for (const clip of others) if (clip.word !== OTHER_WORD) count(clip.word)
  if (recipe.wordBank && recipe.wordBank !== NO_BANK) {
    const words = await readWordBank(recipe.wordBank, recipe.word, frontEnd)
    set.words = words.examples
    for (const e of words.examples) for (const w of e.words ?? []) count(w.word)
    log(`word bank: ${words.examples.length} examples of other words said by people and synthesizers (${words.left} left out: they sound like "${recipe.word}"), a quarter of the negative rows`)
  }
  const named = [...wordCounts].filter(([w, n]) => n >= minClips && w !== trigger).map(([w]) => w)
  if (named.length === 0) log(`word head: off (no other word has ${minClips} or more clips named by an rnn-wake tts manifest among --negatives)`)
  return named.length === 0 ? [] : [trigger, ...named]
}

/** A bank's or map's features must come from this front end (`ours`: its weights' sha256). */
function checkFrontEnd(file: string, theirs: string, ours: string): void {
  if (theirs !== ours) throw new UserError(`Cannot use ${file}: its features come from another front end than this rnn-wake's speech embedding`, 'badInput')
}

/** A word bank's examples for this trigger, checked against the front end. */
async function readWordBank(file: string, trigger: string, frontEnd: string): Promise<{examples: EmbeddedExample[]; left: number}> {
  const bank = await readBank(file)
  checkFrontEnd(file, bank.frontEnd, frontEnd)
  const examples = wordBankExamples(bank, trigger, file)
  return {examples, left: bank.sequences.length - examples.length}
}

/** A voice map checked against the front end. */
async function readVoiceMapFor(file: string, frontEnd: string, log: Log): Promise<VoiceMapper> {
  const map = await readVoiceMap(file)
  checkFrontEnd(file, map.frontEnd, frontEnd)
  log(`voice map: half the examples' rows mapped toward people's voices (${basename(file)})`)
  return voiceMapper(map)
}

/** A folder's clips, each named by its "rnn-wake tts" manifest (a clip it does not name is "<other>"). */
async function readNamedClips(dir: string, what: string): Promise<Clip[]> {
  const names = await spokenWords(dir)
  return (await readClips(dir, what, OTHER_WORD, 'negative')).map((clip) => ({...clip, word: names.get(basename(clip.source)) ?? OTHER_WORD}))
}

/** The recipe's phrases with the clips that say their words; a word no clip says is a usage error. */
function phraseClips(recipe: EmbeddingRecipe, others: readonly Clip[]): PhraseClips | undefined {
  if (!recipe.phrases?.length) return undefined
  const clips = new Map<string, Clip[]>()
  for (const word of new Set(recipe.phrases.flat())) {
    const saying = others.filter((c) => c.word === word)
    if (saying.length === 0) throw new UserError(`--phrases: no --negatives clip says "${word}" (make some with: rnn-wake tts ${word} --out DIR, then --negatives DIR)`, 'usage')
    clips.set(word, saying)
  }
  return {phrases: recipe.phrases, clips, probability: recipe.phraseProbability ?? 0.5}
}

/** What a mining round keeps: the 400 highest places of the bank scoring at least 0.05. */
const MINING = {count: 400, minScore: 0.05}

/** Mining stage: the places of the bank where the network fires most, trained on more often from here on. */
function mine(model: tf.LayersModel, bank: FeatureBank, log: Log): HardWindow[] {
  const started = Date.now()
  const hard = hardNegatives(scoreBank(model, bank), MINING)
  const top = hard[0]?.score ?? 0
  log(`mining: ${hard.length} places of the bank score >= ${MINING.minScore} (top ${top.toFixed(4)}); half the bank crops come from them from here on (${((Date.now() - started) / 1000).toFixed(0)} s)`)
  return hard
}

export async function trainEmbeddingDetector(recipe: EmbeddingRecipe, log: Log = () => {}): Promise<RecipeResult> {
  const started = Date.now()
  if (recipe.wordHead && recipe.phrases?.length) throw new UserError('--word-head and --phrases cannot be used together: with phrases the token head learns the phrases\' words', 'usage')
  const data = await loadData(recipe, log)
  if (data.train.positives.length === 0) throw new UserError(`No clips of "${recipe.word}" to train on`, 'badInput')
  const tokens = data.phrases ? tokenHead(recipe, data.phrases, log) : data.headWords ? wordHead(recipe, data.headWords, log) : undefined
  const count = recipe.networks ?? 1
  const networks: tf.LayersModel[] = []
  try {
    for (let k = 0; k < count; k++) {
      if (count > 1) log(`network ${k + 1}/${count} (seed ${recipe.seed + k})`)
      networks.push(trainNetwork({...recipe, seed: recipe.seed + k}, data, tokens, log, started))
    }
    const calibration = calibrateThreshold(networks, data.calibration, recipe.targetFaPerHour)
    const validationMissed = missedShare(networks, data.held.positives, calibration.threshold)
    const averaged = count > 1 ? `the ${count} networks averaged: ` : ''
    log(
      `threshold ${calibration.threshold}: ${averaged}${calibration.falseAccepts} false accept(s) in ${calibration.hours.toFixed(2)} h of real speech never trained on (one false accept = ${calibration.resolution.toFixed(2)} FA/h); ` +
        `held-out clips missed: ${Number.isNaN(validationMissed) ? 'n/a (fewer than 5 clips)' : `${(validationMissed * 100).toFixed(1)}%`}`,
    )
    if (!calibration.supported) log(`warning: ${calibration.hours.toFixed(2)} h of calibration speech cannot show ${recipe.targetFaPerHour} FA/h (that needs ${(3 / recipe.targetFaPerHour).toFixed(1)} h); the threshold is the lowest with at most ${Math.floor(recipe.targetFaPerHour * calibration.hours)} false accept(s) there`)
    // The word head only teaches the GRU while it trains: the model keeps the phrases' token head, not the word head.
    const transcriber = data.phrases ? tokens : undefined
    const decoding = transcriber && data.held.positives.length > 0 ? chooseDecoder(networks, data.held.positives, transcriber.vocabulary) : undefined
    if (decoding) log(`token head: decoder ${describeDecoder(decoding.decoder)} (word error rate ${(decoding.wordErrorRate * 100).toFixed(1)}% on ${data.held.positives.length} held-out examples, the fewest of the candidates)`)
    const config = modelConfig(recipe, data, transcriber, calibration, validationMissed, started, decoding?.decoder)
    await saveNetworks(recipe.out, transcriber || !tokens ? networks : networks.map(triggerOnly), config)
    return {calibration, validationMissed, seconds: (Date.now() - started) / 1000}
  } finally {
    for (const network of networks) network.dispose()
  }
}

/** Model and step stages for one network: fresh from the recipe's seed, trained on the shared data. */
function trainNetwork(recipe: EmbeddingRecipe, data: RecipeData, tokens: TokenHead | undefined, log: Log, started: number): tf.LayersModel {
  const model = freshModel(recipe.preset, recipe.seed, tokens?.vocabulary.tokens.length)
  const optimizer = tf.train.adam(recipe.learningRate)
  try {
    runSteps(recipe, model, optimizer, data, tokens, log, started)
    return model
  } catch (error) {
    model.dispose()
    throw error
  } finally {
    optimizer.dispose()
  }
}

/**
 * Save stage: the first network at the top level and the others in member-2, member-3, ...
 * (the layout "rnn-wake ensemble" writes), rnn-wake.json last, so a directory that has it is whole.
 */
async function saveNetworks(out: string, networks: readonly tf.LayersModel[], config: ModelConfig): Promise<void> {
  for (const [k, network] of networks.entries()) {
    if (k === 0) continue
    const dir = join(out, memberFolder(k))
    await mkdir(dir, {recursive: true})
    await saveModel(network, dir)
  }
  await saveDetector(out, networks[0], config)
}

/** A network without its token head: the same layers (and weights) up to the trigger's output. */
function triggerOnly(network: tf.LayersModel): tf.LayersModel {
  return tf.model({inputs: network.inputs, outputs: network.outputs[0], name: network.name})
}

type RecipeData = Awaited<ReturnType<typeof loadData>>

/** The token head of a recipe with phrases: the trigger's and the phrases' words. */
function tokenHead(recipe: EmbeddingRecipe, phrases: PhraseClips, log: Log): TokenHead {
  const vocabulary = phraseVocabulary(recipe.word, phrases.phrases)
  log(`token head: ${vocabulary.tokens.length} word tokens + blank (${vocabulary.tokens.map((t) => JSON.stringify(t)).join(' ')}), CTC weight ${recipe.ctcWeight ?? 1}; ${phrases.phrases.length} phrase(s) follow ${Math.round(phrases.probability * 100)}% of the triggers`)
  return {vocabulary, weight: recipe.ctcWeight ?? 1, alignWeight: 1}
}

/** The word head: the trigger and every other word with enough clips, one token each. */
function wordHead(recipe: EmbeddingRecipe, words: readonly string[], log: Log): TokenHead {
  const vocabulary = vocabularyFromDataset({entries: [{transcript: [...words]}]}, 'word')
  log(`word head: ${vocabulary.tokens.length} word tokens + blank (words with >= ${recipe.wordHead} clips), CTC weight ${recipe.ctcWeight ?? 1}`)
  return {vocabulary, weight: recipe.ctcWeight ?? 1, alignWeight: 1}
}

/** Step stage, repeated: the optimizer steps, with mining rounds between them, logging the loss ten times. */
function runSteps(recipe: EmbeddingRecipe, model: tf.LayersModel, optimizer: tf.Optimizer, data: RecipeData, tokens: TokenHead | undefined, log: Log, started: number): void {
  let average = NaN
  let ctcAverage = NaN
  let domainAverage = NaN
  const every = Math.max(1, Math.round(recipe.steps / 10))
  const rounds = recipe.mineRounds ?? 0
  const mineAt = new Set(Array.from({length: rounds}, (_, k) => Math.round(((k + 1) * recipe.steps) / (rounds + 1))))
  let hard: HardWindow[] | undefined
  const smooth = (previous: number, value: number) => (Number.isNaN(previous) ? value : 0.95 * previous + 0.05 * value)
  // Only recorded speech makes the critic's other domain: with --bank none there is none.
  const domain = recipe.domain && recipe.bank !== NO_BANK ? domainCritic(model, recipe.domain.layer, recipe.domain.weight, recipe.seed) : undefined
  try {
    for (let step = 0; step < recipe.steps; step++) {
      if (mineAt.has(step)) hard = mine(model, data.bank, log)
      const result = trainStep(model, optimizer, data.train, data.bank, {size: recipe.batchSize, steps: recipe.sequenceSteps, positiveWeight: recipe.positiveWeight, ...(recipe.positiveTarget === undefined ? {} : {positiveTarget: recipe.positiveTarget}), ...(recipe.bankMix ? {bankMix: recipe.bankMix} : {}), ...(recipe.inputNoise ? {inputNoise: recipe.inputNoise} : {}), ...(data.voiceMap ? {voiceMap: data.voiceMap} : {}), seed: recipe.seed, step, hard, ...(tokens ? {tokens} : {}), ...(domain ? {domain, progress: step / recipe.steps} : {})})
      average = smooth(average, result.loss)
      if (result.ctc !== undefined) ctcAverage = smooth(ctcAverage, result.ctc)
      if (result.domain !== undefined) domainAverage = smooth(domainAverage, result.domain)
      if ((step + 1) % every === 0) log(`step ${step + 1}/${recipe.steps}: loss ${average.toFixed(4)}${Number.isNaN(ctcAverage) ? '' : ` (ctc ${ctcAverage.toFixed(4)} per step)`}${Number.isNaN(domainAverage) ? '' : ` (domain critic ${domainAverage.toFixed(4)})`} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
    }
  } finally {
    if (domain) tf.dispose(domain.variables)
  }
}

/** Save stage's rnn-wake.json: front end, network, threshold, vocabulary and how it was trained. */
function modelConfig(recipe: EmbeddingRecipe, data: RecipeData, tokens: TokenHead | undefined, calibration: Calibration, validationMissed: number, started: number, decoder: TokenDecoder = {kind: 'best-path', smoothSteps: 1}): ModelConfig {
  const networks = recipe.networks ?? 1
  return {
    format: CONFIG_FORMAT,
    version: CONFIG_VERSION,
    word: recipe.word,
    preset: recipe.preset,
    features: data.features,
    trigger: embeddingTrigger(calibration.threshold),
    ...(networks > 1 ? {members: Array.from({length: networks - 1}, (_, k) => memberFolder(k + 1))} : {}),
    ...(tokens ? {vocabulary: {unit: 'word', tokens: tokens.vocabulary.tokens, blank: tokens.vocabulary.tokens.length, decoder}} : {}),
    training: {
      recipe: 'speech-embedding',
      seed: recipe.seed,
      ...(networks > 1 ? {networks, seeds: Array.from({length: networks}, (_, k) => recipe.seed + k)} : {}),
      steps: recipe.steps,
      batchSize: recipe.batchSize,
      sequenceSteps: recipe.sequenceSteps,
      perClip: recipe.perClip,
      learningRate: recipe.learningRate,
      ...(recipe.contextWords === undefined || recipe.contextWords === DEFAULT_CONTEXT_WORDS ? {} : {contextWords: recipe.contextWords}),
      ...(recipe.mineRounds ? {mineRounds: recipe.mineRounds} : {}),
      ...(recipe.augment?.length ? {augment: recipe.augment} : {}),
      ...(recipe.bank === NO_BANK ? {bank: NO_BANK} : {}),
      ...(recipe.domain && recipe.bank !== NO_BANK ? {domain: recipe.domain} : {}),
      ...(recipe.positiveTarget === undefined ? {} : {positiveTarget: recipe.positiveTarget}),
      ...(recipe.bankMix ? {bankMix: recipe.bankMix} : {}),
      ...(recipe.inputNoise ? {inputNoise: recipe.inputNoise} : {}),
      ...(data.voiceMap ? {voiceMap: basename(recipe.voiceMap ?? '')} : {}),
      ...(data.headWords ? {wordHead: {minClips: recipe.wordHead, words: data.headWords.length, wordBank: data.train.words ? basename(recipe.wordBank ?? '') : NO_BANK}, ctcWeight: recipe.ctcWeight ?? 1} : {}),
      ...(data.phrases ? {phrases: data.phrases.phrases.map((p) => p.join(' ')), phraseProbability: data.phrases.probability, ctcWeight: tokens?.weight} : {}),
      // The folders trained on, as the spectrogram recipe records them: a benchmark can check which voices trained the model.
      data: {triggerFolders: recipe.activates.map((d) => resolve(d)), negativeFolders: recipe.negatives.map((d) => resolve(d))},
      clips: {activates: recipe.activates.length, positives: data.train.positives.length, negatives: data.train.negatives.length},
      calibration: {targetFaPerHour: recipe.targetFaPerHour, hours: Number(calibration.hours.toFixed(3)), falseAccepts: calibration.falseAccepts},
      validationMissed: Number.isNaN(validationMissed) ? null : Number(validationMissed.toFixed(4)),
      seconds: Math.round((Date.now() - started) / 1000),
    },
  }
}

/**
 * Set a speech-embedding model's threshold (an ensemble's too: its networks' mean) on the
 * calibration bank, as train does; rewrites rnn-wake.json. Returns the calibration.
 */
export async function recalibrate(dir: string, calibrationBank: string, targetFaPerHour: number): Promise<Calibration> {
  const detector = await loadDetector(dir)
  try {
    const bank = await readBank(calibrationBank)
    const calibration = calibrateThreshold((data, steps) => predictFeatures(detector, {data, frames: steps, bins: bank.bins}).trigger, bank, targetFaPerHour)
    const training = {...detector.config.training, calibration: {targetFaPerHour, hours: Number(calibration.hours.toFixed(3)), falseAccepts: calibration.falseAccepts}}
    await writeModelConfig(dir, {...detector.config, trigger: {...detector.config.trigger, threshold: calibration.threshold}, training})
    return calibration
  } finally {
    for (const network of detector.networks) network.dispose()
  }
}
