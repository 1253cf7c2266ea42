/**
 * oclif's own errors (flag parsing, unknown commands) as one line, the way
 * rnn-wake's UserErrors read: `rnn-wake: <problem>`, with a "did you mean"
 * for a near-miss flag or command name instead of a screenful of help.
 */
import {editCounts} from '../metrics/edit-distance.js'

/** The parts of oclif's parse errors this reads (its classes are not exported). */
export interface ParseErrorLike {
  message: string
  /** NonExistentFlagsError: the flags as typed, e.g. ["--thresold=0.5"]. */
  flags?: unknown
  /** RequiredArgsError: the missing arguments. */
  args?: unknown
}

const ANSI = /\u001B\[[0-9;]*m/g

/** Collapse a multi-line framework message into one clause, without "See more help with --help". */
export function oneLine(message: string): string {
  return message
    .replace(ANSI, '')
    .replace(/\n?See more help with --help/g, '')
    .replace(/^The following errors? occurred:/, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(': ')
    .replace(/\s+/g, ' ')
    .replace(/ :/g, ':')
    .trim()
}

/**
 * The closest of `candidates` to `typed`, if close enough to be a likely typo:
 * at most two edits (one for names of three letters or fewer; a third of a long name), or the start of exactly one.
 */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  const prefixed = candidates.filter((c) => typed.length >= 3 && c.startsWith(typed))
  if (prefixed.length === 1) return prefixed[0]
  let best: string | undefined
  let bestDistance = typed.length <= 3 ? 1 : Math.max(2, Math.floor(typed.length / 3))
  for (const c of candidates) {
    const d = editCounts(typed, c).errors
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = c
      bestDistance = d
    }
  }
  return best
}

/** "unknown flag --thresold; did you mean --threshold?" for each flag oclif did not know. */
export function unknownFlagsLine(typed: readonly string[], flagNames: readonly string[]): string {
  return typed
    .map((raw) => {
      const flag = raw.replace(/=.*$/, '')
      const hint = flag.startsWith('--') ? closest(flag.slice(2), flagNames) : undefined
      return `unknown flag ${flag}${hint ? `; did you mean --${hint}?` : ''}`
    })
    .join('; ')
}

/**
 * One line for an oclif parse error of `command` (without the "rnn-wake: " prefix).
 * `flagNames` are the command's flags, for suggestions.
 */
export function parseErrorLine(err: ParseErrorLike, command: string, flagNames: readonly string[]): string {
  const help = `(rnn-wake ${command} --help)`
  if (Array.isArray(err.flags) && err.flags.every((f) => typeof f === 'string')) {
    return `${command}: ${unknownFlagsLine(err.flags, flagNames)} ${help}`
  }
  if (Array.isArray(err.args) && /^Missing \d+ required arg/.test(err.message)) {
    const names = err.args.map((a: {name?: string}) => (a.name ?? 'ARG').toUpperCase())
    return `${command}: missing ${names.join(', ')} ${help}`
  }
  return `${command}: ${oneLine(err.message)} ${help}`
}

/** One line for `rnn-wake NAME` when NAME is no command. */
export function unknownCommandLine(typed: string, commands: readonly string[]): string {
  if (typed.startsWith('-')) {
    return `unknown flag ${typed}: flags go after a command, e.g. rnn-wake detect FILE ${typed} (commands: ${commands.join(', ')})`
  }
  const hint = closest(typed, commands)
  return `unknown command "${typed}"${hint ? `; did you mean ${hint}?` : ''} (commands: ${commands.join(', ')})`
}
