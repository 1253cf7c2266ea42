import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {DEFAULT_PROCEDURAL_BACKGROUNDS, defaultBackgrounds} from '../src/dataset/backgrounds.js'
import {runCli} from './helpers/cli.js'
import {writeToyClips} from './helpers/toy-clips.js'

/** README's "no recordings" path: clip folders only, no --backgrounds, through synthesize and train. */

let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rnn-wake-no-recordings-'))
  await writeToyClips(dir)
})

describe('with no background recordings', () => {
  it('defaultBackgrounds: procedural ones only when nothing was given, and a line that says so', () => {
    expect(defaultBackgrounds(0, undefined)).toMatchObject({procedural: DEFAULT_PROCEDURAL_BACKGROUNDS, note: expect.stringMatching(/^no --backgrounds given: using \d+ procedural backgrounds/)})
    expect(defaultBackgrounds(1, undefined)).toEqual({procedural: 0})
    expect(defaultBackgrounds(0, 5)).toEqual({procedural: 5})
  })

  it('synthesize mixes into procedural backgrounds and says so in one line on stderr', () => {
    const out = join(dir, 'dataset')
    const r = runCli(['synthesize', '--activates', join(dir, 'beeps'), '--negatives', join(dir, 'boops'), '--count', '3', '--seed', '1', '--workers', '1', '--out', out])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr.split('\n').filter((l) => l.startsWith('no --backgrounds given'))).toHaveLength(1)
    const dataset = JSON.parse(readFileSync(join(out, 'dataset.json'), 'utf8'))
    expect(dataset.backgrounds).toBe(DEFAULT_PROCEDURAL_BACKGROUNDS)
    expect(dataset.inputs.proceduralBackgrounds).toBe(`${DEFAULT_PROCEDURAL_BACKGROUNDS} (seed 1)`)
    // Same seed, same bytes: the procedural backgrounds are seeded too.
    const again = join(dir, 'dataset-again')
    expect(runCli(['synthesize', '--activates', join(dir, 'beeps'), '--negatives', join(dir, 'boops'), '--count', '3', '--seed', '1', '--workers', '1', '--out', again]).status).toBe(0)
    expect(readFileSync(join(again, '00002.wav'))).toEqual(readFileSync(join(out, '00002.wav')))
  })

  it('train learns from clip folders alone and says it used procedural backgrounds', () => {
    const out = join(dir, 'model')
    const r = runCli([
      'train', '--activates', join(dir, 'beeps'), '--negatives', join(dir, 'boops'), '--trigger', 'beep',
      '--preset', 'tiny', '--epochs', '1', '--epoch-size', '8', '--batch', '8', '--val-count', '4', '--crop', '1', '--backend', 'cpu', '--seed', '1', '--out', out,
    ])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/^no --backgrounds given: using \d+ procedural backgrounds/m)
    expect(JSON.parse(readFileSync(join(out, 'rnn-wake.json'), 'utf8')).word).toBe('beep')
  }, 120_000)
})
