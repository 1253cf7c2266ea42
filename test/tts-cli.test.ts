import {existsSync, mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from './helpers/cli.js'

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rnn-wake-tts-cli-'))
})

describe('rnn-wake tts', () => {
  it('writes --count clips and a manifest, and reports them with --json', () => {
    const out = join(dir, 'activates')
    const r = runCli(['tts', 'activate', '--count', '3', '--out', out, '--seed', '2', '--exclude-voices', 'f3,en-029', '--json'])
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({clips: 3, folders: ['']})
    expect(readdirSync(out).sort()).toEqual(['00000.wav', '00001.wav', '00002.wav', 'manifest.jsonl'])
  })

  it('says plainly how many voices the clips were drawn from', () => {
    const out = join(dir, 'plain')
    const r = runCli(['tts', 'activate', '--count', '2', '--out', out, '--voices', 'en-us', '--engine', 'espeak'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^Wrote 2 clips to .*plain in [\d.]+ s: [\d.]+ s of audio, each clip in one of \d+ voices \(espeak accent \+ speaker pairs\)$/m)
    expect(r.stdout).not.toMatch(/voice\+variant/)
    // By default every synthesizer takes its turn.
    const mixed = runCli(['tts', 'activate', '--count', '3', '--out', join(dir, 'plain-all')])
    expect(mixed.status, mixed.stderr).toBe(0)
    expect(mixed.stdout).toMatch(/each clip in one of \d+ voices \(espeak \d+, svox 2, gnuspeech 5\)$/m)
  })

  it('speaks negatives for a trigger into one flat folder', () => {
    const out = join(dir, 'negatives')
    const r = runCli(['tts', '--negatives-for', 'activate', '--count', '4', '--out', out])
    expect(r.status).toBe(0)
    expect(readdirSync(out)).toHaveLength(5)
  })

  it('fails with one line and exit 2 on an unknown voice or an empty word, writing nothing', () => {
    const out = join(dir, 'bad')
    const unknown = runCli(['tts', 'activate', '--voices', 'en-xx', '--out', out])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1)
    expect(unknown.stderr).toMatch(/Unknown voice "en-xx" \(voices: en, en-029, .*en-us/)
    const empty = runCli(['tts', '', '--out', out])
    expect(empty.status).toBe(2)
    expect(empty.stderr).toMatch(/empty word/)
    const none = runCli(['tts', 'activate', '--count', '0', '--out', out])
    expect(none.status).toBe(2)
    expect(existsSync(out)).toBe(false)
  })

  it('speaks with svox and gnuspeech by --engine, naming the engine in the manifest', () => {
    const out = join(dir, 'engines')
    const r = runCli(['tts', 'computer', '--engine', 'svox,gnuspeech', '--count', '2', '--out', out, '--exclude-voices', 'gnuspeech:baby', '--json'])
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({clips: 2})
    const engines = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as {engine: string}).engine)
    expect(engines.sort()).toEqual(['gnuspeech', 'svox'])
  })

  it('fails with exit 2 on an unknown engine, writing nothing', () => {
    const out = join(dir, 'bad-engine')
    const r = runCli(['tts', 'activate', '--engine', 'espeak,robot', '--out', out])
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/Unknown engine "robot"/)
    expect(existsSync(out)).toBe(false)
  })

  it('lists the English voices and variants', () => {
    const r = runCli(['tts', '--list-voices'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^voices \(8\): en en-029 .*en-us/m)
    expect(r.stdout).toMatch(/^variants \(\d+\): .*\bf3\b/m)
    const all = runCli(['tts', '--list-voices', '--engine', 'all'])
    expect(all.stdout).toMatch(/^svox voices \(2\): svox:en-GB svox:en-US$/m)
    expect(all.stdout).toMatch(/^gnuspeech voices \(5\): gnuspeech:male gnuspeech:female .*gnuspeech:baby$/m)
  })
})
