import {createHash} from 'node:crypto'
import {mkdir, readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'

import type {Clip} from '../../dataset/clips.js'
import {EMBEDDING_SIZE} from '../../features/speech-embedding.js'
import {writeFileAtomic} from '../../util/atomic.js'
import type {EmbeddedExample, ExampleSet} from './data.js'

/**
 * Embedded examples cached on disk, keyed by content: the clips' samples, how they are mixed
 * (seed, examples per clip, format version) and the front end's weights. A second run on the
 * same clips (another training seed, more steps) skips the front end entirely.
 */
const VERSION = 1

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rnn-wake', 'examples')
}

/** A clip's content, hashed (its examples' cache key and seed). */
export function clipHash(clip: Clip): string {
  return createHash('sha256').update(new Uint8Array(clip.samples.buffer, clip.samples.byteOffset, clip.samples.byteLength)).digest('hex').slice(0, 32)
}

/** Hash of a list of clips (the other words a clip's examples draw from). */
export function clipsHash(clips: readonly Clip[]): string {
  const h = createHash('sha256').update(String(clips.length))
  for (const clip of clips) h.update(clipHash(clip))
  return h.digest('hex').slice(0, 32)
}

export function examplesKey(parts: {weights: string; seed: number; perClip: number; clip: string; others: string}): string {
  return createHash('sha256').update(JSON.stringify({v: VERSION, ...parts})).digest('hex').slice(0, 40)
}

function encode(set: ExampleSet): Buffer {
  const all = [...set.positives, ...set.negatives]
  const header = Buffer.from(JSON.stringify({positives: set.positives.length, examples: all.map((e) => ({steps: e.steps, positiveSteps: e.positiveSteps, ...(e.words ? {words: e.words} : {})}))}))
  const data = new Float32Array(all.reduce((n, e) => n + e.data.length, 0))
  let at = 0
  for (const e of all) {
    data.set(e.data, at)
    at += e.data.length
  }
  const length = Buffer.alloc(4)
  length.writeUInt32LE(header.length)
  return Buffer.concat([length, header, Buffer.from(data.buffer)])
}

function decode(bytes: Buffer): ExampleSet | undefined {
  try {
    const n = bytes.readUInt32LE(0)
    const header = JSON.parse(bytes.subarray(4, 4 + n).toString()) as {positives: number; examples: Array<Pick<EmbeddedExample, 'steps' | 'positiveSteps' | 'words'>>}
    const body = bytes.subarray(4 + n)
    const data = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength))
    let at = 0
    const all: EmbeddedExample[] = header.examples.map((e) => {
      const out: EmbeddedExample = {steps: e.steps, positiveSteps: e.positiveSteps, data: data.subarray(at, at + e.steps * EMBEDDING_SIZE), ...(e.words ? {words: e.words} : {})}
      at += e.steps * EMBEDDING_SIZE
      return out
    })
    if (at !== data.length) return undefined
    return {positives: all.slice(0, header.positives), negatives: all.slice(header.positives)}
  } catch {
    return undefined
  }
}

/** The cached set, or a fresh one made by `make` and stored (a damaged cache file is made again). */
export async function cachedExamples(dir: string | undefined, key: string, make: () => ExampleSet): Promise<{set: ExampleSet; cached: boolean}> {
  if (dir === undefined) return {set: make(), cached: false}
  const file = join(dir, `${key}.bin`)
  const hit = await readFile(file).then(decode, () => undefined)
  if (hit !== undefined) return {set: hit, cached: true}
  const set = make()
  try {
    await mkdir(dir, {recursive: true})
    await writeFileAtomic(file, encode(set))
  } catch {
    // A cache that cannot be written only costs time next run.
  }
  return {set, cached: false}
}
