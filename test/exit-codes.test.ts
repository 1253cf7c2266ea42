import {mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {closest, oneLine, unknownFlagsLine} from '../src/util/cli-errors.js'
import {EXIT_CODES, ExitCode, exitCodesMarkdown} from '../src/util/errors.js'
import {ROOT, runCli} from './helpers/cli.js'

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rnn-wake-exit-codes-'))
})

/** A user error: exactly one line on stderr, `rnn-wake: ...`, and the documented code. */
function expectOneLineError(r: {status: number | null; stderr: string}, code: number, pattern: RegExp): void {
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1)
  expect(r.stderr).toMatch(/^rnn-wake: /)
  expect(r.stderr).toMatch(pattern)
  expect(r.status).toBe(code)
}

describe('one exit-code table', () => {
  it('README shows the table errors.ts holds', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    expect(readme).toContain(`### Exit codes`)
    expect(readme).toContain(exitCodesMarkdown())
  })

  it('codes are distinct and the ones commands rely on keep their numbers', () => {
    const codes = Object.values(EXIT_CODES).map((e) => e.code)
    expect(new Set(codes).size).toBe(codes.length)
    expect(ExitCode).toMatchObject({ok: 0, usage: 2, badInput: 3, badModel: 4, device: 5, output: 6, busy: 7, interrupted: 130})
  })

  const commands = readdirSync(join(ROOT, 'commands')).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''))
  for (const c of commands) {
    it(`${c} --help lists its exit codes from the table`, () => {
      const help = runCli([c, '--help']).stdout.replace(/\s+/g, ' ')
      const paragraph = /Exit codes: (.*?)\. Each code means the same/.exec(help)
      expect(paragraph, help).not.toBeNull()
      for (const [, code, text] of paragraph![1].matchAll(/(\d+) ([^;]+)/g)) {
        const entry = Object.values(EXIT_CODES).find((e) => e.code === Number(code))
        expect(entry, `${c}: code ${code}`).toBeDefined()
        expect(text.startsWith(entry!.short), `${c}: ${code} ${text}`).toBe(true)
      }
    })
  }
})

describe('flag and command mistakes are one line with a suggestion', () => {
  it('a mistyped flag names the flag it was probably meant to be, exit 2, no help screen', () => {
    const r = runCli(['detect', 'data/demo/activate-demo.wav', '--thresold', '0.5'])
    expectOneLineError(r, 2, /unknown flag --thresold; did you mean --threshold\?/)
    expect(r.stdout).toBe('')
  })

  it('a flag value of the wrong type is one line, exit 2', () => {
    expectOneLineError(runCli(['train', '--epochs', 'abc', '--out', join(dir, 'never')]), 2, /--epochs.*Expected an integer but received: abc/)
  })

  it('train into a file at --out is one line, exit 6, with either recipe', () => {
    const file = join(dir, 'a-file')
    writeFileSync(file, 'x')
    expectOneLineError(runCli(['train', '--activates', dir, '--negatives', dir, '--epochs', '1', '--out', file]), 6, /Cannot write .*a-file: it exists and is not a folder/)
    expectOneLineError(runCli(['train', '--activates', dir, '--out', file]), 6, /Cannot write .*a-file: it exists and is not a folder/)
  })

  it('a flag without its value is a usage error, not an internal one', () => {
    expectOneLineError(runCli(['tts', 'activate', '--out']), 2, /--out expects a value/)
  })

  it('a missing argument and a bad option are one line each', () => {
    expectOneLineError(runCli(['detect']), 2, /missing WAV/)
    expectOneLineError(runCli(['detect', 'x.wav', '--backend', 'gpu']), 2, /--backend=gpu to be one of: node, wasm, cpu/)
  })

  it('a mistyped command suggests the command', () => {
    expectOneLineError(runCli(['detcet', 'x.wav']), 2, /unknown command "detcet"; did you mean detect\?/)
  })

  it('suggestions only for near misses', () => {
    expect(closest('thresold', ['threshold', 'min-steps'])).toBe('threshold')
    expect(closest('thresh', ['threshold', 'min-steps'])).toBe('threshold')
    expect(closest('banana', ['threshold', 'min-steps'])).toBeUndefined()
    expect(unknownFlagsLine(['--modle=x', '--zzz'], ['model', 'plot'])).toBe('unknown flag --modle; did you mean --model?; unknown flag --zzz')
    expect(oneLine('Parsing --epochs \n\tExpected an integer but received: abc\nSee more help with --help')).toBe('Parsing --epochs: Expected an integer but received: abc')
  })
})

describe('the same situation, the same code in every command', () => {
  it('an existing output folder is exit 6 in tts, synthesize and ensemble', () => {
    const taken = join(dir, 'taken')
    mkdirSync(taken)
    writeFileSync(join(taken, 'something.txt'), 'mine')
    const tts = runCli(['tts', 'activate', '--count', '1', '--out', taken])
    expectOneLineError(tts, 6, /taken.*--force/)
    const synth = runCli(['synthesize', '--activates', 'x', '--negatives', 'y', '--backgrounds', 'z', '--count', '1', '--out', taken])
    expectOneLineError(synth, 6, /taken/)
    const ensemble = runCli(['ensemble', 'bench/models/activate-spectrogram', 'bench/models/encoder/activate', '--out', taken])
    expectOneLineError(ensemble, 6, /taken/)
    expect(readdirSync(taken)).toEqual(['something.txt'])
  })
})
