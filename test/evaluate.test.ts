import {existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {encodeWav16} from '../src/audio/write.js'
import {selectBackend} from '../src/model/backend.js'
import {runCli} from './helpers/cli.js'
import {saveConstantModel} from './helpers/models.js'

let root: string
let dataset: string
let negatives: string

function tone(seconds: number, freq: number, amp = 8000): Float64Array {
  return Float64Array.from({length: Math.round(seconds * 44_100)}, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / 44_100))
}

beforeAll(async () => {
  await selectBackend('cpu')
  root = mkdtempSync(join(tmpdir(), 'rnn-wake-eval-'))
  for (const d of ['act', 'neg', 'bg', 'long']) mkdirSync(join(root, d))
  writeFileSync(join(root, 'act', 'a.wav'), encodeWav16(tone(0.6, 700)))
  writeFileSync(join(root, 'neg', 'n.wav'), encodeWav16(tone(0.4, 300)))
  writeFileSync(join(root, 'bg', 'b.wav'), encodeWav16(tone(10, 50, 500)))
  // 25 s of non-trigger audio: three 10 s windows in evaluation.
  writeFileSync(join(root, 'long', 'speech.wav'), encodeWav16(tone(25, 200, 3000)))
  negatives = join(root, 'long')
  dataset = join(root, 'test-set')
  const r = runCli(['synthesize', '--activates', join(root, 'act'), '--negatives', join(root, 'neg'), '--backgrounds', join(root, 'bg'), '--count', '6', '--seed', '3', '--workers', '1', '--out', dataset])
  expect(r.status, r.stderr).toBe(0)
})

function triggersIn(dir: string): number[] {
  return readFileSync(join(dir, 'manifest.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).clips.filter((c: {trigger: boolean}) => c.trigger).length)
}

describe('rnn-wake evaluate agrees with a count by hand', () => {
  it('a model that never fires misses every trigger and has no false accepts', async () => {
    const model = join(root, 'never')
    await saveConstantModel(model, 0.1)
    const r = runCli(['evaluate', '--model', model, '--data', dataset, '--negatives', negatives, '--backend', 'cpu', '--json'])
    expect(r.status, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout)
    const triggers = triggersIn(dataset).reduce((a, b) => a + b, 0)
    expect(report.data).toMatchObject({examples: 6, triggers})
    expect(report.negatives.files).toBe(1)
    expect(report.negatives.seconds).toBeCloseTo(25, 3)
    expect(report.atThreshold).toMatchObject({triggers, missed: triggers, falseAccepts: 0, faPerHour: 0})
    expect(report.negatives).toMatchObject({falseAccepts: 0, faPerHour: 0})
    expect(report.atThreshold.frr).toBe(triggers ? 1 : 0)
  })

  it('a model that is always above the threshold fires once per piece of audio at its start: all false accepts', async () => {
    const model = join(root, 'always')
    await saveConstantModel(model, 0.9)
    const plot = join(root, 'det.png')
    const r = runCli(['evaluate', '--model', model, '--data', dataset, '--negatives', negatives, '--backend', 'cpu', '--json', '--plot', plot])
    expect(r.status, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout)
    const perExample = triggersIn(dataset)
    const triggers = perExample.reduce((a, b) => a + b, 0)
    // One detection at the first step of each 10 s example (no trigger ends within 0.5 s of the start,
    // synthesis places none there) and one at the start of each 10 s window of the long file
    // (the window restarts the network, and the first step of each is again above threshold:
    // the detector sees one continuous track, so only the first step fires).
    expect(report.atThreshold.missed).toBe(triggers)
    expect(report.atThreshold.falseAccepts).toBe(6 + 1)
    // The long file's own share: its one false accept over its 25 s.
    expect(report.negatives.falseAccepts).toBe(1)
    expect(report.negatives.faPerHour).toBeCloseTo(3600 / 25, 6)
    expect(readFileSync(plot).subarray(1, 4).toString()).toBe('PNG')
    expect(readFileSync(join(root, 'det.csv'), 'utf8').split('\n')[0]).toBe('threshold,frr,fa_per_hour,missed,triggers,false_accepts,non_trigger_hours')
  })

  it('--write-threshold stores the threshold that meets the target', async () => {
    const model = join(root, 'write')
    await saveConstantModel(model, 0.9)
    // 25 s of audio supports no target: --force writes anyway.
    const r = runCli(['evaluate', '--model', model, '--negatives', negatives, '--backend', 'cpu', '--target-fa', '0', '--write-threshold', '--force'])
    expect(r.status, r.stderr).toBe(0)
    // Constant 0.9: any threshold >= 0.9 gives no false accepts; the lowest such one is 0.9.
    expect(JSON.parse(readFileSync(join(model, 'rnn-wake.json'), 'utf8')).trigger.threshold).toBe(0.9)
    expect(r.stdout).toMatch(/written to rnn-wake.json/)
  })

  it('--write-threshold --threshold-name stores a named threshold beside the default, which --threshold NAME then uses', async () => {
    const model = join(root, 'named')
    await saveConstantModel(model, 0.9)
    const before = JSON.parse(readFileSync(join(model, 'rnn-wake.json'), 'utf8')).trigger.threshold
    const r = runCli(['evaluate', '--model', model, '--negatives', negatives, '--backend', 'cpu', '--target-fa', '0', '--write-threshold', '--force', '--threshold-name', 'real-speech'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/written to rnn-wake.json as "real-speech"/)
    const config = JSON.parse(readFileSync(join(model, 'rnn-wake.json'), 'utf8'))
    expect(config.thresholds).toEqual({'real-speech': 0.9})
    expect(config.trigger.threshold).toBe(before)
    const at = runCli(['evaluate', '--model', model, '--negatives', negatives, '--backend', 'cpu', '--threshold', 'real-speech', '--json'])
    expect(at.status, at.stderr).toBe(0)
    expect(JSON.parse(at.stdout).trigger.threshold).toBe(0.9)
    // Every evaluation reports the named thresholds beside the default: at 0.9 the constant 0.9 never fires.
    const report = runCli(['evaluate', '--model', model, '--negatives', negatives, '--backend', 'cpu', '--threshold', '0.5'])
    expect(report.stdout).toMatch(/at threshold 0.5: .* 1 false accept = /)
    expect(report.stdout).toMatch(/at the model's "real-speech" threshold 0.9: FRR 0.0% \(0\/0 missed\), 0 false accepts = 0.00 FA\/h/)
    expect(runCli(['evaluate', '--model', model, '--negatives', negatives, '--backend', 'cpu', '--threshold-name', 'x']).status).toBe(2)
    expect(runCli(['evaluate', '--model', model, '--negatives', negatives, '--backend', 'cpu', '--write-threshold', '--threshold-name', 'Real Speech']).status).toBe(2)
  })

  it('--write-threshold refuses a target this audio is too short for (exit 2, nothing written) and says the resolution', async () => {
    const model = join(root, 'short')
    await saveConstantModel(model, 0.9)
    const before = readFileSync(join(model, 'rnn-wake.json'), 'utf8')
    const plot = join(root, 'refused.png')
    const r = runCli(['evaluate', '--model', model, '--negatives', negatives, '--backend', 'cpu', '--target-fa', '1', '--write-threshold', '--plot', plot])
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('rnn-wake: '))).toHaveLength(1)
    // 25 s: one false accept = 144 FA/h; 1 FA/h needs 3 h = 180 min.
    expect(r.stderr).toMatch(/rnn-wake: Not writing a threshold for 1 FA\/h: 0.4 min of non-trigger audio is too short \(one false accept = 144 FA\/h on it; 1 FA\/h needs 180.0 min.*--force/)
    expect(readFileSync(join(model, 'rnn-wake.json'), 'utf8')).toBe(before)
    expect(existsSync(plot)).toBe(false)

    const forced = runCli(['evaluate', '--model', model, '--negatives', negatives, '--backend', 'cpu', '--target-fa', '1', '--write-threshold', '--force', '--plot', plot])
    expect(forced.status, forced.stderr).toBe(0)
    expect(forced.stdout).toMatch(/^resolution: one false accept = 144 FA\/h on this audio; a target of 1 FA\/h needs 180.0 min of it \(3 \/ target hours\): too short/m)
    expect(forced.stdout).toMatch(/\(this audio is too short to tell\)/)
    expect(forced.stdout.trim().split('\n').slice(-3)).toEqual([`  wrote ${plot}`, `  wrote ${join(root, 'refused.csv')}`, `  wrote ${join(model, 'rnn-wake.json')}`])
  })

  it('a missing model is a one-line error with exit 4', () => {
    const r = runCli(['evaluate', '--model', join(root, 'nope'), '--negatives', negatives, '--backend', 'cpu'])
    expect(r.status).toBe(4)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/Cannot load model .*nope: no such directory/)
  })
})
