import {readdirSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {ROOT, runCli} from './helpers/cli.js'

const commands = readdirSync(`${ROOT}/commands`)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''))

describe('every command documents itself', () => {
  it('the top-level help lists every command', () => {
    const r = runCli(['--help'])
    expect(r.status).toBe(0)
    for (const c of commands) expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\s`, 'm'))
  })

  for (const c of commands) {
    it(`${c} --help has a summary and at least one example`, () => {
      const r = runCli([c, '--help'])
      expect(r.status).toBe(0)
      expect(r.stdout).toMatch(/^EXAMPLES$/m)
      expect(r.stdout).toMatch(new RegExp(`\\$ rnn-wake ${c}`))
    })
  }
})
