import {copyFile, mkdir} from 'node:fs/promises'
import {dirname, isAbsolute, join, relative, resolve, sep} from 'node:path'

import {existingFolder, writeDirAtomic} from '../util/atomic.js'
import {UserError} from '../util/errors.js'
import {type ModelConfig, writeModelConfig} from './config.js'
import {isSpeechEmbedding} from '../features/front-end.js'
import {MODEL_JSON, WEIGHTS_BIN} from './io.js'
import {loadDetector} from './model-dir.js'

/**
 * Why ensembles: networks trained alike from different seeds miss different
 * triggers and fire on different moments, so the mean of their probabilities
 * separates triggers from everything else better than any one of them
 * (measured for models/activate in bench/RESULTS.md); the cost is one more
 * forward pass per member.
 */

/** The subfolder of an ensemble's network `index` (0-based; network 0 is at the top level): member-2, member-3, ... */
export const memberFolder = (index: number): string => `member-${index + 1}`

/** A network to copy into the ensemble: the folder holding its model.json and weights.bin. */
interface NetworkSource {
  folder: string
  /** How it was trained, as far as its model directory says. */
  facts: Record<string, unknown>
}

export interface EnsembleResult {
  out: string
  config: ModelConfig
  /** Networks in the ensemble (an ensemble given as a source counts with all of its members). */
  networks: number
}

/**
 * Combine trained model directories into one ensemble directory at `out`:
 * the first source's network at the top level (so the directory also reads as
 * that one model), every other network in a member-N subfolder, and an
 * rnn-wake.json listing them. All sources must agree on the trigger word, the
 * front end, the network shape and the vocabulary, except that a log front end
 * may be band-limited (fewer bins): the source with the most bins goes to the
 * top level and sets the front end and trigger settings, and the others read
 * its lowest bins. The threshold starts as the
 * mean of the sources' thresholds; calibrate it on the ensemble with
 * "rnn-wake evaluate --target-fa N --write-threshold". The directory appears
 * complete or not at all; `out` may be one of the sources (with `force`).
 */
export async function writeEnsemble(out: string, sourceDirs: readonly string[], options: {force?: boolean; rearmRatio?: number} = {}): Promise<EnsembleResult> {
  if (sourceDirs.length < 2) throw new UserError(`An ensemble needs at least two models, got ${sourceDirs.length}`, 'usage')
  const seen = new Set<string>()
  for (const dir of sourceDirs) {
    if (seen.has(resolve(dir))) throw new UserError(`${dir} is given twice: an ensemble of a model with itself only costs time`, 'usage')
    seen.add(resolve(dir))
  }
  const loaded: {dir: string; config: ModelConfig}[] = []
  for (const dir of sourceDirs) {
    // Full load: every network of every source gets the checks detect would make.
    const detector = await loadDetector(dir)
    for (const network of detector.networks) network.dispose()
    loaded.push({dir, config: detector.config})
  }
  // The widest front end goes first: its network is the top-level one, and the narrower ones read its lowest bins.
  const ordered = [...loaded].sort((a, b) => b.config.preset.features - a.config.preset.features)
  const dirs = ordered.map((s) => s.dir)
  const configs = ordered.map((s) => s.config)
  const first = configs[0]
  for (const [i, config] of configs.entries()) {
    const problem = mismatch(first, config)
    if (problem !== undefined) throw new UserError(`Cannot combine ${dirs[i]} with ${dirs[0]}: ${problem}`, 'badModel')
  }
  const existing = await existingFolder(out)
  if (existing !== undefined && existing.length > 0 && !options.force) {
    throw new UserError(`Cannot write ${out}: the folder exists and is not empty (pass --force to replace it)`, 'output')
  }

  const networks: NetworkSource[] = dirs.flatMap((dir, i) => ['.', ...(configs[i].members ?? [])].map((m, j) => ({folder: m === '.' ? dir : join(dir, m), facts: {...trainingFacts(configs[i], j), features: configs[i].preset.features}})))
  const members = networks.slice(1).map((_, i) => memberFolder(i + 1))
  const mean = configs.reduce((sum, c) => sum + c.trigger.threshold, 0) / configs.length
  // Rounded to two decimals, unless that would make it 1 (thresholds of confident networks are 0.9999...).
  const threshold = Math.round(100 * mean) / 100 < 1 ? Math.round(100 * mean) / 100 : mean
  // Named thresholds were calibrated on one network's outputs, not on the average: not carried over.
  const {thresholds: _named, ...base} = first
  const config: ModelConfig = {
    ...base,
    trigger: {...first.trigger, threshold, ...(options.rearmRatio === undefined ? {} : {rearmRatio: options.rearmRatio})},
    members,
    training: {ensemble: networks.map((n, i) => ({...n.facts, network: i === 0 ? '.' : members[i - 1], ...fromField(out, n.folder)}))},
  }
  await writeDirAtomic(out, async (tmp) => {
    for (const [i, network] of networks.entries()) {
      const to = i === 0 ? tmp : join(tmp, members[i - 1])
      await mkdir(to, {recursive: true})
      for (const file of [MODEL_JSON, WEIGHTS_BIN]) await copyFile(join(network.folder, file), join(to, file))
    }
    await writeModelConfig(tmp, config)
  })
  return {out, config, networks: networks.length}
}

/**
 * Where a network came from, relative to the ensemble's directory, when the
 * source lies beside it (in the same parent folder or below): "../seed-2",
 * still true when the folder is copied or checked out elsewhere. A source
 * elsewhere (a temporary training folder, another user's home) is left out:
 * its absolute path would mean nothing on another machine.
 */
function fromField(out: string, folder: string): {from?: string} {
  const base = resolve(out)
  const source = resolve(folder)
  const fromParent = relative(dirname(base), source)
  if (fromParent.startsWith('..') || isAbsolute(fromParent)) return {}
  return {from: relative(base, source).split(sep).join('/') || '.'}
}

/** Why two model descriptions cannot be averaged step by step, or undefined when they can. */
function mismatch(a: ModelConfig, b: ModelConfig): string | undefined {
  if (a.word !== b.word) return `it detects "${b.word}", not "${a.word}"`
  // A band-limited log front end (transform.bins) is the lowest bins of the full one: b may read fewer than a.
  const frontEnd = (c: ModelConfig) => {
    const f = c.features
    return JSON.stringify(isSpeechEmbedding(f) ? f : {...f, transform: f.transform.kind === 'log10' ? {...f.transform, bins: undefined} : f.transform})
  }
  if (frontEnd(a) !== frontEnd(b) || b.preset.features > a.preset.features) return 'their front ends (features in rnn-wake.json) differ'
  const shape = (c: ModelConfig) => JSON.stringify({...c.preset, name: undefined, dropout: undefined, features: undefined})
  if (shape(a) !== shape(b)) return `their networks differ (preset ${b.preset.name} vs ${a.preset.name})`
  const tokens = (c: ModelConfig) => JSON.stringify(c.vocabulary ? [c.vocabulary.unit, c.vocabulary.tokens] : null)
  if (tokens(a) !== tokens(b)) return 'their CTC vocabularies differ'
  return undefined
}

/**
 * The facts about a network's training worth keeping beside the ensemble (its
 * seed above all): network `index` of a source (0: its top-level one), whose
 * facts an ensemble source already lists.
 */
function trainingFacts(config: ModelConfig, index: number): Record<string, unknown> {
  const listed = config.training?.ensemble
  if (Array.isArray(listed)) {
    // Its `from` was relative to that source; writeEnsemble works out the new one.
    const {from: _, ...facts} = listed[index] as Record<string, unknown>
    return facts
  }
  const t = config.training ?? {}
  const keep = ['seed', 'epochs', 'examplesSeen', 'trainSeconds', 'lr', 'lrDecay', 'dataSha256', 'rnnWakeVersion']
  return Object.fromEntries(keep.filter((k) => t[k] !== undefined).map((k) => [k, t[k]]))
}
