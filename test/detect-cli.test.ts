import {cpSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readAudio} from '../src/audio/read.js'
import {encodeWav16} from '../src/audio/write.js'
import {selectBackend} from '../src/model/backend.js'
import {openDetector} from '../src/stream/command-support.js'
import {ModelError} from '../src/util/errors.js'
import {runCli} from './helpers/cli.js'
import {TOY_SCRIPT, saveToyDetector, toyAudio} from './helpers/toy-detector.js'

let dir: string
let clipPath: string
const clip = toyAudio(TOY_SCRIPT)

beforeAll(async () => {
  await selectBackend()
  dir = mkdtempSync(join(tmpdir(), 'rnn-wake-detect-'))
  await saveToyDetector(join(dir, 'toy'), false)
  await saveToyDetector(join(dir, 'toy-ctc'), true)
  clipPath = join(dir, 'clip.wav')
  writeFileSync(clipPath, encodeWav16(clip))
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('rnn-wake detect', () => {
  it('prints file, time and score of each detection; the backend on stderr only with --verbose', () => {
    const r = runCli(['detect', clipPath, '--model', join(dir, 'toy')])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const verbose = runCli(['detect', clipPath, '--model', join(dir, 'toy'), '--verbose'])
    expect(verbose.stderr).toMatch(/^backend: (wasm|tensorflow|cpu)\n$/)
    expect(verbose.stdout).toBe(r.stdout)
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/clip\.wav {2}activate at 0\.49\d s {2}score 0\.99\d$/)
    expect(lines[1]).toMatch(/clip\.wav {2}activate at 3\.39\d s {2}score 0\.99\d$/)
  })

  it('--json with a CTC model: transcripts; --chime and --plot write their files', async () => {
    const chime = join(dir, 'chimed.wav')
    const plot = join(dir, 'plot.png')
    const r = runCli(['detect', clipPath, '--model', join(dir, 'toy-ctc'), '--json', '--chime', chime, '--plot', plot])
    expect(r.status).toBe(0)
    const result = JSON.parse(r.stdout)
    expect(result.word).toBe('activate')
    expect(result.trigger).toEqual({threshold: 0.5, minSteps: 1, refractorySteps: 75})
    const [file] = result.files
    expect(file.detections.map((d: {transcript: {text: string}}) => d.transcript.text)).toEqual(['lights on', ''])
    expect(file.chime).toBe(chime)

    const chimed = (await readAudio(chime)).samples
    expect(chimed.length).toBe(clip.length)
    // Unchanged before the first detection, the chime added from it on.
    const at = Math.round(file.detections[0].seconds * 44_100)
    expect(chimed[at - 10]).toBe(Math.round(clip[at - 10]))
    let changed = 0
    for (let i = at; i < at + 4410; i++) if (Math.abs(chimed[i] - Math.round(clip[i])) > 100) changed++
    expect(changed).toBeGreaterThan(1000)

    expect(readFileSync(plot).subarray(1, 4).toString()).toBe('PNG')
  })

  it('trigger flags override the model directory', () => {
    const r = runCli(['detect', clipPath, '--model', join(dir, 'toy'), '--threshold', '0.999', '--json'])
    expect(r.status).toBe(0)
    const result = JSON.parse(r.stdout)
    expect(result.trigger.threshold).toBe(0.999)
    expect(result.files[0].detections).toEqual([])
    expect(runCli(['detect', clipPath, '--model', join(dir, 'toy'), '--threshold', '1.5']).status).toBe(2)
    const rearm = runCli(['detect', clipPath, '--model', join(dir, 'toy'), '--rearm-ratio', '0.5', '--json'])
    expect(rearm.status, rearm.stderr).toBe(0)
    expect(JSON.parse(rearm.stdout).trigger.rearmRatio).toBe(0.5)
    const badRearm = runCli(['detect', clipPath, '--model', join(dir, 'toy'), '--rearm-ratio', '0'])
    expect(badRearm.status).toBe(2)
    expect(badRearm.stderr).toMatch(/--rearm-ratio must be a fraction in \(0, 1\]/)
    const smooth = runCli(['detect', clipPath, '--model', join(dir, 'toy'), '--smooth-steps', '3', '--json'])
    expect(smooth.status, smooth.stderr).toBe(0)
    expect(JSON.parse(smooth.stdout).trigger.smoothSteps).toBe(3)
    expect(runCli(['detect', clipPath, '--model', join(dir, 'toy'), '--smooth-steps', '0']).status).toBe(2)
  })

  it('--threshold NAME takes a threshold the model carries; an unknown name or a bad one in the model is a one-line error', async () => {
    const named = join(dir, 'toy-named')
    cpSync(join(dir, 'toy'), named, {recursive: true})
    const configPath = join(named, 'rnn-wake.json')
    const config = JSON.parse(readFileSync(configPath, 'utf8'))
    writeFileSync(configPath, JSON.stringify({...config, thresholds: {strict: 0.999}}))
    const byName = runCli(['detect', clipPath, '--model', named, '--threshold', 'strict', '--json'])
    expect(byName.status, byName.stderr).toBe(0)
    expect(JSON.parse(byName.stdout).trigger.threshold).toBe(0.999)
    expect(JSON.parse(byName.stdout).files[0].detections).toEqual([])
    // Without the flag the default threshold still rules (the toy model fires on its clip).
    expect(JSON.parse(runCli(['detect', clipPath, '--model', named, '--json']).stdout).files[0].detections.length).toBeGreaterThan(0)
    const unknown = runCli(['detect', clipPath, '--model', named, '--threshold', 'real-speech'])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1)
    expect(unknown.stderr).toMatch(/--threshold real-speech: .*toy-named carries no threshold of that name \(it has: strict;/)
    expect(runCli(['detect', clipPath, '--model', join(dir, 'toy'), '--threshold', 'strict']).stderr).toMatch(/it has no named thresholds/)
    writeFileSync(configPath, JSON.stringify({...config, thresholds: {'Not A Name': 0.5}}))
    const bad = runCli(['detect', clipPath, '--model', named])
    expect(bad.status).toBe(4)
    expect(bad.stderr).toMatch(/thresholds: "Not A Name" is not a threshold name/)
    writeFileSync(configPath, JSON.stringify({...config, thresholds: {strict: 1.5}}))
    expect(runCli(['detect', clipPath, '--model', named]).status).toBe(4)
    writeFileSync(configPath, JSON.stringify({...config, trigger: {...config.trigger, rearmRatio: 2}}))
    expect(runCli(['detect', clipPath, '--model', named]).stderr).toMatch(/trigger.rearmRatio/)
    writeFileSync(configPath, JSON.stringify({...config, trigger: {...config.trigger, smoothSteps: 0}}))
    expect(runCli(['detect', clipPath, '--model', named]).stderr).toMatch(/trigger.smoothSteps/)
  })

  it('a missing model directory is exit 4 with a one-line message', () => {
    const r = runCli(['detect', clipPath, '--model', join(dir, 'nope')])
    expect(r.status).toBe(4)
    expect(r.stderr.trim().split('\n')).toEqual([`rnn-wake: Cannot load model ${join(dir, 'nope')}: no such directory`])
  })

  it('the shipped speech encoder as --model: a note on stderr that its head only served pretraining, and how to use it', async () => {
    const notes: string[] = []
    const opened = await openDetector({model: 'models/encoder'}, (line) => notes.push(line))
    for (const network of opened.detector.networks) network.dispose()
    expect(notes).toEqual([expect.stringMatching(/^note: models\/encoder is the speech encoder; its "happy" head only served pretraining\. .*rnn-wake train --from models\/encoder/)])
    const other: string[] = []
    const toy = await openDetector({model: join(dir, 'toy')}, (line) => other.push(line))
    for (const network of toy.detector.networks) network.dispose()
    expect(other).toEqual([])
  })

  it('without --model, a missing default model says so in one line (exit 4)', async () => {
    const missing = join(dir, 'models', 'activate')
    const error = await openDetector({}, () => {}, missing).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelError)
    expect((error as ModelError).exitCode).toBe(4)
    expect((error as Error).message).toBe(`Cannot load model ${missing}: no such directory (the default model is missing from this installation: pass --model DIR)`)
  })

  it('an unreadable input is exit 3', () => {
    const r = runCli(['detect', join(dir, 'missing.wav'), '--model', join(dir, 'toy')])
    expect(r.status).toBe(3)
    expect(r.stderr).toMatch(/Cannot read .*missing\.wav/)
  })
})
