import {readdir, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {UserError} from '../../util/errors.js'
import type {OutputOptions} from './config.js'

/**
 * Save stage of the spectrogram recipe: before any training, the check that
 * the run may write its model directory.
 */

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/** --resume needs a model in `out`; a new run needs no model there (or --force) and no other files. */
export async function checkOutput(out: string, options: Pick<OutputOptions, 'resume' | 'force'>): Promise<void> {
  const hasModel = await exists(join(out, 'model.json'))
  if (options.resume) {
    if (!hasModel) throw new UserError(`Cannot resume: ${out} holds no model (start without --resume)`, 'badModel')
    return
  }
  if (hasModel && !options.force) throw new UserError(`${out} already holds a model: pass --resume to continue training it or --force to replace it`, 'output')
  if (!hasModel && (await exists(out)) && !options.force) {
    if ((await readdir(out)).length > 0) throw new UserError(`Cannot write ${out}: the folder exists and is not empty; choose another --out`, 'output')
  }
}
