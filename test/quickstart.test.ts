import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {decodeWav} from '../src/audio/read.js'
import {runCli} from './helpers/cli.js'

const demo = JSON.parse(readFileSync(new URL('../data/demo/activate-demo.json', import.meta.url), 'utf8')) as {words: Array<{word: string; endSec: number}>}

describe("the README's quickstart on the shipped model and demo clip", () => {
  it('finds "activate" twice, right after each time it is said, and nothing else, and transcribes the commands', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnn-wake-quick-'))
    const chime = join(dir, 'demo-chime.wav')
    const plot = join(dir, 'demo.png')
    const r = runCli(['detect', 'data/demo/activate-demo.wav', '--chime', chime, '--plot', plot, '--json'])
    expect(r.status, r.stderr).toBe(0)
    const detections = JSON.parse(r.stdout).files[0].detections as Array<{seconds: number; score: number; transcript?: {text: string}}>
    const ends = demo.words.filter((w) => w.word === 'activate').map((w) => w.endSec)
    expect(detections).toHaveLength(ends.length)
    detections.forEach((d, i) => {
      expect(d.seconds).toBeGreaterThan(ends[i] - 0.5)
      expect(d.seconds).toBeLessThan(ends[i] + 0.6)
    })
    // What the README shows the CTC head hearing after each trigger.
    expect(detections.map((d) => d.transcript?.text)).toEqual(['lights on', 'play music'])
    const withChime = decodeWav(readFileSync(chime), chime)
    expect(withChime.samples.length).toBe(441_000)
    expect(readFileSync(plot).subarray(1, 4).toString()).toBe('PNG')
  })
})

describe('the encoder-based "activate" the README offers beside it', () => {
  it('loads as an ordinary model directory (a three-network ensemble on 37 bins) and finds the same two triggers', () => {
    const config = JSON.parse(readFileSync(new URL('../bench/models/encoder/activate/rnn-wake.json', import.meta.url), 'utf8')) as {members: string[]; features: {transform: {bins: number}}}
    expect(config.members).toHaveLength(2)
    expect(config.features.transform.bins).toBe(37)
    const r = runCli(['detect', 'data/demo/activate-demo.wav', '--model', 'bench/models/encoder/activate', '--json'])
    expect(r.status, r.stderr).toBe(0)
    const detections = JSON.parse(r.stdout).files[0].detections as Array<{seconds: number; transcript?: {text: string}}>
    const ends = demo.words.filter((w) => w.word === 'activate').map((w) => w.endSec)
    expect(detections).toHaveLength(ends.length)
    detections.forEach((d, i) => {
      expect(d.seconds).toBeGreaterThan(ends[i] - 0.5)
      expect(d.seconds).toBeLessThan(ends[i] + 0.6)
    })
    expect(detections.map((d) => d.transcript?.text)).toEqual(['lights on', 'play music'])
  })
})
