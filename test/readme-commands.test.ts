import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {decodeWav} from '../src/audio/read.js'
import {BIN, ROOT} from './helpers/cli.js'
import {buildWav, encodeSamples} from './helpers/wav.js'

/**
 * README's commands, run as written, so the README cannot go stale: every
 * `npx rnn-wake` line of its ```sh blocks that is quick (--help, spectrogram,
 * detect) runs in a scratch folder holding the repository's data/, models/ and
 * bench/ and a clip.wav, and must exit 0; where the README shows its output
 * (a `#  ...` line under the command, or a plain ``` block right after the sh
 * block) the output must say that.
 */

const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const QUICK = new Set(['detect', 'spectrogram'])

interface ReadmeCommand {
  /** The command as written, continuation lines joined. */
  line: string
  /** `#  ...` lines right under it: the output the README promises. */
  shown: string[]
  /** The plain block right after its sh block, when it is the block's last command. */
  output?: string
}

function readmeCommands(markdown: string): ReadmeCommand[] {
  const commands: ReadmeCommand[] = []
  const blocks = [...markdown.matchAll(/```(\w*)\n([\s\S]*?)```/g)]
  blocks.forEach((block, b) => {
    if (block[1] !== 'sh') return
    const lines = block[2].replace(/\\\n\s*/g, ' ').split('\n')
    let last: ReadmeCommand | undefined
    for (const raw of lines) {
      if (raw.startsWith('npx rnn-wake')) commands.push((last = {line: raw.trim(), shown: []}))
      else if (last && /^#  \S/.test(raw)) last.shown.push(raw.slice(3).trim())
      else last = undefined
    }
    const next = blocks[b + 1]
    const between = next ? markdown.slice(block.index! + block[0].length, next.index) : ''
    const lastCommand = commands.at(-1)
    if (next && next[1] === '' && between.trim() === '' && lastCommand && block[2].includes(lastCommand.line.split(' ').slice(0, 3).join(' '))) {
      lastCommand.output = next[2].trimEnd()
    }
  })
  return commands
}

function isQuick(c: ReadmeCommand): boolean {
  const words = c.line.split(/\s+/)
  return words.includes('--help') || QUICK.has(words[2])
}

let scratch: string

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'rnn-wake-readme-'))
  for (const d of ['data', 'models', 'bench']) symlinkSync(join(ROOT, d), join(scratch, d))
  // The README's "clip.wav": 10 s, stereo, 16-bit, as its spectrogram example says.
  const demo = decodeWav(readFileSync(join(ROOT, 'data/demo/activate-demo.wav')), 'demo').samples
  const channel = Array.from(demo, (v) => Math.round(v))
  writeFileSync(join(scratch, 'clip.wav'), buildWav({channels: 2, sampleRate: 44_100, bitsPerSample: 16, data: encodeSamples([channel, channel], 16)}))
})

function run(line: string): {status: number | null; out: string} {
  const command = line.replace(/^npx rnn-wake/, `"${process.execPath}" "${BIN}"`)
  const r = spawnSync('bash', ['-c', command], {cwd: scratch, encoding: 'utf8', timeout: 120_000})
  return {status: r.status, out: `${r.stdout}${r.stderr}`}
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim()

describe("README's quick commands run as written", () => {
  const commands = readmeCommands(README).filter(isQuick)

  it('finds the quickstart, --help and the spectrogram examples', () => {
    expect(commands.map((c) => c.line)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^npx rnn-wake detect data\/demo\/activate-demo.wav/), 'npx rnn-wake --help', expect.stringMatching(/^npx rnn-wake spectrogram clip.wav/)]),
    )
  })

  for (const c of commands) {
    it(c.line, () => {
      const r = run(c.line)
      expect(r.status, r.out).toBe(0)
      for (const shown of c.shown) expect(squash(r.out)).toContain(squash(shown))
      if (c.output !== undefined) expect(r.out.trimEnd()).toBe(c.output)
    })
  }
})

describe('README names what the repository holds', () => {
  it('the command list names every command', () => {
    const list = /^rnn-wake (\w+(?: \| \w+)+)$/m.exec(README)
    expect(list).not.toBeNull()
    const commands = readdirSync(join(ROOT, 'commands')).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''))
    expect(list![1].split(' | ').sort()).toEqual(commands.sort())
  })

  it("Layout names every folder of src/", () => {
    const layout = README.slice(README.indexOf('## Layout'), README.indexOf('## License'))
    for (const folder of readdirSync(join(ROOT, 'src'))) expect(layout, folder).toContain(`\`${folder}\``)
  })
})
