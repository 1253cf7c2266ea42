import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {SAMPLE_RATE} from '../audio/read.js'
import type {TokenDecoder} from '../ctc/decode.js'
import {type FeatureConfig} from '../features/featurize.js'
import {type ModelFeatures, frameStepSeconds, frontEndBins, isSpeechEmbedding} from '../features/front-end.js'
import {EMBEDDING_SIZE, type SpeechEmbeddingFeatures} from '../features/speech-embedding.js'
import {COURSE_SPECTROGRAM} from '../features/spectrogram.js'
import {type FeatureTransform} from '../features/transform.js'
import {type TriggerParams} from '../stream/trigger.js'
import {writeFileAtomic} from '../util/atomic.js'
import {ModelError} from '../util/errors.js'

export type {FeatureConfig, ModelFeatures}
import {type ModelPreset} from './presets.js'

/**
 * The model directory's own description: everything `detect` and `listen`
 * need besides the weights (front end, network shape, trigger settings,
 * vocabulary), so they never need flags that match what `train` was given.
 */
export const CONFIG_FILE = 'rnn-wake.json'
export const CONFIG_FORMAT = 'rnn-wake-model'
export const CONFIG_VERSION = 1

export interface VocabularyConfig {
  /** What one token is. */
  unit: 'word' | 'char'
  /** Token strings by id, the blank excluded. */
  tokens: string[]
  /** Id of the CTC blank (tokens.length: blank last). */
  blank: number
  /** How to read the token head (see TokenDecoder); absent: prefix beam search of width 8 (models trained on CTC alone). */
  decoder?: TokenDecoder
}

export interface ModelConfig {
  format: typeof CONFIG_FORMAT
  version: typeof CONFIG_VERSION
  /** The trigger word or phrase. */
  word: string
  preset: ModelPreset
  /** The front end: a spectrogram, or the pretrained speech embedding. */
  features: ModelFeatures
  trigger: TriggerParams
  vocabulary?: VocabularyConfig
  /**
   * Subfolders holding more networks of the same shape (model.json + weights.bin each),
   * made by "rnn-wake ensemble": the detector averages the outputs of the top-level
   * network and of these. Absent for a single network.
   */
  members?: string[]
  /**
   * Other calibrated thresholds, by name (e.g. "real-speech": set on recordings of people
   * rather than synthesized speech), for `--threshold NAME`; trigger.threshold stays the default.
   */
  thresholds?: Record<string, number>
  /** Free-form facts about how the model was made (data, epochs, metrics). */
  training?: Record<string, unknown>
}

/** What a named threshold may be called: a word a shell passes as is and that is never a number. */
export const THRESHOLD_NAME = /^[a-z][a-z0-9-]*$/

export function courseFeatures(transform: FeatureTransform): FeatureConfig {
  return {sampleRate: SAMPLE_RATE, spectrogram: COURSE_SPECTROGRAM, transform}
}

/** Seconds per model output step: spectrogram hop times the conv stride. */
export function outputStepSeconds(config: Pick<ModelConfig, 'features' | 'preset'>): number {
  return frameStepSeconds(config.features) * config.preset.conv.strides
}

/** The spectrogram front end of a model, or a ModelError where only spectrogram models make sense. */
export function spectrogramFeatures(config: Pick<ModelConfig, 'features'>, dir: string, what: string): FeatureConfig {
  if (isSpeechEmbedding(config.features)) throw new ModelError(dir, `${what} needs a spectrogram model; this one uses the speech-embedding front end`)
  return config.features
}

export async function writeModelConfig(dir: string, config: ModelConfig): Promise<void> {
  await writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n')
}

export async function readModelConfig(dir: string): Promise<ModelConfig> {
  const path = join(dir, CONFIG_FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const problem = code === 'ENOENT' ? `no ${CONFIG_FILE} (not an rnn-wake model directory)` : code === 'EISDIR' ? `${CONFIG_FILE} is a folder, not a file` : `cannot read ${CONFIG_FILE} (${code ?? String(error)})`
    throw new ModelError(dir, problem)
  }
  let value: unknown
  try {
    // Users tune the threshold by hand, and Windows editors save UTF-8 with a byte-order mark.
    value = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (error) {
    // V8 quotes the offending text, newlines included; the message must stay one line.
    throw new ModelError(dir, `${CONFIG_FILE} is not valid JSON (${(error as Error).message.replace(/\s+/g, ' ')})`)
  }
  return parseModelConfig(value, dir)
}

/** Validate a parsed config; every problem is a ModelError naming the field. */
export function parseModelConfig(value: unknown, dir: string): ModelConfig {
  const fail = (problem: string): never => {
    throw new ModelError(dir, `${CONFIG_FILE}: ${problem}`)
  }
  // A value quoted in a message is cut short: a one-line error, not a dump of the file.
  const shown = (v: unknown): string => {
    const text = JSON.stringify(v) ?? String(v)
    return text.length > 40 ? `${text.slice(0, 40)}...` : text
  }
  const obj = (v: unknown, name: string): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(`${name} must be an object`))
  const num = (v: unknown, name: string, min = -Infinity, max = Infinity): number =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : fail(`${name} must be a number in [${min}, ${max}], got ${shown(v)}`)
  const int = (v: unknown, name: string, min = 0, max = 1e9): number => (Number.isInteger(v) ? num(v, name, min, max) : fail(`${name} must be an integer, got ${shown(v)}`))
  const str = (v: unknown, name: string): string => (typeof v === 'string' && v.length > 0 ? v : fail(`${name} must be a non-empty string`))

  const root = obj(value, 'the file')
  if (root.format !== CONFIG_FORMAT) fail(`format must be "${CONFIG_FORMAT}"`)
  if (root.version !== CONFIG_VERSION) fail(`version ${shown(root.version)} is not supported (this rnn-wake reads version ${CONFIG_VERSION})`)
  const word = str(root.word, 'word')

  const p = obj(root.preset, 'preset')
  const conv = obj(p.conv, 'preset.conv')
  const units = Array.isArray(p.gruUnits) && p.gruUnits.length > 0 ? p.gruUnits : fail('preset.gruUnits must be a non-empty array')
  const recurrentActivation = p.recurrentActivation === 'sigmoid' || p.recurrentActivation === 'hardSigmoid' ? p.recurrentActivation : fail('preset.recurrentActivation must be "sigmoid" or "hardSigmoid"')
  const preset: ModelPreset = {
    name: str(p.name, 'preset.name'),
    features: int(p.features, 'preset.features', 1, 100_000),
    conv: {filters: int(conv.filters, 'preset.conv.filters', 1), kernelSize: int(conv.kernelSize, 'preset.conv.kernelSize', 1), strides: int(conv.strides, 'preset.conv.strides', 1)},
    gruUnits: units.map((u, i) => int(u, `preset.gruUnits[${i}]`, 1, 100_000)),
    dropout: num(p.dropout, 'preset.dropout', 0, 0.99),
    recurrentActivation,
  }

  const f = obj(root.features, 'features')
  let features: ModelFeatures
  if (f.kind === 'speech-embedding') {
    const weights = str(f.weights, 'features.weights')
    if (!/^[0-9a-f]{64}$/.test(weights)) fail('features.weights must be the sha256 of the front end weights')
    features = {kind: 'speech-embedding', sampleRate: int(f.sampleRate, 'features.sampleRate', 1000, 1_000_000), weights} satisfies SpeechEmbeddingFeatures
    if (preset.features !== EMBEDDING_SIZE) fail(`preset.features (${preset.features}) does not match the speech embedding's ${EMBEDDING_SIZE} values`)
  } else {
    if (f.kind !== undefined && f.kind !== 'spectrogram') fail('features.kind must be "spectrogram" or "speech-embedding"')
    const s = obj(f.spectrogram, 'features.spectrogram')
    const t = obj(f.transform, 'features.transform')
    const transform: FeatureTransform =
      t.kind === 'none' ? {kind: 'none'} : t.kind === 'log10' ? {kind: 'log10', offset: num(t.offset, 'features.transform.offset', Number.MIN_VALUE), ...(t.bins === undefined ? {} : {bins: int(t.bins, 'features.transform.bins', 1, 100_000)})} : fail('features.transform.kind must be "none" or "log10"')
    const spectrogramConfig: FeatureConfig = {
      sampleRate: int(f.sampleRate, 'features.sampleRate', 1000, 1_000_000),
      spectrogram: {nfft: int(s.nfft, 'features.spectrogram.nfft', 4, 1 << 16), hop: int(s.hop, 'features.spectrogram.hop', 1, 1 << 16), fsLabel: num(s.fsLabel, 'features.spectrogram.fsLabel', Number.MIN_VALUE)},
      transform,
    }
    if (spectrogramConfig.spectrogram.nfft % 2 !== 0) fail('features.spectrogram.nfft must be even')
    const inputBins = frontEndBins(spectrogramConfig)
    if (inputBins !== preset.features) fail(`preset.features (${preset.features}) does not match the front end's ${inputBins} bins`)
    features = spectrogramConfig
  }

  const tr = obj(root.trigger, 'trigger')
  const trigger: TriggerParams = {
    threshold: num(tr.threshold, 'trigger.threshold', Number.MIN_VALUE, 1 - Number.EPSILON),
    minSteps: int(tr.minSteps, 'trigger.minSteps', 1),
    refractorySteps: int(tr.refractorySteps, 'trigger.refractorySteps', 0),
    ...(tr.rearmRatio === undefined ? {} : {rearmRatio: num(tr.rearmRatio, 'trigger.rearmRatio', Number.MIN_VALUE, 1)}),
    ...(tr.smoothSteps === undefined ? {} : {smoothSteps: int(tr.smoothSteps, 'trigger.smoothSteps', 1, 1000)}),
  }

  let vocabulary: VocabularyConfig | undefined
  if (root.vocabulary !== undefined) {
    const v = obj(root.vocabulary, 'vocabulary')
    const tokens = Array.isArray(v.tokens) ? v.tokens.map((tok, i) => str(tok, `vocabulary.tokens[${i}]`)) : fail('vocabulary.tokens must be an array')
    if (new Set(tokens).size !== tokens.length) fail('vocabulary.tokens has duplicates')
    vocabulary = {
      unit: v.unit === 'word' || v.unit === 'char' ? v.unit : fail('vocabulary.unit must be "word" or "char"'),
      tokens,
      blank: int(v.blank, 'vocabulary.blank', 0, tokens.length),
    }
    if (v.decoder !== undefined) {
      const d = obj(v.decoder, 'vocabulary.decoder')
      vocabulary.decoder =
        d.kind === 'best-path'
          ? {kind: 'best-path', smoothSteps: int(d.smoothSteps, 'vocabulary.decoder.smoothSteps', 1, 1000)}
          : d.kind === 'beam'
            ? {kind: 'beam', beamWidth: int(d.beamWidth, 'vocabulary.decoder.beamWidth', 1, 1000)}
            : fail('vocabulary.decoder.kind must be "best-path" or "beam"')
    }
    if (vocabulary.blank !== tokens.length) fail('vocabulary.blank must be tokens.length (blank last)')
  }
  let members: string[] | undefined
  if (root.members !== undefined) {
    members = Array.isArray(root.members) ? root.members.map((m, i) => str(m, `members[${i}]`)) : fail('members must be an array of folder names')
    // Plain names only: a member path must not lead out of the model directory.
    const bad = members.find((m) => !/^[\w.-]+$/.test(m) || m === '.' || m === '..')
    if (bad !== undefined) fail(`members: ${shown(bad)} is not a plain subfolder name`)
    if (new Set(members).size !== members.length) fail('members has duplicates')
  }
  let thresholds: Record<string, number> | undefined
  if (root.thresholds !== undefined) {
    const named = obj(root.thresholds, 'thresholds')
    thresholds = {}
    for (const [name, value] of Object.entries(named)) {
      if (!THRESHOLD_NAME.test(name)) fail(`thresholds: ${shown(name)} is not a threshold name (lowercase letters, digits and "-", starting with a letter)`)
      thresholds[name] = num(value, `thresholds.${name}`, Number.MIN_VALUE, 1 - Number.EPSILON)
    }
  }
  const training = root.training === undefined ? undefined : obj(root.training, 'training')
  return {format: CONFIG_FORMAT, version: CONFIG_VERSION, word, preset, features, trigger, vocabulary, ...(members ? {members} : {}), ...(thresholds ? {thresholds} : {}), training}
}
