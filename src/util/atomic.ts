import {randomBytes} from 'node:crypto'
import {mkdir, rename, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {UserError, describeError} from './errors.js'

/** A sibling temporary path, so that the final rename stays on one filesystem (and is atomic). */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
}

/**
 * Write a file so that readers see either the old content or the whole new one,
 * never a half-written file: write a temporary sibling, then rename over the target.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempSibling(path)
  try {
    await mkdir(dirname(path), {recursive: true})
    await writeFile(tmp, data)
    await rename(tmp, path)
  } catch (error) {
    await rm(tmp, {force: true})
    throw new UserError(`Cannot write ${path}: ${describeError(error)}`, 'output')
  }
}

/**
 * Build a directory under a temporary name and rename it into place only once
 * `build` finished, so a directory at `path` is always complete. An existing
 * directory at `path` is replaced only after the new one is complete.
 */
export async function writeDirAtomic(path: string, build: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmp = tempSibling(path)
  await mkdir(tmp, {recursive: true})
  try {
    await build(tmp)
    const old = tempSibling(path)
    let moved = false
    try {
      await rename(path, old)
      moved = true
    } catch {
      // no previous directory
    }
    await rename(tmp, path)
    if (moved) await rm(old, {recursive: true, force: true})
  } catch (error) {
    await rm(tmp, {recursive: true, force: true})
    throw error
  }
}
