import {mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Microphone, findOnPath} from '../src/audio/microphone.js'
import {readAudio} from '../src/audio/read.js'
import {toInt16} from '../src/audio/write.js'
import {recordTake, trimTake} from '../src/stream/record-clips.js'
import {runCli} from './helpers/cli.js'

const arecord = findOnPath('arecord')
const alsaConf = new URL('./fixtures/alsa/fakemic.conf', import.meta.url).pathname
let dir: string

/** 0.3 s of faint noise, a 0.4 s "word" (a 440 Hz tone), 0.3 s of faint noise. */
function take(): Float64Array {
  const x = new Float64Array(44_100)
  let s = 7
  for (let i = 0; i < x.length; i++) x[i] = ((s = (s * 48271) % 2147483647) / 2147483647 - 0.5) * 40
  for (let i = 13_230; i < 30_870; i++) x[i] += 9000 * Math.sin((2 * Math.PI * 440 * i) / 44_100)
  return x
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rnn-wake-record-'))
  writeFileSync(join(dir, 'mic.raw'), new Uint8Array(toInt16(take()).buffer))
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

function record(args: string[], input: string, micFile = join(dir, 'mic.raw')) {
  return runCli(['record', '--recorder', 'arecord', ...args], {input, env: {FAKE_MIC_RAW: micFile, ALSA_CONFIG_PATH: `/usr/share/alsa/alsa.conf:${alsaConf}`}})
}

describe('trimming a take', () => {
  it('keeps the word with 60 ms margins and calls a muted microphone silent', () => {
    const t = trimTake(take(), 44_100)
    expect(t.silent).toBe(false)
    expect(t.samples.length / 44_100).toBeCloseTo(0.4 + 0.12, 1)
    expect(trimTake(new Float64Array(44_100).fill(3), 44_100).silent).toBe(true)
  })

  it('a take without --seconds lasts until Enter (the stop promise) and stops the microphone', async () => {
    let stopped = false
    const mic: Microphone = {
      recorder: 'arecord',
      stop: () => void (stopped = true),
      chunks: (async function* () {
        while (!stopped) {
          yield new Float64Array(441).fill(1)
          await new Promise((resolve) => setTimeout(resolve, 2))
        }
      })(),
    }
    let enter = (): void => {}
    const stop = new Promise<void>((resolve) => (enter = resolve))
    const pending = recordTake(() => mic, {sampleRate: 44_100, maxSeconds: 10, stop})
    await new Promise((resolve) => setTimeout(resolve, 60))
    enter()
    const samples = await pending
    expect(stopped).toBe(true)
    expect(samples.length % 441).toBe(0)
    expect(samples.length).toBeGreaterThan(441)
    expect(samples.length).toBeLessThan(441 * 100)
  })
})

describe.skipIf(!arecord)('rnn-wake record through arecord and an ALSA file-plugin microphone (skips: arecord not installed; .ci/run installs alsa-utils)', () => {
  it('records --count trimmed clips on Enter, numbered after the clips already there', async () => {
    const out = join(dir, 'clips', 'activate')
    const first = record(['--word', 'activate', '--count', '2', '--seconds', '1', '--out', out], '\n\n')
    expect(first.status).toBe(0)
    expect(first.stderr).toMatch(/\[1\/2\] Press Enter, then say "activate" \(recording 1 s\)/)
    expect(first.stdout.trim().split('\n')).toEqual([expect.stringMatching(/wrote .*00000\.wav \(0\.5\d s\)$/), expect.stringMatching(/wrote .*00001\.wav \(0\.5\d s\)$/)])
    const again = record(['--word', 'activate', '--count', '1', '--seconds', '1', '--out', out, '--json'], '\n')
    expect(again.status).toBe(0)
    expect(JSON.parse(again.stdout).clips).toEqual([{file: join(out, '00002.wav'), seconds: expect.closeTo(0.52, 1)}])
    expect(readdirSync(out).sort()).toEqual(['00000.wav', '00001.wav', '00002.wav', 'manifest.jsonl'])
    // Each clip is named as rnn-wake tts names its clips (train --word-head reads the names of --negatives clips).
    expect(readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))).toEqual(['00000.wav', '00001.wav', '00002.wav'].map((file) => ({file, text: 'activate'})))
    const clip = await readAudio(join(out, '00001.wav'))
    expect(clip.info.sampleRate).toBe(44_100)
    expect(clip.info.channels).toBe(1)
  })

  it('stdin ending before --count stops with exit 130, keeping the clips made', () => {
    const out = join(dir, 'short')
    const r = record(['--word', 'activate', '--count', '3', '--seconds', '1', '--out', out], '\n')
    expect(r.status).toBe(130)
    expect(r.stderr).toMatch(/stopped after 1 of 3 clips/)
    expect(readdirSync(out).sort()).toEqual(['00000.wav', 'manifest.jsonl'])
  })

  it('a silent microphone is asked again, then a device error (exit 5)', () => {
    const silent = join(dir, 'silent.raw')
    writeFileSync(silent, new Uint8Array(88_200))
    const r = record(['--word', 'activate', '--count', '1', '--seconds', '0.5', '--out', join(dir, 'none')], '\n\n\n\n', silent)
    expect(r.status).toBe(5)
    expect(r.stderr).toMatch(/nothing heard .* not saved, again/)
    expect(r.stderr).toMatch(/3 takes in a row were silent/)
  })
})
