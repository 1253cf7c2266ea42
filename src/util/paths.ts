import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * The installed package's root (where package.json, models/ and data/ are),
 * found by walking up, so it is right both from dist/ and from src/ under
 * the test runner.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('rnn-wake: cannot find the package root')
    dir = parent
  }
  return dir
}

/** A file shipped with the package (data/chime.wav, models/activate, ...). */
export function shipped(...parts: string[]): string {
  return join(packageRoot(), ...parts)
}
