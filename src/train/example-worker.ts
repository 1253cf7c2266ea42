import {parentPort, workerData} from 'node:worker_threads'

import {UserError} from '../util/errors.js'
import {type ExampleRequest, LocalMaker, type MakerInit, type WorkerReply} from './example-maker.js'

/** Worker thread of createExampleMaker: one request in, one example out (its buffers transferred). */

const port = parentPort
if (!port) throw new Error('example-worker must run as a worker thread')
const maker = new LocalMaker(workerData as MakerInit)

// One at a time, in arrival order: the main thread asks for a batch ahead, so a queue is all it needs.
let chain = Promise.resolve()
port.on('message', ({id, request}: {id: number; request: ExampleRequest}) => {
  chain = chain.then(() =>
    maker.make(request).then(
      (example) => port.postMessage({id, ok: true, example} satisfies WorkerReply, [example.features.buffer as ArrayBuffer]),
      (error: unknown) => {
        const reply: WorkerReply =
          error instanceof UserError
            ? {id, ok: false, message: error.message, exitCode: error.exitCode}
            : {id, ok: false, message: error instanceof Error ? (error.stack ?? error.message) : String(error)}
        port.postMessage(reply)
      },
    ),
  )
})
