import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdir, readdir, rename, rm, stat, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {UserError, describeError} from './errors.js'

/** A sibling temporary path, so that the final rename stays on one filesystem (and is atomic). */
export function tempSibling(path: string, suffix: 'tmp' | 'old' = 'tmp'): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.${suffix}`)
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
 * What is at an output path a command is about to create: undefined when
 * nothing is there, the entries when it is a folder; anything else (a file,
 * an unreadable path) is an output error naming it.
 */
export async function existingFolder(out: string): Promise<string[] | undefined> {
  let isDir: boolean
  try {
    isDir = (await stat(out)).isDirectory()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new UserError(`Cannot write ${out}: ${describeError(error)}`, 'output')
  }
  if (!isDir) throw new UserError(`Cannot write ${out}: it exists and is not a folder`, 'output')
  return readdir(out)
}

/**
 * Build a directory under a temporary name and rename it into place only once
 * `build` finished, so a directory at `path` is always complete. An existing
 * directory at `path` is replaced only after the new one is complete.
 */
export async function writeDirAtomic(path: string, build: (tmpDir: string) => Promise<void>): Promise<void> {
  await removeStaleTemps(path)
  const tmp = tempSibling(path)
  await mkdir(tmp, {recursive: true})
  try {
    await build(tmp)
    // '.old', not '.tmp': a crash right here leaves the previous directory under this name, and
    // removeStaleTemps puts it back rather than deleting it.
    const old = tempSibling(path, 'old')
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

/** Whether a process with this pid is running (EPERM: it is, but not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Temporary siblings of `path` left by a process that died (kill -9, power
 * loss) before it could rename or remove them; their names carry the pid.
 * Half-built '.tmp' directories of dead processes are removed; a previous
 * directory parked as '.old' by a process that died mid-swap is put back when
 * nothing took its place. Live processes' siblings are left alone.
 */
export async function removeStaleTemps(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`
  let names: string[]
  try {
    names = await readdir(dirname(path))
  } catch {
    return
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !(name.endsWith('.tmp') || name.endsWith('.old'))) continue
    const pid = Number(name.slice(prefix.length).split('.')[0])
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue
    const stale = join(dirname(path), name)
    if (name.endsWith('.old') && !existsSync(path)) await rename(stale, path)
    else await rm(stale, {recursive: true, force: true})
  }
}
