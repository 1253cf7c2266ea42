import {parentPort, workerData} from 'node:worker_threads'

import {UserError} from '../util/errors.js'
import {type RenderJob, renderExample} from './synth-render.js'

/**
 * Worker thread of `synthesizeDataset`: receives example indices, writes
 * their WAVs, and answers with labels and manifest lines. Which worker makes
 * which example does not matter: an example depends only on (seed, index).
 */

export type WorkerReply =
  | {ok: true; rendered: Awaited<ReturnType<typeof renderExample>>}
  | {ok: false; index: number; message: string; exitCode?: number}

const job = workerData as RenderJob
const port = parentPort
if (!port) throw new Error('synth-worker must run as a worker thread')

port.on('message', (index: number) => {
  renderExample(job, index).then(
    (rendered) => port.postMessage({ok: true, rendered} satisfies WorkerReply, [rendered.labels.buffer as ArrayBuffer]),
    (error: unknown) => {
      const reply: WorkerReply =
        error instanceof UserError
          ? {ok: false, index, message: error.message, exitCode: error.exitCode}
          : {ok: false, index, message: error instanceof Error ? (error.stack ?? error.message) : String(error)}
      port.postMessage(reply)
    },
  )
})
