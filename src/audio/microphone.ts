import {accessSync, constants} from 'node:fs'
import {delimiter, join} from 'node:path'
import recorderModule from 'node-record-lpcm16'

import {UserError} from '../util/errors.js'
import {SAMPLE_RATE} from './read.js'
import {type AudioChunks, pcm16Chunks} from './source.js'

export type RecorderName = 'arecord' | 'sox' | 'rec'
export const RECORDERS: RecorderName[] = ['arecord', 'sox', 'rec']

export interface MicrophoneOptions {
  /** ALSA device for arecord (e.g. hw:1,0, plughw:1,0), or sox's device. */
  device?: string
  recorder?: RecorderName | 'auto'
  /** PATH to search, injectable for tests. */
  path?: string
  /** Hz (default 44.1 kHz); the recorder converts from the device's rate (arecord through ALSA's plug layer on default and plughw devices). */
  sampleRate?: number
}

export interface Microphone {
  readonly recorder: RecorderName
  chunks: AudioChunks
  /** Stop recording; the chunks then end without an error. */
  stop(): void
}

const INSTALL_HINT = 'install alsa-utils (arecord) or sox, e.g. `sudo apt-get install alsa-utils`'

export function findOnPath(program: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, program)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

export function chooseRecorder(wanted: RecorderName | 'auto' = 'auto', path?: string): RecorderName {
  if (wanted !== 'auto') {
    if (!findOnPath(wanted, path)) throw new UserError(`Recorder ${wanted} not found on PATH: ${INSTALL_HINT}`, 'device')
    return wanted
  }
  const found = RECORDERS.find((r) => findOnPath(r, path))
  if (!found) throw new UserError(`No audio recorder found (looked for ${RECORDERS.join(', ')} on PATH): ${INSTALL_HINT}`, 'device')
  return found
}

/**
 * Mono 16-bit audio (44.1 kHz unless options.sampleRate) from the microphone through node-record-lpcm16
 * (which spawns arecord, sox or rec). A recorder that fails to start, exits
 * with an error or exits on its own (device unplugged) ends the chunks with a
 * device UserError that quotes what the recorder said.
 */
export function openMicrophone(options: MicrophoneOptions = {}): Microphone {
  const recorder = chooseRecorder(options.recorder ?? 'auto', options.path)
  const recording = recorderModule.record({
    sampleRate: options.sampleRate ?? SAMPLE_RATE,
    channels: 1,
    audioType: 'raw',
    recorder,
    device: options.device ?? null,
  })
  let stopped = false
  let stderr = ''
  let failure: UserError | undefined
  const child = recording.process
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000)
  })
  const said = () => {
    const lines = stderr.trim().split('\n').filter(Boolean)
    return lines.length ? `: ${lines.at(-1)}` : ''
  }
  // node-record-lpcm16 does not listen for spawn errors; without this a missing binary crashes the process.
  child.on('error', (error: NodeJS.ErrnoException) => {
    failure = new UserError(error.code === 'ENOENT' ? `Recorder ${recorder} could not be started: ${INSTALL_HINT}` : `Recorder ${recorder} failed: ${error.message}`, 'device')
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const stream = recording.stream()
  // The library reports a non-zero exit as a string 'error' on the stream; we read the exit code ourselves.
  stream.on('error', () => {})

  async function* chunks(): AudioChunks {
    yield* pcm16Chunks(stream)
    const code = await exited
    if (failure) throw failure
    if (stopped) return
    const device = options.device ? ` (device ${options.device})` : ''
    throw new UserError(
      code === 0 ? `Recorder ${recorder}${device} stopped unexpectedly${said()}` : `Recorder ${recorder}${device} exited with code ${code}${said()}`,
      'device',
    )
  }

  return {
    recorder,
    chunks: chunks(),
    stop() {
      stopped = true
      if (child.exitCode === null) child.kill()
    },
  }
}
