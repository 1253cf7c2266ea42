/**
 * Errors a user can act on. Library code throws these; the command boundary
 * (commands/*.ts via BaseCommand) turns them into one line on stderr,
 * `rnn-wake: ...`, and the exit code below, never a stack trace.
 *
 * EXIT_CODES is the one table: README's "Exit codes" section and every
 * command's --help are written from it (test/exit-codes.test.ts checks both).
 */
export const EXIT_CODES = {
  ok: {code: 0, short: 'success', meaning: 'success'},
  /** Unexpected failure (a bug): the only case that prints a stack trace, with DEBUG=1. */
  internal: {code: 1, short: 'internal error', meaning: 'unexpected failure (a bug; DEBUG=1 prints the stack trace)'},
  usage: {code: 2, short: 'bad flags or arguments', meaning: 'bad flags or arguments (an unknown flag, a value out of range, a missing --out, ...)'},
  badInput: {code: 3, short: 'unreadable or unsupported input', meaning: 'an input file or folder is missing, unreadable, corrupt or unsupported'},
  badModel: {code: 4, short: 'missing or broken model', meaning: 'a model directory is missing, incomplete or corrupt'},
  device: {code: 5, short: 'microphone or recorder failure', meaning: 'the microphone or recorder program failed or is missing'},
  output: {code: 6, short: 'output not writable or already there (--force replaces it)', meaning: 'an output cannot be written, or already exists (pass --force to replace it)'},
  busy: {code: 7, short: 'output in use by another run', meaning: 'another process holds the output (e.g. a training run into the same directory)'},
  interrupted: {code: 130, short: 'stopped by Ctrl-C', meaning: 'stopped by Ctrl-C (train saves a checkpoint first, listen prints its summary, record keeps the clips so far; nothing is left half-written)'},
} as const

export type ExitCodeName = keyof typeof EXIT_CODES

/** Name -> number, e.g. ExitCode.usage === 2. */
export const ExitCode = Object.fromEntries(Object.entries(EXIT_CODES).map(([name, {code}]) => [name, code])) as {
  readonly [K in ExitCodeName]: (typeof EXIT_CODES)[K]['code']
}

/**
 * The "Exit codes:" paragraph of a command's --help, from the table: 0, the
 * codes it names, in order. `notes` adds a few words to one code's meaning.
 */
export function exitCodesHelp(kinds: ExitCodeName[], notes: Partial<Record<ExitCodeName, string>> = {}): string {
  const names: ExitCodeName[] = ['ok', ...kinds.filter((k) => k !== 'ok')]
  names.sort((a, b) => EXIT_CODES[a].code - EXIT_CODES[b].code)
  const parts = names.map((k) => `${EXIT_CODES[k].code} ${EXIT_CODES[k].short}${notes[k] ? ` (${notes[k]})` : ''}`)
  return `Exit codes: ${parts.join('; ')}. Each code means the same in every command (README, Exit codes).`
}

/** README's table: | code | meaning | rows, in code order. */
export function exitCodesMarkdown(): string {
  const rows = Object.values(EXIT_CODES).map(({code, meaning}) => `| ${code} | ${meaning} |`)
  return ['| code | meaning |', '| --- | --- |', ...rows].join('\n')
}

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
