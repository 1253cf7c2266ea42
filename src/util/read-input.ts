import {readFile} from 'node:fs/promises'

import {InputError} from './errors.js'

/** A data file's bytes, or the one-line input error naming it (absent, or unreadable). */
export async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (error) {
    throw new InputError(file, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot read it')
  }
}
