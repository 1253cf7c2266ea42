import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {UserError, describeError} from '../util/errors.js'
import type {SynthSources} from './clips.js'
import {exampleFileName, formatManifestEntry} from './manifest.js'
import {exampleRng} from './rng.js'
import {type SynthParams, synthesizeExample} from './synth.js'
import {encodeWav16} from '../audio/write.js'

/** What a worker needs to make any example of a dataset. */
export interface RenderJob {
  sources: SynthSources
  params: SynthParams
  seed: number
  count: number
  /** The (temporary) dataset directory the WAVs go to. */
  dir: string
}

export interface Rendered {
  index: number
  labels: Uint8Array
  /** The example's manifest line, without the newline. */
  line: string
  triggers: number
  /** Non-trigger clips placed on their own (the course's negatives). */
  negatives: number
  /** Triggers followed by a command phrase. */
  phrases: number
  /** Words placed as part of a phrase. */
  phraseWords: number
  skipped: number
}

/**
 * Make example `index` and write its WAV. Shared by the worker threads and
 * the in-process path, so both produce the same bytes.
 */
export async function renderExample(job: RenderJob, index: number): Promise<Rendered> {
  const {audio, labels, record} = synthesizeExample(job.sources, exampleRng(job.seed, index), job.params)
  const file = exampleFileName(index, job.count)
  const path = join(job.dir, file)
  try {
    await writeFile(path, encodeWav16(audio, job.params.sampleRate))
  } catch (error) {
    throw new UserError(`Cannot write ${path}: ${describeError(error)}`, 'output')
  }
  const triggers = record.clips.filter((c) => c.trigger).length
  const phrases = record.clips.filter((c) => c.trigger && c.group !== undefined).length
  const phraseWords = record.clips.filter((c) => !c.trigger && c.group !== undefined).length
  return {
    index,
    labels,
    line: formatManifestEntry({index, file, ...record}),
    triggers,
    negatives: record.clips.length - triggers - phraseWords,
    phrases,
    phraseWords,
    skipped: record.skipped.length,
  }
}
