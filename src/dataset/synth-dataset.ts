import {writeFile} from 'node:fs/promises'
import {availableParallelism} from 'node:os'
import {join, resolve} from 'node:path'
import {Worker} from 'node:worker_threads'

import {existingFolder, writeDirAtomic} from '../util/atomic.js'
import {ExitCode, type ExitCodeName, UserError, describeError} from '../util/errors.js'
import {encodeNpy} from '../util/npy.js'
import type {LoadedSources} from './clips.js'
import {DATASET_FILE, type DatasetInfo, LABELS_FILE, MANIFEST_FILE} from './manifest.js'
import {COURSE_PARAMS, type SynthParams} from './synth.js'
import {exampleSamples} from './synth-labels.js'
import {type RenderJob, type Rendered, renderExample} from './synth-render.js'
import type {WorkerReply} from './synth-worker.js'

/** Writing a whole synthesized dataset directory: the parallel, on-disk side of synthesizeExample. */

export interface SynthesizeDatasetOptions {
  out: string
  count: number
  seed: number
  /** Worker threads; 1 runs in this thread. Default: the number of cores. Never changes the output. */
  workers?: number
  params?: SynthParams
  /** Replace an existing dataset at `out` (never a directory that is not a dataset). */
  replace?: boolean
  /** Recorded in dataset.json: how the sources were given. */
  layout?: 'course' | 'words'
  onProgress?: (done: number, total: number) => void
  /** Aborting stops the work and removes the half-built dataset (Ctrl-C). */
  signal?: AbortSignal
}

export interface DatasetStats {
  examples: number
  triggers: number
  negatives: number
  /** Triggers followed by a command phrase, and the words those phrases placed. */
  phrases: number
  phraseWords: number
  /** Clips drawn but left out for lack of room. */
  skipped: number
  /** triggersPerExample[k] = examples holding k triggers. */
  triggersPerExample: number[]
  negativesPerExample: number[]
}

export interface SynthesizeResult {
  out: string
  count: number
  seed: number
  workers: number
  seconds: number
  stats: DatasetStats
}

/**
 * Refuse an output that would destroy something: an existing dataset is
 * replaced only when asked, anything else that is not empty never.
 */
export async function checkOutputDir(out: string, replace: boolean): Promise<void> {
  const names = await existingFolder(out)
  if (names === undefined || names.length === 0) return
  if (!names.includes(DATASET_FILE)) throw new UserError(`Cannot write ${out}: the folder exists and does not hold a dataset; choose another --out`, 'output')
  if (!replace) throw new UserError(`Cannot write ${out}: it already holds a dataset; pass --force to replace it`, 'output')
}

function interrupted(): UserError {
  return new UserError('Stopped by Ctrl-C; no dataset was written', 'interrupted')
}

function kindOf(exitCode: number | undefined): ExitCodeName {
  const found = (Object.keys(ExitCode) as ExitCodeName[]).find((k) => ExitCode[k] === exitCode)
  return found ?? 'internal'
}

/** Hand out indices one at a time (two in flight per worker) so a slow worker never holds up the rest. */
async function renderWithWorkers(job: RenderJob, workers: number, onResult: (r: Rendered) => void, signal?: AbortSignal): Promise<void> {
  const url = new URL('./synth-worker.js', import.meta.url)
  const pool = Array.from({length: workers}, () => new Worker(url, {workerData: job}))
  let next = 0
  let done = 0
  try {
    await new Promise<void>((resolvePool, reject) => {
      signal?.addEventListener('abort', () => reject(interrupted()), {once: true})
      const feed = (w: Worker): void => {
        if (next < job.count) w.postMessage(next++)
      }
      for (const w of pool) {
        w.on('message', (reply: WorkerReply) => {
          if (!reply.ok) {
            reject(reply.exitCode === undefined ? new Error(`example ${reply.index}: ${reply.message}`) : new UserError(reply.message, kindOf(reply.exitCode)))
            return
          }
          onResult(reply.rendered)
          done++
          if (done === job.count) resolvePool()
          else feed(w)
        })
        w.on('error', reject)
        w.on('exit', (code) => {
          if (done < job.count) reject(new Error(`a synthesis worker stopped (exit code ${code}) before the dataset was complete`))
        })
        feed(w)
        feed(w)
      }
    })
  } finally {
    await Promise.all(pool.map((w) => w.terminate()))
  }
}

function datasetInfo(loaded: LoadedSources, options: SynthesizeDatasetOptions, params: SynthParams, stats: DatasetStats): DatasetInfo {
  const {sampleRate, durationMs, ty, labelSteps} = params
  const words = new Map<string, number>()
  for (const c of [...loaded.sources.triggers, ...loaded.sources.negatives]) words.set(c.word, (words.get(c.word) ?? 0) + 1)
  return {
    format: 'rnn-wake-dataset',
    version: 1,
    generator: 'rnn-wake synthesize',
    count: options.count,
    seed: options.seed,
    geometry: {sampleRate, durationMs, ty, labelSteps},
    samplesPerExample: exampleSamples(params),
    labels: {file: LABELS_FILE, dtype: 'uint8', shape: [options.count, ty]},
    manifest: MANIFEST_FILE,
    params: {
      backgroundGainDb: params.backgroundGainDb,
      targetDbfs: params.targetDbfs,
      maxTriggers: params.maxTriggers,
      maxNegatives: params.maxNegatives,
      placementTries: params.placementTries,
      clipGainDb: params.clipGainDb,
      snrDb: params.snrDb,
      speed: params.speed,
      phraseProb: params.phraseProb,
      phraseGapMs: params.phraseGapMs,
    },
    layout: options.layout ?? 'course',
    // Manifest clips name their phrase by its index here; [] when none were given (phraseProb then has no effect).
    phrases: loaded.sources.phrases ?? [],
    trigger: loaded.sources.trigger,
    words: [...words].map(([word, clips]) => ({word, trigger: word === loaded.sources.trigger, clips})),
    backgrounds: loaded.sources.backgrounds.length,
    inputs: loaded.inputs,
    stats,
    sources: loaded.files,
  }
}

/**
 * Synthesize `count` examples into `out`, which appears complete or not at
 * all. The bytes depend only on the sources, seed, count and params.
 */
export async function synthesizeDataset(loaded: LoadedSources, options: SynthesizeDatasetOptions): Promise<SynthesizeResult> {
  const params = options.params ?? COURSE_PARAMS
  const {count, seed} = options
  if (!Number.isSafeInteger(count) || count < 1) throw new UserError(`--count must be a positive integer, not ${count}`, 'usage')
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`--seed must be a non-negative integer, not ${seed}`, 'usage')
  const out = resolve(options.out)
  await checkOutputDir(out, options.replace ?? false)
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), count))
  const started = performance.now()

  const stats: DatasetStats = {
    examples: count,
    triggers: 0,
    negatives: 0,
    phrases: 0,
    phraseWords: 0,
    skipped: 0,
    triggersPerExample: new Array(params.maxTriggers + 1).fill(0),
    negativesPerExample: new Array(params.maxNegatives + 1).fill(0),
  }
  const labels = new Uint8Array(count * params.ty)
  const lines: string[] = new Array(count)
  let done = 0
  const collect = (r: Rendered): void => {
    labels.set(r.labels, r.index * params.ty)
    lines[r.index] = r.line
    stats.triggers += r.triggers
    stats.negatives += r.negatives
    stats.phrases += r.phrases
    stats.phraseWords += r.phraseWords
    stats.skipped += r.skipped
    stats.triggersPerExample[r.triggers]++
    stats.negativesPerExample[r.negatives]++
    options.onProgress?.(++done, count)
  }

  try {
    await writeDirAtomic(out, async (dir) => {
      const job: RenderJob = {sources: loaded.sources, params, seed, count, dir}
      if (workers === 1) {
        for (let i = 0; i < count; i++) {
          if (options.signal?.aborted) throw interrupted()
          collect(await renderExample(job, i))
        }
      } else {
        await renderWithWorkers(job, workers, collect, options.signal)
      }
      if (options.signal?.aborted) throw interrupted()
      await writeFile(join(dir, LABELS_FILE), encodeNpy(labels, [count, params.ty]))
      await writeFile(join(dir, MANIFEST_FILE), lines.join('\n') + '\n')
      await writeFile(join(dir, DATASET_FILE), JSON.stringify(datasetInfo(loaded, options, params, stats), null, 2) + '\n')
    })
  } catch (error) {
    if (error instanceof UserError) throw error
    const code = (error as NodeJS.ErrnoException).code
    // Filesystem failures are the user's to fix (space, permissions); anything else is a bug and keeps its stack.
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) throw new UserError(`Cannot write ${out}: ${describeError(error)}`, 'output')
    throw error
  }
  return {out, count, seed, workers, seconds: (performance.now() - started) / 1000, stats}
}
