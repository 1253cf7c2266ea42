import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PNG} from 'pngjs'
import {beforeAll, describe, expect, it} from 'vitest'

import {decodeNpy} from '../src/util/npy.js'
import {runCli} from './helpers/cli.js'
import {buildWav, encodeSamples} from './helpers/wav.js'

const FIXTURE = new URL('./fixtures/spectrogram/tone_chirp_1s.wav', import.meta.url).pathname
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rnn-wake-spec-'))
})

describe('rnn-wake spectrogram', () => {
  it('prints duration, rate, channels and shape', () => {
    const r = runCli(['spectrogram', FIXTURE])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/tone_chirp_1s\.wav: 1\.000 s, 44100 Hz, 1 ch, 16-bit -> spectrogram 549 x 101/)
  })

  it('--json gives machine-readable output', () => {
    const r = runCli(['spectrogram', FIXTURE, '--json'])
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout).files[0]).toMatchObject({frames: 549, bins: 101, sampleRate: 44100, channels: 1})
  })

  it('--out writes a float32 .npy (frames x 101), --float64 a float64 one, --png a picture', () => {
    const npy = join(dir, 'a.npy')
    const npy64 = join(dir, 'b.npy')
    const png = join(dir, 'a.png')
    expect(runCli(['spectrogram', FIXTURE, '--out', npy, '--png', png]).status).toBe(0)
    expect(runCli(['spectrogram', FIXTURE, '--out', npy64, '--float64']).status).toBe(0)
    const a = decodeNpy(readFileSync(npy))
    const b = decodeNpy(readFileSync(npy64))
    expect([a.dtype, a.shape]).toEqual(['f4', [549, 101]])
    expect([b.dtype, b.shape]).toEqual(['f8', [549, 101]])
    for (let i = 0; i < a.data.length; i += 997) expect(a.data[i]).toBeCloseTo(b.data[i], 1)
    const image = PNG.sync.read(readFileSync(png))
    expect(image.width).toBeGreaterThan(800)
    expect(image.height).toBeGreaterThan(300)
  })

  const numpy = spawnSync('python3', ['-c', 'import numpy'], {encoding: 'utf8'}).status === 0
  it.skipIf(!numpy)('numpy.load reads the .npy (skipped without python3 + numpy)', () => {
    const npy = join(dir, 'n.npy')
    runCli(['spectrogram', FIXTURE, '--out', npy])
    const r = spawnSync('python3', ['-c', `import numpy as np; a = np.load(${JSON.stringify(npy)}); print(a.shape, a.dtype)`], {encoding: 'utf8'})
    expect(r.stdout.trim()).toBe('(549, 101) float32')
  })
})

describe('rnn-wake spectrogram on bad input: one line naming the file, exit 3, no output left', () => {
  const good = buildWav({channels: 1, sampleRate: 44_100, bitsPerSample: 16, data: encodeSamples([Array.from({length: 1000}, (_, i) => i)], 16)})
  const cases: Array<[string, Uint8Array | null, RegExp]> = [
    ['empty.wav', new Uint8Array(0), /empty file/],
    ['notes.wav', new TextEncoder().encode('hello, this is text\n'), /not an audio file rnn-wake reads \(WAV, FLAC, Ogg Vorbis, Ogg Opus or MP3; it starts with bytes 68 65 6c 6c\)/],
    ['truncated.wav', good.subarray(0, 1200), /truncated data chunk/],
    ['mulaw.wav', buildWav({formatTag: 7, channels: 1, sampleRate: 8000, bitsPerSample: 8, data: new Uint8Array(64)}), /unsupported codec mu-law/],
    ['nodata.wav', buildWav({channels: 1, sampleRate: 44_100, bitsPerSample: 16, data: new Uint8Array(0)}), /empty data chunk/],
    ['missing.wav', null, /no such file/],
  ]
  for (const [name, bytes, message] of cases) {
    it(name, () => {
      const caseDir = mkdtempSync(join(tmpdir(), 'rnn-wake-bad-'))
      const file = join(caseDir, name)
      if (bytes) writeFileSync(file, bytes)
      const r = runCli(['spectrogram', file, '--out', join(caseDir, 'out.npy'), '--png', join(caseDir, 'out.png')])
      expect(r.status).toBe(3)
      const lines = r.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain(file)
      expect(lines[0]).toMatch(message)
      expect(readdirSync(caseDir).filter((f) => f !== name)).toEqual([])
    })
  }

  it('a directory instead of a file', () => {
    const r = runCli(['spectrogram', dir])
    expect(r.status).toBe(3)
    expect(r.stderr).toMatch(/is a directory/)
  })

  it('a bad file among good ones writes nothing at all', () => {
    const caseDir = mkdtempSync(join(tmpdir(), 'rnn-wake-mixed-'))
    writeFileSync(join(caseDir, 'bad.wav'), 'text')
    const out = join(caseDir, 'out')
    const r = runCli(['spectrogram', FIXTURE, join(caseDir, 'bad.wav'), '--out', out])
    expect(r.status).toBe(3)
    expect(readdirSync(caseDir)).toEqual(['bad.wav'])
  })
})

describe('errors under --json', () => {
  it('still print the one-line reason on stderr', () => {
    const r = runCli(['spectrogram', '/nonexistent/x.wav', '--json'])
    expect(r.status).toBe(3)
    expect(r.stderr.trim()).toBe('rnn-wake: Cannot read /nonexistent/x.wav: no such file')
  })
})
