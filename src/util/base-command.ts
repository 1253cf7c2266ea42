import {Command} from '@oclif/core'

import {UserError} from './errors.js'

/**
 * Every rnn-wake command extends this: a UserError thrown anywhere below
 * becomes one line on stderr and its documented exit code.
 */
export abstract class BaseCommand extends Command {
  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (err instanceof UserError) {
      // Straight to stderr: oclif silences logToStderr under --json, and a user still needs the reason.
      process.stderr.write(`rnn-wake: ${err.message}\n`)
      this.exit(err.exitCode)
    }
    return super.catch(err)
  }
}
