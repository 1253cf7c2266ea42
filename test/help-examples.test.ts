import {existsSync, readdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {ROOT} from './helpers/cli.js'

/**
 * Every file or folder a --help example reads exists in the repository or is
 * written by another example (tts -> synthesize -> train -> ensemble -> ...),
 * so a newcomer can run them in order.
 */

interface FlagDef {
  type: 'boolean' | 'option'
  char?: string
}
interface CommandClass {
  examples?: Array<string | {command: string}>
  flags?: Record<string, FlagDef>
}

/** Flags whose value is a file or folder the command writes. */
const OUTPUTS = new Set(['out', 'chime', 'plot', 'png', 'csv', 'save-dir'])
/** Flags whose value is not a path even when it has a slash (devices, shell commands, lists). */
const NOT_PATHS = new Set(['device', 'exec', 'voices', 'exclude-voices', 'phrases', 'trigger', 'word', 'threshold', 'engine'])

const names = readdirSync(join(ROOT, 'commands')).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''))

async function load(name: string): Promise<CommandClass> {
  return (await import(`../commands/${name}.ts`)).default as CommandClass
}

function words(command: string): string[] {
  const after = command.split('<%= command.id %>')[1] ?? ''
  const shell = after.split(/\s[>|]\s/)[0]
  return [...shell.matchAll(/"[^"]*"|'[^']*'|\S+/g)].map((m) => m[0].replace(/^["']|["']$/g, ''))
}

/** [flag name or undefined for a positional, value] for each value in the example. */
function values(command: string, flags: Record<string, FlagDef>): Array<[string | undefined, string]> {
  const byChar = new Map(Object.entries(flags).filter(([, f]) => f.char).map(([n, f]) => [f.char!, n]))
  const out: Array<[string | undefined, string]> = []
  const ws = words(command)
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]
    if (!w.startsWith('-') || w === '-') {
      out.push([undefined, w])
      continue
    }
    const [raw, inline] = w.replace(/^-+/, '').split('=')
    const name = w.startsWith('--') ? raw : byChar.get(raw) ?? raw
    if (flags[name]?.type !== 'option') continue
    out.push([name, inline ?? ws[++i]])
  }
  return out
}

const looksLikePath = (v: string) => v.includes('/') || /\.(wav|flac|mp3|ogg|opus|png|npy|csv|json)$/.test(v)

function exists(path: string): boolean {
  if (!path.includes('*')) return existsSync(join(ROOT, path))
  const re = new RegExp(`^${path.split('/').pop()!.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`)
  return existsSync(join(ROOT, dirname(path))) && readdirSync(join(ROOT, dirname(path))).some((f) => re.test(f))
}

describe('--help examples name files that exist', () => {
  it('every path an example reads is in the repository or written by another example', async () => {
    const examples: Array<{name: string; command: string; flags: Record<string, FlagDef>}> = []
    for (const name of names) {
      const c = await load(name)
      for (const e of c.examples ?? []) examples.push({name, command: typeof e === 'string' ? e : e.command, flags: c.flags ?? {}})
    }
    const written = new Set(examples.flatMap((e) => values(e.command, e.flags).filter(([f]) => f !== undefined && OUTPUTS.has(f)).map(([, v]) => v)))
    const missing: string[] = []
    for (const e of examples) {
      for (const [flag, v] of values(e.command, e.flags)) {
        if ((flag !== undefined && (OUTPUTS.has(flag) || NOT_PATHS.has(flag))) || !looksLikePath(v)) continue
        // A folder an example writes holds what is under it (tts of several words writes one subfolder per word).
        if (!exists(v) && !written.has(v) && ![...written].some((w) => v.startsWith(`${w}/`))) missing.push(`${e.name}: ${v}`)
      }
    }
    expect(missing).toEqual([])
  })
})
