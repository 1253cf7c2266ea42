import {Worker} from 'node:worker_threads'

import {deriveRng} from '../dataset/rng.js'
import type {LabelGeometry} from '../dataset/synth-labels.js'
import type {FeatureConfig} from '../features/featurize.js'
import {PowerSpectrum} from '../features/spectrogram.js'
import type {AugmentName} from '../features/augment.js'
import type {ModelPreset} from '../model/presets.js'
import {UserError} from '../util/errors.js'
import {type CorpusSpec, type OpenCorpus, openCorpus} from './corpus.js'
import {type CropOptions, type TrainExample, makeExample} from './examples.js'

/**
 * Making examples (synthesis or WAV reading, spectrogram, labels), in this
 * thread or in worker threads. The wasm backend trains on one thread, so on
 * a 2-core machine a worker keeps the second core busy with the next batch
 * while the current one trains. An example depends only on its request, so
 * the result is the same whichever thread makes it.
 */

export interface MakerInit {
  corpora: Record<string, CorpusSpec>
  preset: ModelPreset
  features: FeatureConfig
  geometry: LabelGeometry
  /** Augmentations of training examples (requests with `augment`); none when absent. */
  augment?: AugmentName[]
}

export interface ExampleRequest {
  corpus: string
  index: number
  seed: number
  crop: CropOptions
  /** Apply MakerInit.augment (training examples, never validation). */
  augment?: boolean
}

/** The per-thread part: open corpora lazily, make examples. */
export class LocalMaker {
  private readonly open = new Map<string, Promise<OpenCorpus>>()
  private readonly power: PowerSpectrum

  constructor(private readonly init: MakerInit) {
    this.power = new PowerSpectrum(init.features.spectrogram)
  }

  async make(request: ExampleRequest): Promise<TrainExample> {
    const spec = this.init.corpora[request.corpus]
    if (spec === undefined) throw new Error(`no corpus named ${request.corpus}`)
    let corpus = this.open.get(request.corpus)
    if (corpus === undefined) {
      corpus = openCorpus(spec)
      this.open.set(request.corpus, corpus)
    }
    const {audio, endsMs, words} = await (await corpus).raw(request.index, request.seed)
    const rng = deriveRng('rnn-wake/crop', request.corpus, request.seed, request.index)
    const names = request.augment ? (this.init.augment ?? []) : []
    // Its own generator, so augmenting leaves the crops (and everything else) where they were.
    const augment = names.length > 0 ? {names, rng: deriveRng('rnn-wake/augment', request.corpus, request.seed, request.index)} : undefined
    return makeExample(audio, endsMs, this.init.preset, this.init.features, this.init.geometry, request.crop, rng, this.power, words, augment)
  }
}

export type WorkerReply = {id: number; ok: true; example: TrainExample} | {id: number; ok: false; message: string; exitCode?: number}

export interface ExampleMaker {
  make(requests: ExampleRequest[]): Promise<TrainExample[]>
  close(): Promise<void>
}

export function createExampleMaker(init: MakerInit, workers: number): ExampleMaker {
  if (workers <= 0) {
    const local = new LocalMaker(init)
    return {
      make: async (requests) => {
        const out: TrainExample[] = []
        for (const r of requests) out.push(await local.make(r))
        return out
      },
      close: async () => {},
    }
  }
  return new WorkerMaker(init, workers)
}

class WorkerMaker implements ExampleMaker {
  private readonly pool: Worker[]
  private readonly pending = new Map<number, {resolve: (e: TrainExample) => void; reject: (e: Error) => void}>()
  private nextId = 0
  private turn = 0
  private failure: Error | undefined
  private closing = false

  constructor(init: MakerInit, workers: number) {
    const url = new URL('./example-worker.js', import.meta.url)
    this.pool = Array.from({length: workers}, () => {
      const w = new Worker(url, {workerData: init})
      w.on('message', (reply: WorkerReply) => {
        const p = this.pending.get(reply.id)
        if (!p) return
        this.pending.delete(reply.id)
        if (reply.ok) p.resolve(reply.example)
        else p.reject(reply.exitCode === undefined ? new Error(reply.message) : Object.assign(new UserError(reply.message), {exitCode: reply.exitCode}))
      })
      w.on('error', (error) => this.fail(error))
      w.on('exit', (code) => {
        if (!this.closing && this.pending.size > 0) this.fail(new Error(`an example worker stopped (exit code ${code})`))
      })
      return w
    })
  }

  private fail(error: Error): void {
    this.failure = error
    for (const p of this.pending.values()) p.reject(error)
    this.pending.clear()
  }

  make(requests: ExampleRequest[]): Promise<TrainExample[]> {
    if (this.failure) return Promise.reject(this.failure)
    return Promise.all(
      requests.map(
        (request) =>
          new Promise<TrainExample>((resolve, reject) => {
            const id = this.nextId++
            this.pending.set(id, {resolve, reject})
            this.pool[this.turn++ % this.pool.length].postMessage({id, request})
          }),
      ),
    )
  }

  async close(): Promise<void> {
    this.closing = true
    await Promise.all(this.pool.map((w) => w.terminate()))
  }
}
