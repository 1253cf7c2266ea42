/**
 * Errors a user can act on. Library code throws these; the command boundary
 * (commands/*.ts via BaseCommand) turns them into one line on stderr and the
 * exit code below, never a stack trace.
 */
export const ExitCode = {
  /** Unexpected failure (a bug): the only case that prints a stack trace with DEBUG=1. */
  internal: 1,
  /** Bad flags or arguments (oclif's own parse errors use 2 as well). */
  usage: 2,
  /** An input file or folder is missing, unreadable, corrupt or unsupported. */
  badInput: 3,
  /** A model directory is missing, incomplete or corrupt. */
  badModel: 4,
  /** The microphone or recorder program failed or is missing. */
  device: 5,
  /** An output could not be written. */
  output: 6,
  /** Another process holds the output (e.g. a training run into the same directory). */
  busy: 7,
  /** Stopped by Ctrl-C after saving what there was to save. */
  interrupted: 130,
} as const

export type ExitCodeName = keyof typeof ExitCode

export class UserError extends Error {
  readonly exitCode: number
  constructor(message: string, kind: ExitCodeName = 'badInput') {
    super(message)
    this.name = 'UserError'
    this.exitCode = ExitCode[kind]
  }
}

/** An input file that cannot be used: the message always names the file. */
export class InputError extends UserError {
  constructor(readonly file: string, problem: string) {
    super(`Cannot read ${file}: ${problem}`, 'badInput')
    this.name = 'InputError'
  }
}

export class ModelError extends UserError {
  constructor(readonly dir: string, problem: string) {
    super(`Cannot load model ${dir}: ${problem}`, 'badModel')
    this.name = 'ModelError'
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}
