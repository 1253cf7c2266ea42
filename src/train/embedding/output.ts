import {CONFIG_FILE} from '../../model/config.js'
import {existingFolder} from '../../util/atomic.js'
import {UserError} from '../../util/errors.js'

/** Refuse to overwrite a model or a non-empty folder unless forced (checked before any training). */
export async function prepareOutput(out: string, force: boolean): Promise<void> {
  const entries = await existingFolder(out)
  if (force || entries === undefined || entries.length === 0) return
  if (entries.includes(CONFIG_FILE)) throw new UserError(`${out} already holds a model: pass --force to replace it`, 'output')
  throw new UserError(`Cannot write ${out}: the folder exists and is not empty; choose another --out`, 'output')
}
