import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {writeWav16} from '../src/audio/write.js'
import {readDataset} from '../src/dataset/index.js'
import {BIN, ROOT} from './helpers/cli.js'

/**
 * Crash safety of `synthesize` (issue 8): a `kill -9` part-way through must
 * leave nothing at --out that looks like a dataset (no dataset.json there),
 * must not damage a dataset that --force was replacing, and must not stop the
 * next run. Through the built CLI (`npm run build` first), as a user would.
 */

const RATE = 44_100
let tmp: string
let sources: string[]

function burst(seconds: number, hz: number): Float64Array {
  const x = new Float64Array(Math.round(seconds * RATE))
  for (let i = 0; i < x.length; i++) x[i] = 9000 * Math.sin((2 * Math.PI * hz * i) / RATE) * Math.sin((Math.PI * i) / x.length) ** 2
  return x
}

function noise(seconds: number, seed: number): Float64Array {
  const x = new Float64Array(Math.round(seconds * RATE))
  let s = seed
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0
    x[i] = (s / 2 ** 32 - 0.5) * 3000
  }
  return x
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'commands', 'synthesize.js'))) throw new Error('build first: npm run build')
  tmp = await mkdtemp(join(tmpdir(), 'rnn-wake-crash-'))
  await writeWav16(join(tmp, 'src', 'activates', 'a.wav'), burst(0.5, 880))
  await writeWav16(join(tmp, 'src', 'negatives', 'n.wav'), burst(0.4, 300))
  // A short background is looped: cheap to decode, and each example is still 10 s.
  await writeWav16(join(tmp, 'src', 'backgrounds', 'bg.wav'), noise(2, 1))
  sources = ['--activates', join(tmp, 'src', 'activates'), '--negatives', join(tmp, 'src', 'negatives'), '--backgrounds', join(tmp, 'src', 'backgrounds')]
})

afterAll(async () => {
  if (tmp) await rm(tmp, {recursive: true, force: true})
})

function synthesize(out: string, count: number, extra: string[] = []): ChildProcess {
  return spawn(process.execPath, [BIN, 'synthesize', ...sources, '--count', String(count), '--seed', '3', '--out', out, ...extra], {cwd: ROOT, stdio: 'ignore'})
}

/** The hidden folders synthesize builds a dataset in, beside --out. */
async function buildFolders(parent: string): Promise<string[]> {
  return (await readdir(parent)).filter((name) => name.startsWith('.') && name.endsWith('.tmp')).map((name) => join(parent, name))
}

/** Wait until the run has written `examples` WAVs into its build folder, then kill -9 it. */
async function killMidway(child: ChildProcess, parent: string, examples: number): Promise<string> {
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
  const deadline = Date.now() + 60_000
  for (;;) {
    for (const folder of await buildFolders(parent)) {
      const wavs = (await readdir(folder).catch(() => [])).filter((name) => name.endsWith('.wav'))
      if (wavs.length >= examples) {
        child.kill('SIGKILL')
        expect(await exited).toBe('SIGKILL')
        return folder
      }
    }
    if (child.exitCode !== null) throw new Error(`synthesize ended (exit ${child.exitCode}) before it could be killed mid-way; raise --count`)
    if (Date.now() > deadline) throw new Error('synthesize wrote no examples within 60 s')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function runToEnd(out: string, count: number, extra: string[] = []): {status: number | null; stderr: string} {
  const r = spawnSync(process.execPath, [BIN, 'synthesize', ...sources, '--count', String(count), '--seed', '3', '--out', out, ...extra], {cwd: ROOT, encoding: 'utf8', timeout: 120_000})
  return {status: r.status, stderr: r.stderr}
}

describe('kill -9 during synthesize', () => {
  it('leaves no dataset at --out, only a hidden build folder without dataset.json, and the next run succeeds', async () => {
    const parent = join(tmp, 'fresh')
    const out = join(parent, 'data')
    await rm(parent, {recursive: true, force: true})
    await mkdir(parent, {recursive: true})
    const folder = await killMidway(synthesize(out, 200, ['--workers', '1']), parent, 10)

    expect(existsSync(out)).toBe(false)
    // What is left is the half-built folder: hidden, named as temporary, and without the file that marks a dataset.
    expect(await buildFolders(parent)).toEqual([folder])
    const left = await readdir(folder)
    expect(left).not.toContain('dataset.json')
    expect(left.filter((name) => name.endsWith('.wav')).length).toBeLessThan(200)
    await expect(readDataset(folder)).rejects.toThrow(/dataset\.json: no such file/)

    const again = runToEnd(out, 5, ['--workers', '1'])
    expect(again.stderr).toBe('')
    expect(again.status).toBe(0)
    expect((await readDataset(out)).entries).toHaveLength(5)
    // The dead run's half-built folder is not taken for a dataset, and the next run clears it away.
    expect(await readdir(parent)).toEqual(['data'])
  }, 120_000)

  it('while --force replaces a dataset, leaves the old dataset whole (two workers)', async () => {
    const parent = join(tmp, 'force')
    const out = join(parent, 'data')
    await rm(parent, {recursive: true, force: true})
    const first = runToEnd(out, 4, ['--workers', '1'])
    expect(first.status).toBe(0)
    const before = await readDataset(out)

    await killMidway(synthesize(out, 200, ['--workers', '2', '--force']), parent, 10)

    const after = await readDataset(out)
    expect(after.entries).toEqual(before.entries)
    expect(Buffer.from(after.labels).equals(Buffer.from(before.labels))).toBe(true)
    expect((await readdir(out)).sort()).toEqual(['00000.wav', '00001.wav', '00002.wav', '00003.wav', 'dataset.json', 'labels.npy', 'manifest.jsonl'])

    // And replacing it afterwards still works.
    const again = runToEnd(out, 3, ['--force'])
    expect(again.status).toBe(0)
    expect((await readDataset(out)).entries).toHaveLength(3)
  }, 120_000)
})
