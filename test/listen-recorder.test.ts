import {type ChildProcessWithoutNullStreams, spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {findOnPath} from '../src/audio/microphone.js'
import {selectBackend} from '../src/model/backend.js'
import {BIN, ROOT} from './helpers/cli.js'
import {saveToyDetector} from './helpers/toy-detector.js'

const arecord = findOnPath('arecord')
const alsaConf = new URL('./fixtures/alsa/fakemic.conf', import.meta.url).pathname
let dir: string
let model: string

beforeAll(async () => {
  await selectBackend('cpu')
  dir = mkdtempSync(join(tmpdir(), 'rnn-wake-rec-'))
  model = join(dir, 'toy')
  await saveToyDetector(model, false)
  writeFileSync(join(dir, 'mic.raw'), new Uint8Array(44_100 * 2))
})

function startListen(extra: string[], modelDir = model): {child: ChildProcessWithoutNullStreams; stderr: () => string; exited: Promise<number | null>} {
  const child = spawn(process.execPath, [BIN, 'listen', '--model', modelDir, '--recorder', 'arecord', '--backend', 'cpu', ...extra], {
    cwd: ROOT,
    env: {...process.env, FAKE_MIC_RAW: join(dir, 'mic.raw'), ALSA_CONFIG_PATH: `/usr/share/alsa/alsa.conf:${alsaConf}`},
  })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  child.stdout.resume()
  return {child, stderr: () => stderr, exited: new Promise((resolve) => child.on('close', resolve))}
}

/** Resolves once `stderr()` matches, checking whenever the child writes. */
function whenStderr(child: ChildProcessWithoutNullStreams, stderr: () => string, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stderr: ${stderr()}`)), 60_000)
    const check = () => {
      if (pattern.test(stderr())) {
        clearTimeout(timer)
        child.stderr.off('data', check)
        resolve()
      }
    }
    child.stderr.on('data', check)
    check()
  })
}

function recorderChildren(pid: number): number[] {
  const r = spawnSync('pgrep', ['-P', String(pid), '-x', 'arecord'], {encoding: 'utf8'})
  return r.stdout.split('\n').filter(Boolean).map(Number)
}

describe('the recorder dying mid-stream', () => {
  it.skipIf(!arecord)('is reported with exit 5 (skips: arecord not installed; .ci/run installs alsa-utils)', async () => {
    const {child, stderr, exited} = startListen([])
    await whenStderr(child, stderr, /listening for/)
    const [pid] = recorderChildren(child.pid!)
    expect(pid).toBeGreaterThan(0)
    process.kill(pid, 'SIGKILL')
    expect(await exited).toBe(5)
    expect(stderr()).toMatch(/Recorder arecord exited with code null|Recorder arecord .*(exited|stopped)/)
  }, 90_000)

  it.skipIf(!arecord)('with --reconnect, the recorder is started again and Ctrl-C still stops cleanly', async () => {
    const {child, stderr, exited} = startListen(['--reconnect'])
    await whenStderr(child, stderr, /listening for/)
    const [first] = recorderChildren(child.pid!)
    process.kill(first, 'SIGKILL')
    await whenStderr(child, stderr, /reconnecting in 1 s \(attempt 1\)/)
    // The new recorder starts after the 1 s back-off; wait for it by its own output being consumed.
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 30_000
      const look = () => {
        const now = recorderChildren(child.pid!)
        if (now.length > 0 && !now.includes(first)) return resolve()
        if (Date.now() > deadline) return reject(new Error(`no new recorder; stderr: ${stderr()}`))
        setImmediate(look)
      }
      look()
    })
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    expect(stderr()).toMatch(/stopped: \d+ detections?/)
  }, 90_000)
})

describe('the microphone\'s rate', () => {
  const args = (pid: number) => spawnSync('ps', ['-o', 'args=', '-p', String(pid)], {encoding: 'utf8'}).stdout
  const opened = async (extra: string[], modelDir: string): Promise<{args: string; stderr: string}> => {
    const {child, stderr, exited} = startListen(extra, modelDir)
    await whenStderr(child, stderr, /listening for/)
    const [pid] = recorderChildren(child.pid!)
    const line = args(pid)
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    return {args: line, stderr: stderr()}
  }

  it.skipIf(!arecord)('is 16 kHz for a speech-embedding model (its front end\'s own rate, nothing resampled), 44.1 kHz for a spectrogram model or with --sample-rate 44100 (skips: arecord not installed)', async () => {
    const embedding = await opened([], 'bench/models/openwakeword/alexa')
    expect(embedding.args).toMatch(/-r 16000\b/)
    expect(embedding.stderr).toMatch(/on the microphone \(arecord, 16 kHz\)/)
    expect((await opened(['--sample-rate', '44100'], 'bench/models/openwakeword/alexa')).args).toMatch(/-r 44100\b/)
    const spectrogram = await opened([], model)
    expect(spectrogram.args).toMatch(/-r 44100\b/)
    expect(spectrogram.stderr).toMatch(/on the microphone \(arecord\);/)
  }, 120_000)
})
