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

describe('help text reads cleanly', () => {
  for (const c of commands) {
    it(`${c} --help: no empty usage groups, no empty defaults`, () => {
      const help = runCli([c, '--help']).stdout
      const usage = help.slice(help.indexOf('USAGE'), help.indexOf('\n\n', help.indexOf('USAGE')))
      expect(usage).not.toMatch(/\s\]|\|\s*\]/)
      expect(help).not.toMatch(/\[default: \]/)
    })

    it(`${c}: description paragraphs are not wrapped by hand (oclif wraps them to the terminal)`, async () => {
      const command = (await import(`../commands/${c}.ts`)).default as {description?: string}
      for (const paragraph of (command.description ?? '').split('\n\n')) expect(paragraph, paragraph).not.toMatch(/\n/)
    })
  }

  it('listen --help points at the environment variables where they are', () => {
    expect(runCli(['listen', '--help']).stdout).not.toMatch(/environment variables above/)
  })

  it("ensemble --help describes the shipped model as README does", () => {
    const help = runCli(['ensemble', '--help']).stdout.replace(/\s+/g, ' ')
    expect(help).toMatch(/three speech-embedding networks/)
    expect(help).toMatch(/49%.*65%/)
    expect(help).not.toMatch(/four networks|4\.1%/)
  })
})
