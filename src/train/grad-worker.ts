import {parentPort, workerData} from 'node:worker_threads'

import {selectBackend} from '../model/backend.js'
import {buildModel} from '../model/build.js'
import {freezeLayers} from '../model/encoder.js'
import {UserError} from '../util/errors.js'
import {type GradInit, type GradReply, type GradRequest, readFlat, replicaWeights, shardGradients, writeFlat} from './parallel.js'

/**
 * Worker thread of the data-parallel stepper (parallel.ts): a replica of the
 * network on its own backend instance. Each request brings the weights of
 * the moment and a shard; the reply carries the shard's loss, its gradient
 * and the BatchNorm statistics the training call left, all as transferred
 * buffers.
 */

const port = parentPort
if (!port) throw new Error('grad-worker must run as a worker thread')

function errorReply(error: unknown, id?: number): GradReply {
  const base = id === undefined ? {} : {id}
  if (error instanceof UserError) return {type: 'error', ...base, message: error.message, exitCode: error.exitCode}
  return {type: 'error', ...base, message: error instanceof Error ? (error.stack ?? error.message) : String(error)}
}

function sameShapes(a: readonly number[][], b: readonly number[][]): boolean {
  return a.length === b.length && a.every((s, i) => s.length === b[i].length && s.every((d, j) => d === b[i][j]))
}

async function start(init: GradInit): Promise<void> {
  await selectBackend(init.backend)
  const model = buildModel(init.preset, {fused: true, ctcTokens: init.ctcTokens})
  freezeLayers(model, init.frozen)
  const {trainable, fixed} = replicaWeights(model)
  const shapes = {trainable: trainable.map((w) => [...w.read().shape]), fixed: fixed.map((w) => [...w.read().shape])}
  if (!sameShapes(shapes.trainable, init.shapes.trainable) || !sameShapes(shapes.fixed, init.shapes.fixed)) {
    throw new Error(`the replica built from preset "${init.preset.name}" does not match the training model's weights`)
  }
  const trainableSize = trainable.reduce((a, w) => a + w.read().size, 0)

  port!.on('message', (request: GradRequest) => {
    try {
      writeFlat(trainable, request.weights, 0)
      writeFlat(fixed, request.weights, trainableSize)
      const r = shardGradients(model, request.batch, init.loss, request.targets)
      const after = readFlat(fixed)
      const reply: GradReply = {type: 'result', id: request.id, loss: r.loss, ...(r.ctcLoss === undefined ? {} : {ctcLoss: r.ctcLoss}), grads: r.grads, present: r.present, fixed: after}
      port!.postMessage(reply, [r.grads.buffer as ArrayBuffer, after.buffer as ArrayBuffer])
    } catch (error) {
      port!.postMessage(errorReply(error, request.id))
    }
  })
  port!.postMessage({type: 'ready'} satisfies GradReply)
}

start(workerData as GradInit).catch((error: unknown) => port.postMessage(errorReply(error)))
