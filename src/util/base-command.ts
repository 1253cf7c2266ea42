import {Command, Errors, type Interfaces} from '@oclif/core'

import {parseErrorLine} from './cli-errors.js'
import {ExitCode, UserError, describeError} from './errors.js'

type CaughtError = Error & {exitCode?: number; oclif?: {exit?: number}; parse?: unknown}

/**
 * Every rnn-wake command extends this: any error thrown below becomes one line
 * on stderr, `rnn-wake: ...`, and its exit code from the table in errors.ts.
 * A UserError keeps its code; oclif's flag-parsing errors are usage errors (2);
 * anything else is a bug (1), whose stack DEBUG=1 prints.
 */
export abstract class BaseCommand extends Command {
  /** Anything thrown while parsing flags and arguments (some of oclif's are plain Errors) is a usage error. */
  protected override async parse<F extends Interfaces.OutputFlags<any>, B extends Interfaces.OutputFlags<any>, A extends Interfaces.OutputArgs<any>>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv)
    } catch (error) {
      if (error instanceof UserError || !(error instanceof Error)) throw error
      throw Object.assign(error, {parse: (error as CaughtError).parse ?? {}})
    }
  }

  protected override async catch(err: CaughtError): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err
    const [line, code] = this.describe(err)
    // Straight to stderr: oclif silences logToStderr under --json, and a user still needs the reason.
    process.stderr.write(`rnn-wake: ${line}\n`)
    if (code === ExitCode.internal && process.env.DEBUG && err.stack) process.stderr.write(`${err.stack}\n`)
    return this.exit(code)
  }

  private describe(err: CaughtError): [string, number] {
    if (err instanceof UserError) return [err.message, err.exitCode]
    if (err.parse !== undefined) {
      return [parseErrorLine(err, this.id ?? 'rnn-wake', Object.keys(this.ctor.flags ?? {})), ExitCode.usage]
    }
    return [`${describeError(err).split('\n')[0]}${process.env.DEBUG ? '' : ' (an internal error: run with DEBUG=1 for the stack trace)'}`, ExitCode.internal]
  }
}
