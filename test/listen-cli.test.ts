import {spawn, spawnSync} from 'node:child_process'
import {cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {buildFlac} from '../bench/fuzz-codecs.mjs'

import {findOnPath} from '../src/audio/microphone.js'
import {encodeWav16, toInt16} from '../src/audio/write.js'
import {selectBackend} from '../src/model/backend.js'
import {BIN, ROOT, runCli} from './helpers/cli.js'
import {TOY_SCRIPT, saveToyDetector, toyAudio} from './helpers/toy-detector.js'

let dir: string
let toy: string
let clipPath: string
const clip = toyAudio(TOY_SCRIPT)
const wav = encodeWav16(clip)

type Json = Record<string, unknown>

function jsonLines(stdout: string): Json[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Json)
}

type Event = {index: number; time: number; score: number; text?: string}
let detected: Event[] | undefined

/** What detect reports (once), as listen's detection events would carry it. */
function detectEvents(): Event[] {
  if (detected) return detected
  const r = runCli(['detect', clipPath, '--model', toy, '--json'])
  expect(r.status).toBe(0)
  const {files} = JSON.parse(r.stdout)
  detected = files[0].detections.map((d: {index: number; seconds: number; score: number; transcript?: {text: string}}) => ({index: d.index, time: d.seconds, score: d.score, text: d.transcript?.text}))
  return detected!
}

function listenEvents(lines: Json[]): Event[] {
  const texts = new Map(lines.filter((l) => l.type === 'transcript').map((l) => [l.index, l.text as string]))
  return lines.filter((l) => l.type === 'detection').map((l) => ({index: l.index as number, time: l.time as number, score: l.score as number, text: texts.get(l.index)}))
}

/**
 * listen reports the events detect reports, at once: its score is the
 * probability when the detection fired, detect's the peak of the word, never lower.
 */
function expectSameEvents(listened: Event[], detected: Event[]): void {
  const withoutScore = (events: Event[]) => events.map(({score: _, ...rest}) => rest)
  expect(withoutScore(listened)).toEqual(withoutScore(detected))
  listened.forEach((e, i) => expect(e.score).toBeLessThanOrEqual(detected[i].score))
}

beforeAll(async () => {
  await selectBackend()
  dir = mkdtempSync(join(tmpdir(), 'rnn-wake-listen-'))
  toy = join(dir, 'toy-ctc')
  await saveToyDetector(toy, true)
  clipPath = join(dir, 'clip.wav')
  writeFileSync(clipPath, wav)
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('rnn-wake listen', () => {
  it('--input FILE --json reports the same detections and transcripts as detect, then a summary', () => {
    const r = runCli(['listen', '--input', clipPath, '--model', toy, '--json'])
    expect(r.status).toBe(0)
    const lines = jsonLines(r.stdout)
    expect(lines.map((l) => l.type)).toEqual(['detection', 'transcript', 'detection', 'transcript', 'summary'])
    expectSameEvents(listenEvents(lines), detectEvents())
    expect(lines[1]).toMatchObject({text: 'lights on', ended: 'silence', word: 'activate'})
    const summary = lines.at(-1)!
    expect(summary).toMatchObject({type: 'summary', detections: 2, interrupted: false})
    expect(summary.audioSeconds).toBeCloseTo(clip.length / 44_100, 6)
    expect(summary.realTimeFactor as number).toBeGreaterThan(0)
  })

  it('--input - reads a WAV from stdin; raw PCM on stdin works the same', () => {
    const asWav = spawnSync(process.execPath, [BIN, 'listen', '--input', '-', '--model', toy, '--json'], {cwd: ROOT, input: wav, encoding: 'utf8'})
    expect(asWav.status).toBe(0)
    const raw = toInt16(clip)
    const asRaw = spawnSync(process.execPath, [BIN, 'listen', '--input', '-', '--model', toy, '--json'], {cwd: ROOT, input: new Uint8Array(raw.buffer), encoding: 'utf8'})
    expect(asRaw.status).toBe(0)
    const expected = detectEvents()
    expectSameEvents(listenEvents(jsonLines(asWav.stdout)), expected)
    expectSameEvents(listenEvents(jsonLines(asRaw.stdout)), expected)
    // A FLAC on stdin is told by its magic bytes and decoded whole: the same samples, the same events.
    const flac = buildFlac({channels: [Array.from(raw)], bits: 16, rate: 44_100, blockSize: 4096})
    const asFlac = spawnSync(process.execPath, [BIN, 'listen', '--input', '-', '--model', toy, '--json'], {cwd: ROOT, input: flac, encoding: 'utf8'})
    expect(asFlac.status, asFlac.stderr).toBe(0)
    expect(jsonLines(asFlac.stdout)).toEqual(jsonLines(asWav.stdout).map((l) => ({...l, ...(l.wallClock ? {wallClock: expect.any(String)} : {}), ...(l.type === 'summary' ? {realTimeFactor: expect.any(Number), processingSeconds: expect.any(Number), wallSeconds: expect.any(Number)} : {})})))
  })

  it('plain output: a line per detection (wall clock, stream time, score), a transcript line, the summary on stderr', () => {
    const r = runCli(['listen', '--input', clipPath, '--model', toy])
    expect(r.status).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} +0\.49 s {2}activate {2}score 0\.99\d$/)
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} +0\.49 s {2}activate -> lights on$/)
    expect(lines[3]).toMatch(/activate -> \(nothing\)$/)
    expect(r.stderr).toMatch(/end of input: 2 detections in 5\.0 s of audio, real-time factor \d+\.\d{3}/)
    // Off a terminal: no meter escapes.
    expect(r.stdout).not.toContain('\r')
  })

  it('says which threshold it listens at, by name when --threshold names one the model carries', () => {
    const toyConfig = JSON.parse(readFileSync(join(toy, 'rnn-wake.json'), 'utf8'))
    expect(runCli(['listen', '--input', clipPath, '--model', toy]).stderr).toMatch(new RegExp(`listening for "activate" \\(threshold ${toyConfig.trigger.threshold}\\) on `))
    const named = join(dir, 'toy-named')
    cpSync(toy, named, {recursive: true})
    writeFileSync(join(named, 'rnn-wake.json'), JSON.stringify({...toyConfig, thresholds: {strict: 0.999}}))
    const r = runCli(['listen', '--input', clipPath, '--model', named, '--threshold', 'strict', '--json'])
    expect(r.status, r.stderr).toBe(0)
    expect(jsonLines(r.stdout).filter((l) => l.type === 'detection')).toEqual([])
    expect(runCli(['listen', '--input', clipPath, '--model', named, '--threshold', 'strict']).stderr).toMatch(/listening for "activate" \(threshold "strict" 0\.999\) on /)
  })

  it('--exec runs per detection with RNN_WAKE_* variables; --save-dir keeps ~2 s around each', () => {
    const log = join(dir, 'hook.log')
    const saves = join(dir, 'saves')
    const r = runCli(['listen', '--input', clipPath, '--model', toy, '--json', '--save-dir', saves, '--exec', `echo "$RNN_WAKE_INDEX $RNN_WAKE_WORD $RNN_WAKE_TIME $RNN_WAKE_SCORE [$RNN_WAKE_TRANSCRIPT]" >> ${log}; echo noise-on-stdout`])
    expect(r.status).toBe(0)
    // The hook's own stdout must not break the JSON lines.
    const lines = jsonLines(r.stdout)
    const hookLines = readFileSync(log, 'utf8').trim().split('\n').sort()
    expect(hookLines).toEqual([expect.stringMatching(/^1 activate 0\.493 0\.99\d\d \[lights on\]$/), expect.stringMatching(/^2 activate 3\.396 0\.99\d\d \[\]$/)])
    const saved = lines.filter((l) => l.type === 'saved')
    expect(saved).toHaveLength(2)
    expect(readdirSync(saves).sort()).toEqual(saved.map((s) => (s.path as string).slice(saves.length + 1)).sort())
    expect(readdirSync(saves).every((f) => /^activate-\d{8}-\d{6}-\d{3}-000[12]\.wav$/.test(f))).toBe(true)
  })

  it('a missing recorder is exit 5 naming what to install', () => {
    const r = runCli(['listen', '--model', toy], {env: {PATH: '/nonexistent'}})
    expect(r.status).toBe(5)
    expect(r.stderr).toMatch(/install alsa-utils \(arecord\) or sox/)
  })

  it('--sample-rate other than 44100 with a spectrogram model is a usage error (exit 2)', () => {
    const r = runCli(['listen', '--model', toy, '--sample-rate', '16000'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/--sample-rate 16000: this model's spectrogram front end takes 44100 Hz audio only/)
  })

  it('a missing model is exit 4', () => {
    const r = runCli(['listen', '--input', clipPath, '--model', join(dir, 'nope')])
    expect(r.status).toBe(4)
    expect(r.stderr).toMatch(/^rnn-wake: Cannot load model .*nope: no such directory$/m)
  })

  const arecord = findOnPath('arecord')
  const alsaConf = new URL('./fixtures/alsa/fakemic.conf', import.meta.url).pathname

  it.skipIf(!arecord)('a recorder that fails (no such device) is exit 5 quoting arecord (skips: arecord not installed; .ci/run installs alsa-utils)', () => {
    const r = runCli(['listen', '--model', toy, '--recorder', 'arecord', '--device', 'no_such_device'])
    expect(r.status).toBe(5)
    expect(r.stderr).toMatch(/arecord \(device no_such_device\) exited with code 1/)
  })

  it.skipIf(!arecord)(
    'end to end through the real arecord and an ALSA file-plugin microphone: same events as detect, Ctrl-C prints the summary (skips: arecord not installed; .ci/run installs alsa-utils)',
    async () => {
      const raw = join(dir, 'mic.raw')
      writeFileSync(raw, new Uint8Array(toInt16(clip).buffer))
      const child = spawn(process.execPath, [BIN, 'listen', '--model', toy, '--recorder', 'arecord', '--json'], {
        cwd: ROOT,
        env: {...process.env, FAKE_MIC_RAW: raw, ALSA_CONFIG_PATH: `/usr/share/alsa/alsa.conf:${alsaConf}`},
      })
      let stdout = ''
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
      // The fake microphone is not paced and repeats stale data after the file: stop after the second transcript.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no events in time; stderr: ${stderr}`)), 60_000)
        child.stdout.on('data', (d) => {
          stdout += d
          if (stdout.split('\n').filter((l) => l.includes('"transcript"')).length >= 2) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      child.kill('SIGINT')
      expect(await exited).toBe(130)
      const lines = jsonLines(stdout)
      expectSameEvents(listenEvents(lines), detectEvents())
      expect(lines.at(-1)).toMatchObject({type: 'summary', interrupted: true, detections: 2})
    },
    90_000,
  )
})
