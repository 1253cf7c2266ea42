import {createRequire} from 'node:module'
import {dirname} from 'node:path'

import * as tf from '@tensorflow/tfjs'

import {UserError, describeError} from '../util/errors.js'
import {registerWasmKernels} from './wasm-kernels.js'

// tfjs' own console warnings (the "Hi, looks like you are running TensorFlow.js in Node.js" banner the
// cpu backend prints on its first tensor, initializer notes) speak to developers, not to users of a CLI
// that already says which backend it runs on. Set on import, so a tensor made before selectBackend (a
// test, a bench script, a worker) stays quiet too.
tf.env().set('PROD', true)

/** What `--backend` accepts; `node` is the native TensorFlow backend of @tensorflow/tfjs-node. */
export type BackendChoice = 'node' | 'wasm' | 'cpu'

export const BACKEND_CHOICES: readonly BackendChoice[] = ['node', 'wasm', 'cpu']

/** The tfjs name each choice registers under (tfjs-node calls itself `tensorflow`). */
const TFJS_NAME: Record<BackendChoice, string> = {node: 'tensorflow', wasm: 'wasm', cpu: 'cpu'}

/**
 * Pick the fastest backend that loads: tfjs-node, then wasm, then cpu.
 * With `preferred`, only that one is tried and failing to load it is a usage
 * error rather than a silent fallback, so `--backend wasm` never ends up
 * measuring the cpu backend. Returns the tfjs name of the backend in use.
 */
export async function selectBackend(preferred?: BackendChoice): Promise<string> {
  tf.env().set('PROD', true)
  const order = preferred === undefined ? BACKEND_CHOICES : [preferred]
  const failures: string[] = []
  for (const choice of order) {
    try {
      await activate(choice)
      if (choice === 'wasm') registerWasmKernels()
      return tf.getBackend()
    } catch (error) {
      if (preferred !== undefined) {
        throw new UserError(`Cannot use the ${preferred} backend: ${describeError(error)}`, 'usage')
      }

      failures.push(`${choice}: ${describeError(error)}`)
    }
  }

  throw new Error(`No TensorFlow.js backend could be started (${failures.join('; ')})`)
}

async function activate(choice: BackendChoice): Promise<void> {
  if (choice === 'node') await loadNodeBackend()
  if (choice === 'wasm') await loadWasmBackend()
  // setBackend resolves to false (and tfjs stays on whatever it had) when the
  // backend fails to initialise, so its result is the only reliable signal.
  const ok = await tf.setBackend(TFJS_NAME[choice])
  if (!ok || tf.getBackend() !== TFJS_NAME[choice]) {
    throw new Error(`tf.setBackend('${TFJS_NAME[choice]}') failed`)
  }

  await tf.ready()
}

async function loadNodeBackend(): Promise<void> {
  // A variable specifier keeps TypeScript and bundlers from requiring this
  // optional package at build time: it is absent wherever its install script
  // could not download libtensorflow.
  const name = '@tensorflow/tfjs-node'
  try {
    await import(/* @vite-ignore */ name)
  } catch (error) {
    const code = (error as {code?: string}).code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(`${name} is not installed (it needs internet access at install time)`)
    }

    throw error
  }
}

async function loadWasmBackend(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm')
  // Under Node the backend reads its .wasm binaries from disk; point it at the
  // installed package's dist folder. This is only allowed before the backend
  // first initialises, hence the check of the registry (tf.findBackend would
  // itself start the initialisation).
  if (tf.engine().registry.wasm === undefined) {
    const require = createRequire(import.meta.url)
    const main = require.resolve('@tensorflow/tfjs-backend-wasm')
    wasm.setWasmPaths(`${dirname(main)}/`)
  }
}
