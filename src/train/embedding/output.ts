import {readdir, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {CONFIG_FILE} from '../../model/config.js'
import {UserError} from '../../util/errors.js'

/** Refuse to overwrite a model or a non-empty folder unless forced (checked before any training). */
export async function prepareOutput(out: string, force: boolean): Promise<void> {
  let entries: string[]
  try {
    if (!(await stat(out)).isDirectory()) throw new UserError(`Cannot write ${out}: it is a file, not a folder`, 'output')
    entries = await readdir(out)
  } catch (error) {
    if (error instanceof UserError) throw error
    return
  }
  if (force || entries.length === 0) return
  if (entries.includes(CONFIG_FILE)) throw new UserError(`${out} already holds a model: pass --force to replace it`, 'output')
  throw new UserError(`Cannot write ${join(out)}: the folder exists and is not empty; choose another --out`, 'output')
}
